import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TaskError } from '../../src/errors.ts';
import { planFirewall } from '../../src/modules/ufw/plan.ts';
import { addRuleCommand, deleteRuleCommand, toUfwRule } from '../../src/modules/ufw/rules.ts';
import { firewallSchema, type FirewallInput } from '../../src/modules/ufw/schema.ts';
import { parseProbe, type UfwState } from '../../src/modules/ufw/state.ts';
import { parseTupleLine, parseUserRules } from '../../src/modules/ufw/tuples.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/ufw/${name}`, import.meta.url), 'utf8');
const context = { host: 'web-01', task: 'firewall' };
const session = { client: '172.18.0.1', server: '172.18.0.3', serverPort: 22 };

/** A fresh install (recorded), seen from an SSH session coming from 172.18.0.1. */
function fresh(overrides: Partial<UfwState> = {}): UfwState {
  return { ...parseProbe(fixture('probe-fresh-inactive.txt')), ssh: session, ...overrides };
}

/** Stored rules as ufw writes them: a rule between any and any goes to both files. */
function tuples(...lines: string[]) {
  const v4 = lines.map((line) => `### tuple ### ${line}`);
  const v6 = v4.filter((line) => (line.match(/0\.0\.0\.0\/0/g) ?? []).length === 2).map((line) => line.replace(/0\.0\.0\.0\/0/g, '::/0'));
  return parseUserRules(v4.join('\n'), v6.join('\n'));
}

function plan(input: FirewallInput, state: UfwState) {
  return planFirewall(firewallSchema.parse(input), state, context);
}

const lines = (input: FirewallInput, state: UfwState) => plan(input, state).changes.map((c) => c.description);

const SITE: FirewallInput = {
  defaults: { incoming: 'deny', outgoing: 'allow' },
  rules: [
    { rule: 'allow', port: 22, proto: 'tcp', comment: 'ssh' },
    { rule: 'allow', port: 80, proto: 'tcp', from: '10.0.0.5' },
  ],
};

describe('planFirewall', () => {
  it('fresh host: rules first, then enable; policies already match', () => {
    expect(lines(SITE, fresh())).toEqual(["allow 22/tcp from any (comment 'ssh')", 'allow 80/tcp from 10.0.0.5', 'enable firewall']);
  });

  it('converged host: no changes', () => {
    const state = fresh({ active: true, enabledAtBoot: true, rules: tuples('allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in comment=737368', 'allow tcp 80 0.0.0.0/0 any 10.0.0.5 in') });
    expect(lines(SITE, state)).toEqual([]);
  });

  it('a missing rule (deleted by hand) and a disabled firewall', () => {
    const state = fresh({ active: false, enabledAtBoot: false, rules: tuples('allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in comment=737368') });
    const result = plan(SITE, state);
    expect(result.changes.map((c) => c.description)).toEqual(['allow 80/tcp from 10.0.0.5', 'enable firewall']);
    expect(result.steps.add.map(addRuleCommand)).toEqual(['ufw allow in proto tcp from 10.0.0.5 to any port 80']);
    expect(result.steps.enable).toBe(true);
  });

  it('enabled in the config but not loaded (ufw disable leaves ENABLED=no; a failed boot leaves yes)', () => {
    const state = fresh({ active: false, enabledAtBoot: true, rules: tuples('allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in comment=737368', 'allow tcp 80 0.0.0.0/0 any 10.0.0.5 in') });
    expect(lines(SITE, state)).toEqual(['enable firewall']);
  });

  it('extra rules: kept without purge, deleted last with purge', () => {
    const state = fresh({
      active: true,
      enabledAtBoot: true,
      rules: tuples('allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in comment=737368', 'allow any 8080 0.0.0.0/0 any 0.0.0.0/0 in', 'allow tcp 80 0.0.0.0/0 any 10.0.0.5 in'),
    });
    expect(lines(SITE, state)).toEqual([]);
    const purged = plan({ ...SITE, purge: true }, state);
    expect(purged.changes.map((c) => c.description)).toEqual(['delete allow 8080 from any']);
    expect(purged.steps.remove.map(deleteRuleCommand)).toEqual(['ufw delete allow in from any to any port 8080']);
  });

  it('a rule with another comment is updated; an undeclared comment is left alone', () => {
    const state = fresh({ active: true, enabledAtBoot: true, rules: tuples('allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in comment=6f6c64', 'allow tcp 80 0.0.0.0/0 any 10.0.0.5 in comment=6f6c64') });
    const result = plan(SITE, state);
    expect(result.changes.map((c) => c.description)).toEqual(["comment of allow 22/tcp from any: 'old' → 'ssh'"]);
    expect(result.steps.add.map(addRuleCommand)).toEqual(['ufw allow in proto tcp from any to any port 22 comment ssh']);
  });

  it('policy and logging changes, in order after the rules and before enabling', () => {
    const state = fresh({ policies: { incoming: 'allow', outgoing: 'deny', routed: 'deny' }, logLevel: 'off' });
    expect(lines({ ...SITE, defaults: { incoming: 'reject', outgoing: 'allow' }, logging: 'on' }, state)).toEqual([
      "allow 22/tcp from any (comment 'ssh')",
      'allow 80/tcp from 10.0.0.5',
      'default incoming allow → reject',
      'default outgoing deny → allow',
      'logging off → low',
      'enable firewall',
    ]);
    // `on` is any level but off.
    expect(lines({ logging: 'on', state: 'disabled' }, fresh({ logLevel: 'high' }))).toEqual([]);
    expect(lines({ logging: 'medium', state: 'disabled' }, fresh({ logLevel: 'high' }))).toEqual(['logging high → medium']);
  });

  it('disabling: first, and never refused', () => {
    const state = fresh({ active: true, enabledAtBoot: true });
    const result = plan({ state: 'disabled', rules: [{ rule: 'allow', port: 443, proto: 'tcp' }] }, state);
    expect(result.changes.map((c) => c.description)).toEqual(['disable firewall', 'allow 443/tcp from any']);
    expect(result.steps.disable).toBe(true);
  });

  it('IPv4-only (0.0.0.0/0) versus any: compared per family half, as ufw stores and deletes them', () => {
    const both = fresh({ active: true, enabledAtBoot: true, rules: tuples('allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in') });
    const v4only: FirewallInput = { rules: [{ rule: 'allow', port: 22, proto: 'tcp', from: '0.0.0.0/0' }] };
    expect(lines(v4only, both)).toEqual([]);
    // Measured: `ufw delete ... from ::/0` deletes only the IPv6 half.
    const purged = plan({ ...v4only, purge: true }, both);
    expect(purged.changes.map((c) => c.description)).toEqual(['delete allow 22/tcp from any (IPv6 only)']);
    expect(purged.steps.remove.map(deleteRuleCommand)).toEqual(['ufw delete allow in proto tcp from ::/0 to any port 22']);
    // Measured: `ufw allow ... from any` with the IPv4 half present adds the IPv6 half only.
    const half = fresh({ active: true, enabledAtBoot: true, rules: parseUserRules('### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in', '') });
    const grown = plan({ rules: [{ rule: 'allow', port: 22, proto: 'tcp' }] }, half);
    expect(grown.changes.map((c) => c.description)).toEqual(['allow 22/tcp from any (IPv6 only)']);
    expect(grown.steps.add.map(addRuleCommand)).toEqual(['ufw allow in proto tcp from any to any port 22']);
    // With IPV6=no ufw writes `any` rules to user.rules only: that is the whole rule.
    expect(lines({ rules: [{ rule: 'allow', port: 22, proto: 'tcp' }] }, { ...half, ipv6: false })).toEqual([]);
  });

  it('ufw not installed', () => {
    expect(() => plan(SITE, fresh({ installed: false }))).toThrow(/ufw is not installed/);
  });
});

describe('never lock out', () => {
  const refuse = (input: FirewallInput, state: UfwState) => {
    try {
      plan(input, state);
    } catch (error) {
      expect(error).toBeInstanceOf(TaskError);
      return (error as TaskError).message;
    }
    throw new Error('expected a refusal');
  };

  it('refuses default deny without an SSH rule, names the address and the ways out', () => {
    const message = refuse({ defaults: { incoming: 'deny' }, rules: [{ rule: 'allow', port: 80, proto: 'tcp' }] }, fresh());
    expect(message).toMatch(/no rule admits SSH on port 22\/tcp from 172\.18\.0\.1/);
    expect(message).toMatch(/force: true/);
  });

  it('force: true lets it through', () => {
    expect(lines({ force: true, rules: [{ rule: 'allow', port: 80, proto: 'tcp' }] }, fresh())).toEqual(['allow 80/tcp from any', 'enable firewall']);
  });

  it('a CIDR containing the controller admits; one that does not, does not', () => {
    expect(lines({ rules: [{ rule: 'limit', port: 22, proto: 'tcp', from: '172.18.0.0/16' }] }, fresh())).toHaveLength(2);
    expect(() => plan({ rules: [{ rule: 'allow', port: 22, proto: 'tcp', from: '172.19.0.0/16' }] }, fresh())).toThrow(TaskError);
    expect(() => plan({ rules: [{ rule: 'allow', port: 22, proto: 'udp' }] }, fresh())).toThrow(TaskError);
  });

  it('the SSH port: the session port by default, sshPort when given; ranges count', () => {
    const on2222 = fresh({ ssh: { ...session, serverPort: 2222 } });
    expect(() => plan({ rules: [{ rule: 'allow', port: 22, proto: 'tcp' }] }, on2222)).toThrow(/port 2222/);
    expect(lines({ rules: [{ rule: 'allow', port: '2000:3000', proto: 'tcp' }] }, on2222)).toHaveLength(2);
    expect(() => plan({ sshPort: 2200, rules: [{ rule: 'allow', port: 22 }] }, fresh())).toThrow(/port 2200/);
  });

  it('an earlier deny matching the controller wins over a later allow (first match decides)', () => {
    const state = fresh({ rules: tuples('deny tcp 22 0.0.0.0/0 any 172.18.0.0/16 in') });
    expect(() => plan({ rules: [{ rule: 'allow', port: 22, proto: 'tcp' }] }, state)).toThrow(/would match it first/);
  });

  it('an existing SSH rule that stays counts; purging it does not', () => {
    const state = fresh({ rules: tuples('allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in') });
    expect(lines({ rules: [{ rule: 'allow', port: 80, proto: 'tcp' }] }, state)).toEqual(['allow 80/tcp from any', 'enable firewall']);
    expect(() => plan({ purge: true, rules: [{ rule: 'allow', port: 80, proto: 'tcp' }] }, state)).toThrow(TaskError);
  });

  it('with the session origin unknown, only a rule from any is known to admit', () => {
    expect(() => plan({ rules: [{ rule: 'allow', port: 22, from: '10.0.0.0/8' }] }, fresh({ ssh: null }))).toThrow(/could not be read/);
    expect(lines({ rules: [{ rule: 'allow', port: 22 }] }, fresh({ ssh: null }))).toHaveLength(2);
  });

  it('an IPv6-only rule does not admit an IPv4 controller', () => {
    const state = fresh({ rules: parseUserRules('', '### tuple ### allow tcp 22 ::/0 any ::/0 in') });
    expect(() => plan({ defaults: { incoming: 'deny' } }, state)).toThrow(TaskError);
  });

  it('default incoming allow needs no SSH rule', () => {
    expect(lines({ defaults: { incoming: 'allow' } }, fresh())).toEqual(['default incoming deny → allow', 'enable firewall']);
  });
});

describe('schema', () => {
  const issues = (input: unknown) => {
    const result = firewallSchema.safeParse(input);
    return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('normalises addresses and ports the way ufw stores them', () => {
    const args = firewallSchema.parse({ rules: [{ rule: 'allow', port: '443,80', proto: 'tcp', from: '10.9.0.1/8' }] });
    expect(args.rules[0]).toMatchObject({ port: '80,443', from: '10.0.0.0/8', to: 'any', direction: 'in' });
    expect(args).toMatchObject({ state: 'enabled', purge: false, force: false, defaults: {} });
  });

  it('refuses what ufw would refuse, with clear messages', () => {
    expect(issues({ rules: [{ rule: 'allow', port: '6000:6007' }] })).toEqual(["rules.0.proto: a port range or list needs proto 'tcp' or 'udp' (ufw refuses it with any)"]);
    expect(issues({ rules: [{ rule: 'allow', from: '10.0.0.0/8', to: '2001:db8::1' }] })).toEqual(["rules.0.to: 'from' and 'to' mix IPv4 and IPv6"]);
    expect(issues({ rules: [{ rule: 'allow', comment: "it's" }] })[0]).toMatch(/single quotes/);
    expect(issues({ rules: [{ rule: 'allow', from: 'example.com' }] })[0]).toMatch(/^rules.0.from: expected 'any'/);
    expect(issues({ rules: [{ rule: 'allow', port: 0 }] })[0]).toMatch(/^rules.0.port: expected a port/);
    expect(issues({ rules: [{ rule: 'allow', port: '70000' }] })).toHaveLength(1);
    expect(issues({ rules: [{ rule: 'allow', prot: 'tcp' }] })).toHaveLength(1);
    expect(issues({ rules: [{ rule: 'allow', port: 22 }, { rule: 'allow', port: '22', comment: 'x' }] })).toEqual([
      'rules.1: the same rule as rules[0] (only the comment may differ)',
    ]);
  });
});

describe('portless protocols (keepalived VRRP between a pair)', () => {
  const VRRP: FirewallInput = { rules: [{ rule: 'allow', proto: 'vrrp', from: '10.0.0.3', comment: 'vrrp from lb-02' }], force: true };

  it('adds, describes and deletes a protocol rule in ufw 0.36 syntax', () => {
    const rule = toUfwRule(firewallSchema.parse(VRRP).rules[0]);
    expect(addRuleCommand(rule)).toBe("ufw allow in proto vrrp from 10.0.0.3 to any comment 'vrrp from lb-02'");
    expect(lines(VRRP, fresh())).toEqual(["allow all vrrp from 10.0.0.3 (comment 'vrrp from lb-02')", 'enable firewall']);
    expect(deleteRuleCommand(tuples('allow vrrp any 0.0.0.0/0 any 10.0.0.3 in')[0])).toBe('ufw delete allow in proto vrrp from 10.0.0.3 to any');
  });

  it('the stored tuple counts as the declared rule: nothing to do', () => {
    const state = fresh({ active: true, enabledAtBoot: true, rules: tuples('allow vrrp any 0.0.0.0/0 any 10.0.0.3 in comment=767272702066726f6d206c622d3032') });
    expect(lines(VRRP, state)).toEqual([]);
  });

  it('refuses a port with a portless protocol and an unknown protocol', () => {
    const issues = (input: unknown) => {
      const result = firewallSchema.safeParse(input);
      return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(issues({ rules: [{ rule: 'allow', proto: 'vrrp', port: 112 }] })).toEqual(['rules.0.port: this protocol has no ports: leave port out']);
    expect(issues({ rules: [{ rule: 'allow', proto: 'sctp' }] })).toHaveLength(1);
  });
});

describe('commands', () => {
  it('quotes comments and app names', () => {
    const rule = toUfwRule(firewallSchema.parse({ rules: [{ rule: 'limit', port: 22, proto: 'tcp', from: '10.0.0.0/8', comment: 'ssh; rm -rf / "x"' }] }).rules[0]);
    expect(addRuleCommand(rule)).toBe(`ufw limit in proto tcp from 10.0.0.0/8 to any port 22 comment 'ssh; rm -rf / "x"'`);
    const app = parseTupleLine('### tuple ### allow tcp 80,443 0.0.0.0/0 any 10.0.0.0/8 WWW%20Full - in', 4)!;
    expect(deleteRuleCommand(app)).toBe(`ufw delete allow in from 10.0.0.0/8 to any app 'WWW Full'`);
  });

  it('delete commands for logging, interface and route rules (each run against ufw 0.36.2)', () => {
    const del = (line: string) => deleteRuleCommand(tuples(line)[0]);
    expect(del('allow_log tcp 8443 0.0.0.0/0 any 0.0.0.0/0 in')).toBe('ufw delete allow in log proto tcp from any to any port 8443');
    expect(del('deny udp 53 1.1.1.1 any 0.0.0.0/0 out_eth0')).toBe('ufw delete deny out on eth0 proto udp from any to 1.1.1.1 port 53');
    expect(del('route:allow tcp 5432 10.0.0.0/24 any 0.0.0.0/0 in_eth0!out_eth1')).toBe(
      'ufw route delete allow in on eth0 out on eth1 proto tcp from any to 10.0.0.0/24 port 5432',
    );
    expect(del('route:deny any any 0.0.0.0/0 any 10.0.0.0/8 in')).toBe('ufw route delete deny from 10.0.0.0/8 to any');
  });
});

describe('rule order', () => {
  const active = (rules: ReturnType<typeof tuples>) => fresh({ active: true, enabledAtBoot: true, rules });
  const deny = { rule: 'deny', port: 22, proto: 'tcp', from: '10.0.0.5' } as const;
  const allowSsh = { rule: 'allow', port: 22, proto: 'tcp' } as const;

  it('moves a declared deny before an earlier, broader existing allow that would match first', () => {
    const state = active(tuples('allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in', 'deny tcp 22 0.0.0.0/0 any 10.0.0.5 in'));
    const planned = plan({ rules: [deny, allowSsh] }, state);
    expect(planned.changes.map((c) => c.description)).toEqual(['move deny 22/tcp from 10.0.0.5 before allow 22/tcp from any (which matches first)']);
    expect(planned.steps.move.map((m) => [m.rule.action, m.before.action])).toEqual([['deny', 'allow']]);
  });

  it('leaves the order the declaration itself asks for, and rules that only partly overlap', () => {
    const state = active(tuples('allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in', 'deny tcp 22 0.0.0.0/0 any 10.0.0.5 in'));
    expect(lines({ rules: [allowSsh, deny] }, state)).toEqual([]);
    const narrow = active(tuples('allow tcp 22 0.0.0.0/0 any 10.0.0.0/8 in', 'deny tcp any 0.0.0.0/0 any 0.0.0.0/0 in'));
    expect(lines({ rules: [{ rule: 'deny', proto: 'tcp' }, { rule: 'allow', port: 22, proto: 'tcp', from: '10.0.0.0/8' }], force: true }, narrow)).toEqual([]);
  });

  it('a new deny that an existing allow would shadow is added, then moved', () => {
    const state = active(tuples('allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in'));
    expect(lines({ rules: [allowSsh, deny] }, state)).toEqual(['deny 22/tcp from 10.0.0.5']);
    expect(lines({ rules: [deny, allowSsh] }, state)).toEqual(['deny 22/tcp from 10.0.0.5', 'move deny 22/tcp from 10.0.0.5 before allow 22/tcp from any (which matches first)']);
  });

  it('a declared deny for the match of an existing allow replaces it where it stands (as ufw does): no move', () => {
    const state = active(tuples('allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in', 'allow tcp 80 0.0.0.0/0 any 10.0.0.5 in', 'allow tcp 80 0.0.0.0/0 any 0.0.0.0/0 in'));
    const web = { rule: 'deny', port: 80, proto: 'tcp', from: '10.0.0.5' } as const;
    const planned = plan({ rules: [allowSsh, web] }, state);
    expect(planned.changes.map((c) => c.description)).toEqual(['deny 80/tcp from 10.0.0.5']);
    expect(planned.steps.move).toEqual([]);
  });
});
