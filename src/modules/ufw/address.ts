/**
 * IPv4/IPv6 addresses and networks as ufw writes them. ufw normalises what it is given before it
 * stores a rule (`10.9.0.1/8` → `10.0.0.0/8`, `1.2.3.4/32` → `1.2.3.4`, IPv6 lower-case and
 * compressed), so declared addresses are normalised the same way or a declared rule would never
 * match the stored one. The same parsed form answers "does this rule's source cover the controller".
 */

export interface Network {
  family: 4 | 6;
  /** The network address as a big integer (32 or 128 bits). */
  bits: bigint;
  prefix: number;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function parseIpv4(text: string): bigint | null {
  const m = IPV4.exec(text);
  if (!m) return null;
  let value = 0n;
  for (const part of m.slice(1)) {
    const n = Number(part);
    if (n > 255 || (part.length > 1 && part.startsWith('0'))) return null;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

function parseIpv6(text: string): bigint | null {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || text.split('::').length > 2) return null;
  let words: string[];
  const expand = (part: string) => (part === '' ? [] : part.split(':'));
  // A trailing dotted quad (::ffff:1.2.3.4) is two 16-bit words.
  const tail = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  let body = text;
  let v4: bigint | null = null;
  if (tail) {
    v4 = parseIpv4(tail[2]);
    if (v4 === null) return null;
    body = tail[1].endsWith('::') ? tail[1] : tail[1].slice(0, -1);
  }
  const wordCount = v4 === null ? 8 : 6;
  if (body.includes('::')) {
    const [head, rest] = body.split('::');
    const h = expand(head);
    const r = expand(rest);
    if (h.length + r.length >= wordCount) return null;
    words = [...h, ...Array<string>(wordCount - h.length - r.length).fill('0'), ...r];
  } else {
    words = expand(body);
    if (words.length !== wordCount) return null;
  }
  let value = 0n;
  for (const word of words) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(word)) return null;
    value = (value << 16n) | BigInt(parseInt(word, 16));
  }
  return v4 === null ? value : (value << 32n) | v4;
}

function mask(family: 4 | 6, prefix: number): bigint {
  const width = family === 4 ? 32 : 128;
  return ((1n << BigInt(width)) - 1n) ^ ((1n << BigInt(width - prefix)) - 1n);
}

/** Parses `1.2.3.4`, `10.0.0.0/8`, `2001:db8::1`, `2001:db8::/32`; null when it is none of those. */
export function parseNetwork(text: string): Network | null {
  const [addr, prefixText, extra] = text.split('/');
  if (extra !== undefined) return null;
  const v4 = parseIpv4(addr);
  const family: 4 | 6 = v4 !== null ? 4 : 6;
  const value = v4 ?? parseIpv6(addr);
  if (value === null) return null;
  const width = family === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = prefixText === undefined ? width : Number(prefixText);
  if (prefix > width) return null;
  return { family, bits: value & mask(family, prefix), prefix };
}

function formatIpv6(value: bigint): string {
  const words = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  // RFC 5952: compress the longest run (of at least two) of zero words, the first one on a tie.
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) {
      best = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLength).join(':')}`;
}

/** The network in ufw's spelling: host bits cleared, no prefix for a single host. */
export function formatNetwork(net: Network): string {
  const addr =
    net.family === 4
      ? [24n, 16n, 8n, 0n].map((shift) => String((net.bits >> shift) & 0xffn)).join('.')
      : formatIpv6(net.bits);
  const width = net.family === 4 ? 32 : 128;
  return net.prefix === width ? addr : `${addr}/${net.prefix}`;
}

/** `any` stays `any`; an address or CIDR gets ufw's spelling. Throws on anything else. */
export function normalizeAddress(text: string): string {
  if (text === 'any') return 'any';
  const net = parseNetwork(text);
  if (!net) throw new TypeError(`not an IPv4/IPv6 address or CIDR: ${text}`);
  return formatNetwork(net);
}

/** Whether `address` (an address, never `any`) lies inside `network` (`any`, an address or a CIDR). */
export function networkContains(network: string, address: string): boolean {
  if (network === 'any') return true;
  const net = parseNetwork(network);
  const host = parseNetwork(unmapIpv4(address));
  if (!net || !host || net.family !== host.family) return false;
  return (host.bits & mask(net.family, net.prefix)) === net.bits;
}

/** sshd reports an IPv4 client on a dual-stack socket as `::ffff:1.2.3.4`; iptables sees 1.2.3.4. */
export function unmapIpv4(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1] : address;
}

export function addressFamily(text: string): 4 | 6 | null {
  if (text === 'any') return null;
  return parseNetwork(text)?.family ?? null;
}
