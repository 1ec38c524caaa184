/**
 * "Would the firewall we are about to leave behind still let this controller in over SSH?"
 * Evaluated like iptables does: the first matching rule decides, else the default policy. A rule
 * only admits when it surely matches; a deny only counts as harmless when it surely does not, so
 * anything we cannot tell (an interface, a source port, an unknown session origin) errs on the
 * side of refusing. The established session itself would survive (conntrack), but the next run,
 * or a reconnect, would not.
 */
import { addressFamily, networkContains } from './address.ts';
import { portsInclude } from './ports.ts';
import type { Policy, SshSession } from './state.ts';
import type { UfwRule } from './tuples.ts';
import { describeRule } from './rules.ts';

export interface SshTarget {
  port: number;
  /** The controller's address as the host sees it; null when unknown. */
  client: string | null;
  /** The address the session arrived on; null when unknown. */
  server: string | null;
}

export type Admission = { admitted: true } | { admitted: false; blockedBy?: UfwRule };

/** The port to keep open: sshPort when given, else the session's own port, else 22. */
export function sshTarget(sshPort: number | undefined, session: SshSession | null): SshTarget {
  return { port: sshPort ?? session?.serverPort ?? 22, client: session?.client ?? null, server: session?.server ?? null };
}

/** `any` covers only the families the rule exists in (`from 0.0.0.0/0` is IPv4 alone). */
function anyCovers(r: UfwRule, address: string | null): boolean {
  const family = address === null ? null : addressFamily(address);
  return family === null || r.families.includes(family);
}

function addressSurelyMatches(r: UfwRule, network: string, address: string | null): boolean {
  if (network === 'any') return anyCovers(r, address);
  return address !== null && networkContains(network, address);
}

function addressMayMatch(network: string, address: string | null): boolean {
  return network === 'any' || address === null || networkContains(network, address);
}

function concernsSsh(r: UfwRule, port: number): boolean {
  return !r.route && r.direction === 'in' && (r.proto === 'tcp' || r.proto === 'any') && portsInclude(r.dport, port);
}

/** Whether incoming SSH from the controller passes `rules` (in order) and then `incoming`. */
export function admitsSsh(rules: UfwRule[], incoming: Policy, target: SshTarget): Admission {
  for (const r of rules) {
    if (!concernsSsh(r, target.port)) continue;
    if (r.action === 'allow' || r.action === 'limit') {
      const sure =
        r.interfaceIn === '' &&
        r.sport === 'any' &&
        addressSurelyMatches(r, r.src, target.client) &&
        addressSurelyMatches(r, r.dst, target.server);
      if (sure) return { admitted: true };
    } else if (addressMayMatch(r.src, target.client) && addressMayMatch(r.dst, target.server)) {
      return { admitted: false, blockedBy: r };
    }
  }
  return incoming === 'allow' ? { admitted: true } : { admitted: false };
}

/** The refusal message: what is missing and the two ways out. */
export function lockoutMessage(admission: Admission, incoming: Policy, target: SshTarget): string {
  const who = target.client ? `from ${target.client} (this session's address as the host sees it)` : 'from any address (this session\'s origin could not be read, so only a rule from \'any\' is known to cover it)';
  const blocked = !admission.admitted && admission.blockedBy ? `; the rule "${describeRule(admission.blockedBy)}" would match it first` : '';
  const example = `{ rule: 'allow', port: ${target.port}, proto: 'tcp', from: '${target.client ?? 'any'}' }`;
  return (
    `refusing to enable ufw with default incoming ${incoming}: no rule admits SSH on port ${target.port}/tcp ${who}${blocked}. ` +
    `Declare e.g. ${example}, or set force: true if another way in exists`
  );
}
