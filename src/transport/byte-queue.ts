/**
 * A FIFO of received bytes that can be searched for a marker without copying everything on every
 * chunk: a command printing 5 MB arrives in ~80 chunks, and re-concatenating the whole buffer per
 * chunk would be quadratic. Searches only look at bytes not searched before (plus an overlap the
 * length of the pattern, so a marker split across two chunks is still found).
 */
export class ByteQueue {
  #chunks: Buffer[] = [];
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#length += chunk.length;
  }

  /** Offset of the first occurrence of `pattern` at or after `from`, or -1. */
  indexOf(pattern: Buffer, from = 0): number {
    let base = 0; // absolute offset of the current chunk
    let carry: Buffer | null = null; // bytes just before `base` (all >= from) that may start a match
    for (const chunk of this.#chunks) {
      const end = base + chunk.length;
      if (end <= from) {
        base = end;
        continue;
      }
      const window: Buffer = carry ? Buffer.concat([carry, chunk]) : chunk;
      const windowStart = base - (carry ? carry.length : 0);
      const searchFrom = Math.max(0, from - windowStart);
      const found = window.indexOf(pattern, searchFrom);
      if (found !== -1) return windowStart + found;
      const keep = Math.min(pattern.length - 1, window.length - searchFrom);
      carry = keep > 0 ? Buffer.from(window.subarray(window.length - keep)) : null;
      base = end;
    }
    return -1;
  }

  /** Removes and returns the first `count` bytes. */
  take(count: number): Buffer {
    if (count > this.#length) throw new RangeError(`take(${count}) with ${this.#length} bytes queued`);
    const parts: Buffer[] = [];
    let needed = count;
    while (needed > 0) {
      const head = this.#chunks[0];
      if (head.length <= needed) {
        parts.push(head);
        this.#chunks.shift();
        needed -= head.length;
      } else {
        parts.push(head.subarray(0, needed));
        this.#chunks[0] = head.subarray(needed);
        needed = 0;
      }
    }
    this.#length -= count;
    return parts.length === 1 ? parts[0] : Buffer.concat(parts, count);
  }
}
