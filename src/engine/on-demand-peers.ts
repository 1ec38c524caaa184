import type { ExecOptions, HostConnection, StreamOptions } from '../transport/types.ts';
import { traceEvent } from '../util/trace.ts';

/** Finds the connection to another host for a task that needs one (a CA, a replication source). */
export interface PeerLookup {
  /** `connect`: a host of the inventory that the run does not target may be connected now. */
  get(hostName: string, options?: { connect?: boolean }): HostConnection | undefined;
}

/**
 * The run's connections, plus hosts of the inventory that the run does not target (left out by
 * `--limit`), connected the first time a task that cannot do without them asks (`ctx.peer(name,
 * { connect: true })`), as Ansible's `delegate_to` does: `apply --limit web` still reaches the CA
 * on the first load balancer to sign a web host's certificate. Such a host gets no facts, no run
 * lock and no tasks of its own; its connection closes with the run. A task that only looks at a
 * peer if it answers (the failover's read of the old primary) asks without `connect`: a host left
 * out by `--limit` is not waited on.
 */
export class OnDemandPeers implements PeerLookup {
  private readonly opened = new Map<string, HostConnection>();

  constructor(
    private readonly connected: ReadonlyMap<string, HostConnection>,
    /** Connects to a host the run does not target; undefined for a name that is not such a host. */
    private readonly connect: (hostName: string) => Promise<HostConnection> | undefined,
  ) {}

  get(hostName: string, options: { connect?: boolean } = {}): HostConnection | undefined {
    const live = this.connected.get(hostName) ?? this.opened.get(hostName);
    if (live || !options.connect) return live;
    const connecting = this.connect(hostName);
    if (!connecting) return undefined;
    traceEvent({ host: hostName, event: 'connect on demand' });
    const conn = lazyConnection(hostName, connecting);
    this.opened.set(hostName, conn);
    return conn;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.opened.values()].map((conn) => conn.close()));
  }
}

/** A connection whose commands wait for the connect under way; a failed connect fails each command with its error. */
function lazyConnection(host: string, connecting: Promise<HostConnection>): HostConnection {
  let opened: HostConnection | undefined;
  // Both outcomes handled here: a failed connect that no command waits for (the run ended, or the
  // task gave up) must not become an unhandled rejection, which ends the process.
  connecting.then(
    (conn) => (opened = conn),
    () => undefined,
  );
  return {
    host,
    get channelsOpened() {
      return opened?.channelsOpened ?? 0;
    },
    async exec(command: string, options?: ExecOptions) {
      return (await connecting).exec(command, options);
    },
    async stream(command: string, options?: StreamOptions) {
      const conn = await connecting;
      if (!conn.stream) throw new Error(`the connection to ${host} cannot stream`);
      return conn.stream(command, options);
    },
    async close() {
      const conn = await connecting.catch(() => undefined);
      await conn?.close();
    },
  };
}
