/**
 * Port specs as ufw takes them: `22`, a range `6000:6007`, or a comma list of those (`80,443`).
 * ufw stores a list sorted by port (`443,80` is kept as `80,443` and counts as the same rule), so
 * declared lists are sorted the same way before they are compared with stored tuples.
 */

export interface PortRange {
  from: number;
  to: number;
}

const ITEM = /^([1-9]\d{0,4})(?::([1-9]\d{0,4}))?$/;

/** Parses a port spec; null when ufw would refuse it (bad number, reversed range, too long a list). */
export function parsePorts(spec: string): PortRange[] | null {
  const ranges: PortRange[] = [];
  for (const item of spec.split(',')) {
    const m = ITEM.exec(item);
    if (!m) return null;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (from > 65535 || to > 65535 || (m[2] !== undefined && to <= from)) return null;
    ranges.push({ from, to });
  }
  // iptables' multiport match takes at most 15 ports, a range counting as two.
  const slots = ranges.reduce((n, r) => n + (r.from === r.to ? 1 : 2), 0);
  if (ranges.length > 1 && slots > 15) return null;
  return ranges;
}

/** ufw's stored spelling of a port spec; `any` stays `any`. */
export function normalizePorts(spec: string): string {
  if (spec === 'any') return spec;
  const ranges = parsePorts(spec);
  if (!ranges) return spec;
  return ranges
    .sort((a, b) => a.from - b.from || a.to - b.to)
    .map((r) => (r.from === r.to ? String(r.from) : `${r.from}:${r.to}`))
    .join(',');
}

/** Whether a stored or declared port spec (`any` included) covers `port`. */
export function portsInclude(spec: string, port: number): boolean {
  if (spec === 'any') return true;
  return (parsePorts(spec) ?? []).some((r) => port >= r.from && port <= r.to);
}

/** A single port or nothing: ranges and lists need an explicit tcp/udp protocol in ufw. */
export function isSinglePort(spec: string): boolean {
  return /^[1-9]\d{0,4}$/.test(spec);
}
