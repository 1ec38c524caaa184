import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { normalizeAddress, networkContains } from '../../src/modules/ufw/address.ts';
import { normalizePorts, parsePorts, portsInclude } from '../../src/modules/ufw/ports.ts';
import { parseProbe, parseShellVars, parseSshConnection, parseStatusLine } from '../../src/modules/ufw/state.ts';
import { parseTupleLine, parseUserRules } from '../../src/modules/ufw/tuples.ts';

// Recorded from Debian 13 (ufw 0.36.2) in a lab container; see test/fixtures/ufw/.
const fixture = (name: string) => readFileSync(new URL(`../fixtures/ufw/${name}`, import.meta.url), 'utf8');

describe('ufw tuples', () => {
  it('reads a rule with a hex comment and a source network', () => {
    expect(parseTupleLine('### tuple ### allow tcp 80 0.0.0.0/0 any 10.0.0.0/8 in comment=7765622066726f6d206c62', 4)).toEqual({
      action: 'allow', log: '', route: false, proto: 'tcp', dport: '80', dst: 'any', sport: 'any', src: '10.0.0.0/8',
      dapp: '', sapp: '', direction: 'in', interfaceIn: '', interfaceOut: '', comment: 'web from lb', families: [4],
    });
  });

  it('reads app, logging, interface and route tuples', () => {
    expect(parseTupleLine('### tuple ### allow tcp 80,443 0.0.0.0/0 any 10.0.0.0/8 WWW%20Full - in', 4)).toMatchObject({ dapp: 'WWW Full', sapp: '', dport: '80,443' });
    expect(parseTupleLine('### tuple ### allow_log-all any 8444 ::/0 any ::/0 in', 6)).toMatchObject({ action: 'allow', log: 'log-all', src: 'any' });
    expect(parseTupleLine('### tuple ### deny any 25 0.0.0.0/0 any 0.0.0.0/0 out', 4)).toMatchObject({ action: 'deny', direction: 'out' });
    expect(parseTupleLine('### tuple ### allow tcp 9000 0.0.0.0/0 any 0.0.0.0/0 in_eth0', 4)).toMatchObject({ interfaceIn: 'eth0', direction: 'in' });
    expect(parseTupleLine('### tuple ### route:allow tcp 5432 10.0.0.0/24 any 0.0.0.0/0 in_eth0!out_eth1', 4)).toMatchObject({
      route: true, dst: '10.0.0.0/24', interfaceIn: 'eth0', interfaceOut: 'eth1',
    });
    expect(parseTupleLine('-A ufw-user-input -p tcp --dport 22 -j ACCEPT', 4)).toBeNull();
  });

  it('merges the IPv4 and IPv6 tuples of one command into one rule, in ufw order', () => {
    const rules = parseUserRules(fixture('many-rules.user.rules'), fixture('many-rules.user6.rules'));
    const lines = rules.map((r) => `${r.action} ${r.proto} ${r.dport} ${r.src} ${r.families.join('+')}`);
    expect(lines.slice(0, 5)).toEqual([
      'allow tcp 80 10.0.0.0/8 4',
      'limit tcp 2222 any 4+6',
      'deny any 25 any 4+6',
      'allow tcp 6000:6007 any 4+6',
      'allow any any 192.168.1.5 4',
    ]);
    // The IPv6-only rule comes from user6.rules alone.
    expect(lines).toContain('allow tcp 443 2001:db8::/32 6');
    expect(rules).toHaveLength(23);
    expect(rules.find((r) => r.dport === '23')).toMatchObject({ comment: 'a\\b c', families: [4, 6] });
    expect(rules.find((r) => r.dapp === 'OpenSSH')).toMatchObject({ dport: '22', proto: 'tcp', families: [4, 6] });
  });
});

describe('ufw config and status', () => {
  it('reads quoted and bare shell variables', () => {
    const vars = parseShellVars(fixture('many-rules.default'));
    expect(vars.get('DEFAULT_INPUT_POLICY')).toBe('REJECT');
    expect(vars.get('IPV6')).toBe('yes');
    expect(parseShellVars(fixture('many-rules.ufw.conf')).get('LOGLEVEL')).toBe('medium');
  });

  it('reads the status line and refuses anything else', () => {
    expect(parseStatusLine('Status: active')).toBe(true);
    expect(parseStatusLine('Status: inactive')).toBe(false);
    expect(parseStatusLine('ERROR: You need to be root to run this script')).toBeNull();
  });

  it('reads SSH_CONNECTION, unmapping IPv4 on a dual-stack socket', () => {
    expect(parseSshConnection('172.18.0.1 40522 172.18.0.3 22')).toEqual({ client: '172.18.0.1', server: '172.18.0.3', serverPort: 22 });
    expect(parseSshConnection('::ffff:10.0.0.9 1 ::ffff:10.0.0.3 2222')).toEqual({ client: '10.0.0.9', server: '10.0.0.3', serverPort: 2222 });
    expect(parseSshConnection('')).toBeNull();
  });
});

describe('parseProbe (recorded)', () => {
  it('a fresh install: inactive, deny in, allow out, deny routed, low logging, no rules', () => {
    expect(parseProbe(fixture('probe-fresh-inactive.txt'))).toEqual({
      installed: true,
      active: false,
      enabledAtBoot: false,
      policies: { incoming: 'deny', outgoing: 'allow', routed: 'deny' },
      logLevel: 'low',
      ipv6: true,
      rules: [],
      ssh: null,
    });
  });

  it('an enabled firewall with many rules', () => {
    const state = parseProbe(fixture('probe-many-rules-active.txt'));
    expect(state).toMatchObject({ active: true, enabledAtBoot: true, logLevel: 'medium', policies: { incoming: 'reject', routed: 'allow' } });
    expect(state.rules.length).toBeGreaterThan(10);
    expect(state.rules.find((r) => r.comment === 'dns y')).toMatchObject({ action: 'reject', proto: 'udp', dst: '10.1.2.3' });
  });

  it('ufw missing', () => {
    const state = parseProbe('@@ufw\n@@status\n@@conf\n@@defaults\n@@rules4\n@@rules6\n@@ssh\n\n@@end\n');
    expect(state.installed).toBe(false);
  });

  it('fails on ufw refusing to answer (not root)', () => {
    expect(() => parseProbe('@@ufw\n/usr/sbin/ufw\n@@status\nERROR: You need to be root to run this script\n@@ssh\n@@end\n')).toThrow(/need to be root/);
  });
});

describe('addresses and ports', () => {
  it('normalises like ufw does (recorded: 10.9.0.1/8 → 10.0.0.0/8, /32 dropped, IPv6 compressed)', () => {
    expect(normalizeAddress('10.9.0.1/8')).toBe('10.0.0.0/8');
    expect(normalizeAddress('10.9.0.1/32')).toBe('10.9.0.1');
    expect(normalizeAddress('2001:DB8:0::1')).toBe('2001:db8::1');
    expect(normalizeAddress('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(normalizeAddress('any')).toBe('any');
    expect(() => normalizeAddress('10.0.0.256')).toThrow();
    expect(() => normalizeAddress('10.0.0.0/33')).toThrow();
  });

  it('IPv4 and IPv6 CIDR containment', () => {
    expect(networkContains('10.0.0.0/8', '10.200.3.4')).toBe(true);
    expect(networkContains('10.0.0.0/8', '11.0.0.1')).toBe(false);
    expect(networkContains('172.18.0.0/16', '172.18.255.1')).toBe(true);
    expect(networkContains('172.18.0.0/24', '172.18.1.1')).toBe(false);
    expect(networkContains('192.168.1.5', '192.168.1.5')).toBe(true);
    expect(networkContains('192.168.1.5', '192.168.1.6')).toBe(false);
    expect(networkContains('any', '1.2.3.4')).toBe(true);
    expect(networkContains('2001:db8::/32', '2001:db8:ffff::1')).toBe(true);
    expect(networkContains('2001:db8::/32', '10.0.0.1')).toBe(false);
    expect(networkContains('10.0.0.0/8', '::ffff:10.1.1.1')).toBe(true);
  });

  it('ports: lists sorted as ufw stores them (recorded: 9443,9080:9090 → 9080:9090,9443)', () => {
    expect(normalizePorts('9443,9080:9090')).toBe('9080:9090,9443');
    expect(parsePorts('6007:6000')).toBeNull();
    expect(parsePorts('00022')).toBeNull();
    expect(parsePorts('70000')).toBeNull();
    expect(portsInclude('6000:6007', 6003)).toBe(true);
    expect(portsInclude('80,443', 22)).toBe(false);
    expect(portsInclude('any', 22)).toBe(true);
  });
});
