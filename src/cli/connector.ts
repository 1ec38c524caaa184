import type { Connector } from '../engine/run.ts';
import { gatherFacts } from '../facts/gather.ts';
import { acquireRunLock, type RunLockOptions } from '../transport/run-lock.ts';
import { connect } from '../transport/ssh.ts';

/**
 * The SSH connector the CLI uses: one connection per host, facts in one command. With `runLock`
 * (apply, not --check) each host's run lock is taken right after connecting, before any task.
 */
export function sshConnector(options: { acceptNewHostKeys: boolean; runLock?: RunLockOptions }): Connector {
  return {
    connect: async (host) => {
      const conn = await connect(host.name, host.connection, { acceptNewHostKeys: options.acceptNewHostKeys });
      if (options.runLock) {
        try {
          await acquireRunLock(conn, conn.settings, options.runLock);
        } catch (error) {
          await conn.close().catch(() => undefined);
          throw error;
        }
      }
      return conn;
    },
    gatherFacts,
  };
}
