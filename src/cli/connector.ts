import type { Connector } from '../engine/run.ts';
import { gatherFacts } from '../facts/gather.ts';
import { acquireRunLock, type RunLockOptions } from '../transport/run-lock.ts';
import { connect, type SshConnection } from '../transport/ssh.ts';
import { connectLocal, type LocalConnection } from '../transport/local-host.ts';
import { openPendingHandlers } from '../engine/pending-handlers.ts';

/**
 * The connector the CLI uses: one connection per host (SSH, or the controller itself for
 * `connection: 'local'`), facts in one command. With `runLock` (apply, not --check) each host's run
 * lock is taken after connecting, while its facts are being gathered (a read), and always before
 * its first task. Handlers an interrupted run left pending are read with the facts.
 */
export function sshConnector(options: { acceptNewHostKeys: boolean; runLock?: RunLockOptions }): Connector<SshConnection | LocalConnection> {
  const runLock = options.runLock;
  return {
    connect: (host) =>
      host.connection.connection === 'local'
        ? connectLocal(host.name, host.connection)
        : connect(host.name, host.connection, { acceptNewHostKeys: options.acceptNewHostKeys }),
    gatherFacts,
    lock: runLock ? (conn) => acquireRunLock(conn, conn.settings, runLock) : undefined,
    pendingHandlers: openPendingHandlers,
  };
}
