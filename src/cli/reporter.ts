import type { Reporter } from '../report/reporter.ts';
import { JsonReporter } from '../report/json.ts';
import { ListrReporter } from '../report/listr.ts';
import { PlainReporter } from '../report/plain.ts';

/** --json: JSON lines; a terminal: the live listr2 tree; otherwise plain lines. */
export function chooseReporter(options: { json?: boolean; check: boolean; diff: boolean; verbose: boolean }): Reporter {
  const write = (text: string) => process.stdout.write(`${text}\n`);
  if (options.json) return new JsonReporter(write);
  const textOptions = { check: options.check, diff: options.diff, verbose: options.verbose, write };
  if (process.stdout.isTTY && !process.env.CI && !options.verbose) return new ListrReporter(textOptions);
  return new PlainReporter(textOptions);
}
