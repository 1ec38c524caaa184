import { CommandError } from '../errors.ts';
import type { HostConnection } from '../transport/types.ts';
import { parseFacts } from './parse.ts';
import { FACTS_SCRIPT } from './script.ts';
import type { HostFacts } from './types.ts';

/**
 * Gathers a host's facts in one remote command (one round trip in the host's session). With
 * `become`, it runs in the root session the tasks will use anyway, so a host whose tasks all become
 * root never starts a second shell (a sudo and a bash fewer per host and run).
 */
export async function gatherFacts(conn: HostConnection, options: { become?: boolean } = {}): Promise<HostFacts> {
  const result = await conn.exec(FACTS_SCRIPT, { become: options.become ?? false });
  // The script tolerates every missing tool, so a non-zero exit or a missing end marker means the
  // shell itself is broken (not bash, killed, out of memory): report that rather than half facts.
  if (result.exitCode !== 0 || !result.stdout.includes('@@end')) {
    throw new CommandError(`could not gather facts (exit ${result.exitCode}): ${result.stderr.trim().slice(-500)}`, result, {
      host: conn.host,
    });
  }
  return parseFacts(result.stdout);
}
