import type { HostConnection } from '../transport/types.ts';
import { mapLimit } from './concurrency.ts';

/**
 * The connect phase, for a run and for the one-command CLI verbs (facts, ad-hoc): connects to each
 * host in parallel (bounded by forks), then prepares it on its connection (facts, run lock, or the
 * verb's own command). A failure of any step closes the connection and is that host's outcome;
 * the callbacks hear each host as soon as it is done, so a slow host holds up no report of another.
 */
export async function connectEach<C extends HostConnection, T>(
  names: string[],
  forks: number,
  steps: {
    connect(name: string): Promise<C>;
    prepare(conn: C, name: string): Promise<T>;
    ready(name: string, conn: C, value: T): void | Promise<void>;
    failed(name: string, error: unknown): void;
  },
): Promise<void> {
  await mapLimit(names, forks, async (name) => {
    let conn: C | undefined;
    try {
      conn = await steps.connect(name);
      await steps.ready(name, conn, await steps.prepare(conn, name));
    } catch (error) {
      await conn?.close().catch(() => undefined);
      steps.failed(name, error);
    }
  });
}
