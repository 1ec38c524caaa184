import { CommandError } from '../errors.ts';
import type { HostConnection } from '../transport/types.ts';
import { parseFacts } from './parse.ts';
import { FACTS_SCRIPT } from './script.ts';
import type { HostFacts } from './types.ts';

/** Gathers a host's facts in one remote command (one round trip in the host's session). */
export async function gatherFacts(conn: HostConnection): Promise<HostFacts> {
  const result = await conn.exec(FACTS_SCRIPT);
  // The script tolerates every missing tool, so a non-zero exit or a missing end marker means the
  // shell itself is broken (not bash, killed, out of memory): report that rather than half facts.
  if (result.exitCode !== 0 || !result.stdout.includes('@@end')) {
    throw new CommandError(`could not gather facts (exit ${result.exitCode}): ${result.stderr.trim().slice(-500)}`, result, {
      host: conn.host,
    });
  }
  return parseFacts(result.stdout);
}
