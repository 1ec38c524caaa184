import type { Reporter } from '../engine/reporter.ts';
import { JsonReporter } from '../report/json.ts';

/**
 * --json: JSON lines; a terminal: the live listr2 tree; otherwise plain lines. The text reporters
 * (listr2, diff) load only when chosen: a run pays for no code it does not use.
 */
export async function chooseReporter(options: { json?: boolean; check: boolean; diff: boolean; verbose: boolean; shard?: string; hosts?: number }): Promise<Reporter> {
  const write = (text: string) => process.stdout.write(`${text}\n`);
  if (options.json) return new JsonReporter(write, { diff: options.diff, shard: options.shard });
  const textOptions = { check: options.check, diff: options.diff, verbose: options.verbose, write };
  if (process.stdout.isTTY && !process.env.CI && !options.verbose) {
    const { SummaryReporter, SUMMARY_VIEW_HOSTS } = await import('../report/summary.ts');
    // A row per host is unreadable for a large fleet: one line of counts per play instead.
    if ((options.hosts ?? 0) > SUMMARY_VIEW_HOSTS) return new SummaryReporter({ ...textOptions, status: (text) => process.stdout.write(`\r\u001b[K${text}`) });
    return new (await import('../report/listr.ts')).ListrReporter(textOptions);
  }
  return new (await import('../report/plain.ts')).PlainReporter(textOptions);
}
