/**
 * Declared rules in ufw's stored form, their human lines, and the ufw commands that add, update
 * and delete them. Every command is built with `sh`, so a comment or an app name cannot break out.
 */
import { sh } from '../../transport/quote.ts';
import type { FirewallRule } from './schema.ts';
import { addressFamily } from './address.ts';
import { familyScope, type UfwRule } from './tuples.ts';

/**
 * A declared rule as ufw would store it, so it compares with stored tuples. `0.0.0.0/0` and `::/0`
 * are `any` limited to one family; with IPv6 off in /etc/default/ufw, `any` means IPv4 alone.
 */
export function toUfwRule(r: FirewallRule, ipv6 = true): UfwRule {
  const family = [addressFamily(r.from), addressFamily(r.to)].find((f) => f !== null);
  const any = (address: string) => (address === '0.0.0.0/0' || address === '::/0' ? 'any' : address);
  return {
    action: r.rule,
    log: '',
    route: false,
    proto: r.proto,
    dport: r.port ?? 'any',
    dst: any(r.to),
    sport: 'any',
    src: any(r.from),
    dapp: '',
    sapp: '',
    direction: r.direction,
    interfaceIn: '',
    interfaceOut: '',
    comment: r.comment ?? '',
    families: family ? [family] : ipv6 ? [4, 6] : [4],
  };
}

/**
 * "allow 443/tcp from any", "deny out 25 from any to 10.0.0.0/8", "route allow 5432/tcp from any
 * to 10.0.0.0/24 in on eth0 out on eth1". Without the comment: callers add it where it matters.
 */
export function describeRule(r: UfwRule): string {
  const action = [r.route ? 'route' : '', r.action, r.log, r.direction === 'out' ? 'out' : ''].filter(Boolean).join(' ');
  const target = r.dapp ? `app '${r.dapp}'` : r.dport === 'any' ? (r.proto === 'any' ? 'all ports' : `all ${r.proto}`) : r.proto === 'any' ? r.dport : `${r.dport}/${r.proto}`;
  const source = r.sapp ? `${r.src} app '${r.sapp}'` : r.sport === 'any' ? r.src : `${r.src} port ${r.sport}`;
  const parts = [action, target, `from ${source}`];
  if (r.dst !== 'any') parts.push(`to ${r.dst}`);
  if (r.route && (r.interfaceIn || r.interfaceOut)) {
    parts.push([r.interfaceIn && `in on ${r.interfaceIn}`, r.interfaceOut && `out on ${r.interfaceOut}`].filter(Boolean).join(' '));
  } else if (r.interfaceIn || r.interfaceOut) {
    parts.push(`on ${r.interfaceIn || r.interfaceOut}`);
  }
  const scope = familyScope(r);
  if (scope === '4' || scope === '6') parts.push(`(IPv${scope} only)`);
  return parts.join(' ');
}

/** The words after `ufw [route] [delete]` that name the rule, in ufw's full syntax. */
function ruleWords(r: UfwRule): string[] {
  const words: string[] = [r.action];
  if (r.route) {
    // A route rule names its interfaces with their own directions (`in on eth0 out on eth1`),
    // and ufw refuses a bare `in`/`out` on one.
    if (r.interfaceIn) words.push('in', 'on', r.interfaceIn);
    if (r.interfaceOut) words.push('out', 'on', r.interfaceOut);
  } else {
    words.push(r.direction);
    const iface = r.direction === 'in' ? r.interfaceIn : r.interfaceOut;
    if (iface) words.push('on', iface);
  }
  // ufw wants the log keyword after the direction and interface clause.
  if (r.log) words.push(r.log);
  // With an application profile the protocol and ports come from the profile; ufw refuses both.
  const usesApp = r.dapp !== '' || r.sapp !== '';
  if (r.proto !== 'any' && !usesApp) words.push('proto', r.proto);
  // An IPv4- or IPv6-only rule between any and any is spelled with that family's "any" network.
  const scope = familyScope(r);
  words.push('from', scope === '4' ? '0.0.0.0/0' : scope === '6' ? '::/0' : r.src);
  if (r.sapp) words.push('app', r.sapp);
  else if (r.sport !== 'any') words.push('port', r.sport);
  words.push('to', r.dst);
  if (r.dapp) words.push('app', r.dapp);
  else if (r.dport !== 'any') words.push('port', r.dport);
  return words;
}

/**
 * Adds the rule, or, when ufw already has it with another comment, updates the comment in place
 * (ufw treats an existing rule with a new comment as an update; measured on ufw 0.36.2).
 */
export function addRuleCommand(r: UfwRule): string {
  const words = ruleWords(r);
  if (r.comment) words.push('comment', r.comment);
  return r.route ? sh`ufw route ${words}` : sh`ufw ${words}`;
}

/** Inserts the rule at a 1-based position of `ufw status numbered` (not for route rules). */
export function insertRuleCommand(r: UfwRule, position: number): string {
  const words = ruleWords(r);
  if (r.comment) words.push('comment', r.comment);
  return sh`ufw insert ${String(position)} ${words}`;
}

/** Deletes the rule from both address families. ufw matches without the comment. */
export function deleteRuleCommand(r: UfwRule): string {
  return r.route ? sh`ufw route delete ${ruleWords(r)}` : sh`ufw delete ${ruleWords(r)}`;
}
