/**
 * Opens the connections of a run up front and in parallel, so the first play does not wait host by
 * host. Concurrency is bounded: each handshake costs controller CPU (key exchange), and a 2-core
 * controller gains nothing from starting 100 at once. An unreachable host is recorded with its
 * error, never thrown: the engine marks it unreachable and the others carry on.
 */
import { ConfigError, ConnectionError } from '../errors.ts';
import type { InventoryHost } from '../inventory/types.ts';
import { connect, type ConnectOptions } from './ssh.ts';
import type { HostConnection } from './types.ts';

export type ConnectionOutcome = HostConnection | ConnectionError | ConfigError;

export interface PoolOptions extends ConnectOptions {
  /** Handshakes in flight at once (default 32). */
  concurrency?: number;
  /** Replaces SSH (tests, local runs). */
  connectHost?: (host: InventoryHost) => Promise<HostConnection>;
}

export interface ConnectionPool {
  /** Inventory name → its connection, or why it could not be made. In inventory order. */
  connections: Map<string, ConnectionOutcome>;
  closeAll(): Promise<void>;
}

export function isConnected(outcome: ConnectionOutcome | undefined): outcome is HostConnection {
  return outcome !== undefined && !(outcome instanceof Error);
}

export async function openConnections(hosts: InventoryHost[], options: PoolOptions = {}): Promise<ConnectionPool> {
  const open = options.connectHost ?? ((host: InventoryHost) => connect(host.name, host.connection, options));
  const connections = new Map<string, ConnectionOutcome>(hosts.map((host) => [host.name, new ConnectionError(`host ${host.name}: not connected`)]));
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < hosts.length) {
      const host = hosts[next++];
      try {
        connections.set(host.name, await open(host));
      } catch (error) {
        // Anything else is a bug and must not be reported as an unreachable host.
        if (!(error instanceof ConnectionError || error instanceof ConfigError)) throw error;
        connections.set(host.name, error);
      }
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 32, hosts.length)) }, worker);
  const settled = await Promise.allSettled(workers);
  const pool: ConnectionPool = {
    connections,
    closeAll: async () => {
      await Promise.all([...connections.values()].filter(isConnected).map((conn) => conn.close().catch(() => undefined)));
    },
  };
  const bug = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (bug) {
    await pool.closeAll();
    throw bug.reason;
  }
  return pool;
}
