import type { RunResult } from './tools.ts';

export interface Row {
  phase: string;
  shipshape: number;
  ansible: number;
  /** Ansible with Mitogen (strategy mitogen_linear), or the best plain setting when Mitogen does not run. */
  mitogen?: number;
  floor?: number;
}

export function median(runs: RunResult[] | number[]): number {
  const values = runs.map((r) => (typeof r === 'number' ? r : r.seconds)).sort((a, b) => a - b);
  const mid = Math.floor(values.length / 2);
  return values.length % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

/** Seconds, then how many times faster shipshape is than Ansible (and Ansible + Mitogen), and shipshape / floor. */
export function printTable(rows: Row[], mitogenLabel = 'ansible+mitogen'): void {
  const withMitogen = rows.some((row) => row.mitogen !== undefined);
  const header = ['phase', 'shipshape s', 'ansible s', ...(withMitogen ? [`${mitogenLabel} s`] : []), 'floor s', 'ansible/shipshape', ...(withMitogen ? [`${mitogenLabel}/shipshape`] : []), 'shipshape/floor'];
  const opt = (value: number | undefined, text: (v: number) => string) => (value === undefined ? '-' : text(value));
  const body = rows.map((row) => [
    row.phase,
    row.shipshape.toFixed(2),
    row.ansible.toFixed(2),
    ...(withMitogen ? [opt(row.mitogen, (v) => v.toFixed(2))] : []),
    opt(row.floor, (v) => v.toFixed(2)),
    `${(row.ansible / row.shipshape).toFixed(1)}×`,
    ...(withMitogen ? [opt(row.mitogen, (v) => `${(v / row.shipshape).toFixed(1)}×`)] : []),
    opt(row.floor, (v) => `${(row.shipshape / v).toFixed(2)}×`),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const row of body) console.log(line(row));
}

/** Spaces runs so that no host set sees more than `count` new SSH connections per `windowMs`. */
export class Pacer {
  readonly #stamps = new Map<string, number[]>();
  constructor(private readonly count: number, private readonly windowMs: number) {}

  async wait(key: string): Promise<void> {
    const stamps = (this.#stamps.get(key) ?? []).filter((t) => t > Date.now() - this.windowMs);
    if (stamps.length >= this.count) await new Promise((resolve) => setTimeout(resolve, stamps[0] + this.windowMs - Date.now()));
    stamps.push(Date.now());
    this.#stamps.set(key, stamps);
  }
}
