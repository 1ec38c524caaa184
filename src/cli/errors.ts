import { ShipshapeError } from '../errors.ts';
import { mask } from '../secrets/mask.ts';

/**
 * A user mistake prints one clear message and exit code 1, no stack trace (the stack with -v).
 * Anything that is not a ShipshapeError is a bug in shipshape: say so, with the stack.
 */
export function reportFatal(error: unknown, verbose: boolean): number {
  if (error instanceof ShipshapeError) {
    process.stderr.write(mask(`error: ${error.message}\n`));
    if (verbose && error.stack) process.stderr.write(mask(`${error.stack}\n`));
    if (verbose && error.cause instanceof Error && error.cause.stack) process.stderr.write(mask(`caused by: ${error.cause.stack}\n`));
    return 1;
  }
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(mask(`internal error (a bug in shipshape, please report it):\n${text}\n`));
  return 1;
}
