/**
 * Rule order: ufw (iptables) stops at the first matching rule, so a rule is dead when an earlier
 * rule of the opposite verdict matches every packet it matches ("allow 22/tcp" before "deny
 * 22/tcp from 10.0.0.5"). Conservative: only a sure cover counts, never a partial overlap.
 */
import { networkContains, parseNetwork } from './address.ts';
import { portsInclude } from './ports.ts';
import type { UfwRule } from './tuples.ts';

const admits = (r: UfwRule) => r.action === 'allow' || r.action === 'limit';

function coversPorts(wide: string, narrow: string): boolean {
  if (wide === 'any' || wide === narrow) return true;
  return /^\d+$/.test(narrow) && portsInclude(wide, Number(narrow));
}

function coversAddress(wide: string, narrow: string): boolean {
  if (wide === 'any' || wide === narrow) return true;
  const net = parseNetwork(narrow);
  if (!net) return false;
  // A single address (a /32 or /128) inside the wider network.
  return /^[^/]+$/.test(narrow) && networkContains(wide, narrow);
}

/** Whether `earlier` matches every packet `later` matches and decides the other way. */
export function shadows(earlier: UfwRule, later: UfwRule): boolean {
  return (
    admits(earlier) !== admits(later) &&
    earlier.route === later.route &&
    earlier.direction === later.direction &&
    (earlier.proto === 'any' || earlier.proto === later.proto) &&
    earlier.dapp === '' &&
    earlier.sapp === '' &&
    later.dapp === '' &&
    later.sapp === '' &&
    (earlier.interfaceIn === '' || earlier.interfaceIn === later.interfaceIn) &&
    (earlier.interfaceOut === '' || earlier.interfaceOut === later.interfaceOut) &&
    coversPorts(earlier.dport, later.dport) &&
    coversPorts(earlier.sport, later.sport) &&
    coversAddress(earlier.src, later.src) &&
    coversAddress(earlier.dst, later.dst) &&
    later.families.every((f) => earlier.families.includes(f))
  );
}
