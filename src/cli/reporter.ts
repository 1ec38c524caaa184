import type { Reporter } from '../engine/reporter.ts';
import { JsonReporter } from '../report/json.ts';

/**
 * --json: JSON lines; a terminal: the live listr2 tree; otherwise plain lines. The text reporters
 * (listr2, diff) load only when chosen: a run pays for no code it does not use.
 */
export async function chooseReporter(options: { json?: boolean; check: boolean; diff: boolean; verbose: boolean; shard?: string }): Promise<Reporter> {
  const write = (text: string) => process.stdout.write(`${text}\n`);
  if (options.json) return new JsonReporter(write, { diff: options.diff, shard: options.shard });
  const textOptions = { check: options.check, diff: options.diff, verbose: options.verbose, write };
  if (process.stdout.isTTY && !process.env.CI && !options.verbose) return new (await import('../report/listr.ts')).ListrReporter(textOptions);
  return new (await import('../report/plain.ts')).PlainReporter(textOptions);
}
