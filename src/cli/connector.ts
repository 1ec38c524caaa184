import type { Connector } from '../engine/run.ts';
import { gatherFacts } from '../facts/gather.ts';
import { acquireRunLock, type RunLockOptions } from '../transport/run-lock.ts';
import { connect, type SshConnection } from '../transport/ssh.ts';
import { openPendingHandlers } from '../engine/pending-handlers.ts';

/**
 * The SSH connector the CLI uses: one connection per host, facts in one command. With `runLock`
 * (apply, not --check) each host's run lock is taken after connecting, while its facts are being
 * gathered (a read), and always before its first task. Handlers an interrupted run left pending
 * are read with the facts.
 */
export function sshConnector(options: { acceptNewHostKeys: boolean; runLock?: RunLockOptions }): Connector<SshConnection> {
  const runLock = options.runLock;
  return {
    connect: (host) => connect(host.name, host.connection, { acceptNewHostKeys: options.acceptNewHostKeys }),
    gatherFacts,
    lock: runLock ? (conn) => acquireRunLock(conn, conn.settings, runLock) : undefined,
    pendingHandlers: openPendingHandlers,
  };
}
