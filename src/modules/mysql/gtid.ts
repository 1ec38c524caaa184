/**
 * MySQL GTID sets as values: `uuid:1-5:7,uuid2:1-3` (the text of @@gtid_executed). Pure, so the
 * topology decisions (errant transactions, the most advanced replica, whether a returning primary
 * diverged) are unit-tested without a server and name the transactions in their messages.
 */

/** Per server UUID, sorted disjoint closed intervals. */
export type GtidSet = Map<string, Array<[number, number]>>;

export function parseGtidSet(text: string): GtidSet {
  const set: GtidSet = new Map();
  for (const part of text.replace(/\s+/g, '').split(',')) {
    if (part === '') continue;
    const [uuid, ...ranges] = part.split(':');
    const intervals = set.get(uuid.toLowerCase()) ?? [];
    for (const range of ranges) {
      const [a, b] = range.split('-');
      const start = Number(a);
      const end = b === undefined ? start : Number(b);
      if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) throw new TypeError(`not a GTID set: "${text}"`);
      intervals.push([start, end]);
    }
    set.set(uuid.toLowerCase(), normalize(intervals));
  }
  return set;
}

function normalize(intervals: Array<[number, number]>): Array<[number, number]> {
  const sorted = [...intervals].sort((x, y) => x[0] - y[0]);
  const out: Array<[number, number]> = [];
  for (const [a, b] of sorted) {
    const last = out.at(-1);
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/** The transactions of `a` that `b` lacks (MySQL's GTID_SUBTRACT). */
export function subtractGtids(a: GtidSet, b: GtidSet): GtidSet {
  const out: GtidSet = new Map();
  for (const [uuid, intervals] of a) {
    let rest = intervals.map(([x, y]) => [x, y] as [number, number]);
    for (const [c, d] of b.get(uuid) ?? []) {
      rest = rest.flatMap(([x, y]): Array<[number, number]> => {
        if (d < x || c > y) return [[x, y]];
        const kept: Array<[number, number]> = [];
        if (x < c) kept.push([x, c - 1]);
        if (y > d) kept.push([d + 1, y]);
        return kept;
      });
    }
    if (rest.length) out.set(uuid, rest);
  }
  return out;
}

export function isEmptyGtidSet(set: GtidSet): boolean {
  return set.size === 0;
}

/** Whether every transaction of `a` is in `b`. */
export function gtidSubset(a: GtidSet, b: GtidSet): boolean {
  return isEmptyGtidSet(subtractGtids(a, b));
}

export function countGtids(set: GtidSet): number {
  let n = 0;
  for (const intervals of set.values()) for (const [a, b] of intervals) n += b - a + 1;
  return n;
}

/** Whether the two sets share any transaction (a common history). */
export function gtidsIntersect(a: GtidSet, b: GtidSet): boolean {
  return countGtids(subtractGtids(a, b)) < countGtids(a);
}

/** MySQL's own spelling, servers sorted: `uuid:1-5:7,uuid2:1-3`. */
export function formatGtidSet(set: GtidSet): string {
  return [...set.keys()]
    .sort()
    .map((uuid) => [uuid, ...set.get(uuid)!.map(([a, b]) => (a === b ? String(a) : `${a}-${b}`))].join(':'))
    .join(',');
}
