import type { Connector } from '../engine/run.ts';
import { gatherFacts } from '../facts/gather.ts';
import { connect } from '../transport/ssh.ts';

/** The SSH connector the CLI uses: one connection per host, facts in one command. */
export function sshConnector(options: { acceptNewHostKeys: boolean }): Connector {
  return {
    connect: (host) => connect(host.name, host.connection, { acceptNewHostKeys: options.acceptNewHostKeys }),
    gatherFacts,
  };
}
