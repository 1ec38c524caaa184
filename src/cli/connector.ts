import type { Connector } from '../engine/run.ts';
import { gatherFacts } from '../facts/gather.ts';
import { acquireRunLock, type RunLockOptions } from '../transport/run-lock.ts';
import { connect, type SshConnection } from '../transport/ssh.ts';
import { connectLocal, type LocalConnection } from '../transport/local-host.ts';
import { connectDocker, DockerConnection } from '../transport/docker-host.ts';
import { openPendingHandlers } from '../engine/pending-handlers.ts';

/**
 * The connector the CLI uses: one connection per host (SSH, the controller itself for
 * `connection: 'local'`, or `docker exec` for `connection: 'docker'`), facts in one command. With
 * `runLock` (apply, not --check) each host's run lock is taken after connecting, while its facts
 * are being gathered (a read), and always before its first task. Handlers an interrupted run left pending are read with the facts.
 */
export function sshConnector(options: { acceptNewHostKeys: boolean; runLock?: RunLockOptions }): Connector<SshConnection | LocalConnection> {
  const runLock = options.runLock;
  return {
    connect: (host) => {
      if (host.connection.connection === 'local') return connectLocal(host.name, host.connection);
      if (host.connection.connection === 'docker') return connectDocker(host.name, host.connection);
      return connect(host.name, host.connection, { acceptNewHostKeys: options.acceptNewHostKeys });
    },
    gatherFacts,
    lock: runLock
      ? (conn) => {
          if (conn instanceof DockerConnection) {
            const target = conn.lockTarget();
            return acquireRunLock(target.opener, target.settings, runLock);
          }
          return acquireRunLock(conn, conn.settings, runLock);
        }
      : undefined,
    pendingHandlers: openPendingHandlers,
  };
}
