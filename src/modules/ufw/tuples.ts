/**
 * ufw's own record of its rules: every rule in /etc/ufw/user.rules (IPv4) and user6.rules (IPv6)
 * is preceded by a `### tuple ###` line that ufw itself reads back, e.g.
 *
 *   ### tuple ### allow tcp 80 0.0.0.0/0 any 10.0.0.0/8 in comment=7765622066726f6d206c62
 *   ### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 OpenSSH - in
 *   ### tuple ### route:allow tcp 5432 10.0.0.0/24 any 0.0.0.0/0 in_eth0!out_eth1
 *
 * fields: action[_log|_log-all] proto dport dst sport src [dapp sapp] direction[_iface] [comment=hex].
 * Exact and unambiguous, unlike `ufw status`, whose columns lose the protocol of app rules, the
 * comment's exact text and the direction of some rules.
 */

export type RuleAction = 'allow' | 'deny' | 'reject' | 'limit';

export interface UfwRule {
  action: RuleAction;
  /** ufw's per-rule logging (`ufw allow log 22`): '' for none. */
  log: '' | 'log' | 'log-all';
  /** A `ufw route` (forwarding) rule. */
  route: boolean;
  proto: string;
  /** `any`, `22`, `6000:6007`, `80,443`. */
  dport: string;
  /** `any` or an address/CIDR in ufw's spelling (0.0.0.0/0 and ::/0 read as `any`). */
  dst: string;
  sport: string;
  src: string;
  /** Application profile names ('' for none); their ports are already resolved into dport/sport. */
  dapp: string;
  sapp: string;
  direction: 'in' | 'out';
  interfaceIn: string;
  interfaceOut: string;
  /** '' when the rule has none. */
  comment: string;
  /**
   * Which of user.rules (4) and user6.rules (6) hold the rule. Part of its identity only when both
   * addresses are `any`: `from any` is one rule in both files, `from 0.0.0.0/0` an IPv4-only rule.
   */
  families: Array<4 | 6>;
}

const ANY_NETWORK = new Set(['0.0.0.0/0', '::/0']);

function decodeHex(hex: string): string {
  return Buffer.from(hex, 'hex').toString('utf8');
}

function app(field: string): string {
  return field === '-' ? '' : field.replace(/%20/g, ' ');
}

/** Parses one tuple line; null when it is not one (or has a shape this version does not know). */
export function parseTupleLine(line: string, family: 4 | 6): UfwRule | null {
  const m = /^### tuple ### (.+)$/.exec(line.trim());
  if (!m) return null;
  const fields = m[1].trim().split(/\s+/);
  let comment = '';
  if (fields.at(-1)?.startsWith('comment=')) comment = decodeHex(fields.pop()!.slice('comment='.length));
  if (fields.length !== 7 && fields.length !== 9) return null;
  const [actionField, proto, dport, dst, sport, src] = fields;
  const [dapp, sapp] = fields.length === 9 ? [app(fields[6]), app(fields[7])] : ['', ''];
  const directionField = fields.at(-1)!;

  const route = actionField.startsWith('route:');
  const actionMatch = /^(allow|deny|reject|limit)(?:_(log|log-all))?$/.exec(route ? actionField.slice(6) : actionField);
  if (!actionMatch) return null;

  // `in`, `out`, `in_eth0`, and for route rules `in_eth0!out_eth1`.
  let direction: 'in' | 'out' | undefined;
  let interfaceIn = '';
  let interfaceOut = '';
  for (const part of directionField.split('!')) {
    const d = /^(in|out)(?:_(.+))?$/.exec(part);
    if (!d) return null;
    direction ??= d[1] as 'in' | 'out';
    if (d[2] !== undefined) {
      if (d[1] === 'in') interfaceIn = d[2];
      else interfaceOut = d[2];
    }
  }

  return {
    action: actionMatch[1] as RuleAction,
    log: (actionMatch[2] ?? '') as UfwRule['log'],
    route,
    proto,
    dport,
    dst: ANY_NETWORK.has(dst) ? 'any' : dst,
    sport,
    src: ANY_NETWORK.has(src) ? 'any' : src,
    dapp,
    sapp,
    direction: direction!,
    interfaceIn,
    interfaceOut,
    comment,
    families: [family],
  };
}

/** What makes two tuples of one file the same ufw rule (the comment does not). */
export function ruleKey(r: UfwRule): string {
  return [
    r.route ? 'route' : '',
    r.action,
    r.log,
    r.direction,
    r.interfaceIn,
    r.interfaceOut,
    r.proto,
    r.dport,
    r.dst,
    r.sport,
    r.src,
    r.dapp,
    r.sapp,
  ].join('|');
}

/** Only a rule between `any` and `any` has a family of its own; others follow their address. */
export function familyScope(r: UfwRule): 'both' | '4' | '6' | '' {
  if (r.src !== 'any' || r.dst !== 'any') return '';
  if (r.families.includes(4) && r.families.includes(6)) return 'both';
  return r.families[0] === 6 ? '6' : '4';
}

/**
 * The identity of each per-family half of a rule (the comment is not part of it). ufw writes an
 * `any` rule as one tuple per file and deletes either half alone (`from ::/0` deletes the IPv6
 * one), so rules are compared half by half.
 */
export function familyKeys(r: UfwRule): string[] {
  return r.families.map((family) => familyKey(r, family));
}

/** The identity of one per-family half of a rule. */
export function familyKey(r: UfwRule, family: UfwRule['families'][number]): string {
  return `${ruleKey(r)}|${family}`;
}

/**
 * All rules of both files in ufw's order (IPv4 file first). A rule for `any` address is written to
 * both files by one ufw command, so its two tuples become one rule with both families (and an
 * IPv4-only `0.0.0.0/0` tuple next to an IPv6-only `::/0` one is exactly that state too).
 */
export function parseUserRules(rules4: string, rules6: string): UfwRule[] {
  const byKey = new Map<string, UfwRule>();
  for (const [text, family] of [
    [rules4, 4],
    [rules6, 6],
  ] as const) {
    for (const line of text.split('\n')) {
      const rule = parseTupleLine(line, family);
      if (!rule) continue;
      const key = ruleKey(rule);
      const known = byKey.get(key);
      if (known) {
        if (!known.families.includes(family)) known.families.push(family);
      } else {
        byKey.set(key, rule);
      }
    }
  }
  return [...byKey.values()];
}
