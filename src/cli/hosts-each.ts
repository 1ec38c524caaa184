import { connectEach } from '../engine/connect.ts';
import type { Inventory } from '../inventory/types.ts';
import type { HostConnection } from '../transport/types.ts';
import { sshConnector } from './connector.ts';

export type HostOutcome<T> = { host: string; value: T } | { host: string; error: string };

/** Connects to each host (in parallel, bounded), runs `fn`, closes; failures become outcomes. */
export async function forEachHost<T>(
  inventory: Inventory,
  names: string[],
  options: { forks: number; acceptNewHostKeys: boolean },
  fn: (conn: HostConnection) => Promise<T>,
): Promise<HostOutcome<T>[]> {
  const connector = sshConnector({ acceptNewHostKeys: options.acceptNewHostKeys });
  const outcomes = new Map<string, HostOutcome<T>>();
  await connectEach(names, options.forks, {
    connect: (host) => connector.connect(inventory.hosts.get(host)!),
    prepare: (conn) => fn(conn),
    async ready(host, conn, value) {
      outcomes.set(host, { host, value });
      await conn.close().catch(() => undefined);
    },
    failed(host, error) {
      outcomes.set(host, { host, error: error instanceof Error ? error.message : String(error) });
    },
  });
  return names.map((name) => outcomes.get(name)!);
}
