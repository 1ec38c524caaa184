/** Talking to one load balancer's admin socket: the task's own host or a peer of the run. */
import { TaskError } from '../../errors.ts';
import type { TaskContext } from '../../task/types.ts';
import { SOCKET_TIMEOUT_S, socketCommand } from './probe.ts';

export interface RuntimeApi {
  /** The load balancer's host name, for messages. */
  host: string;
  /** Sends one runtime API command line; returns HAProxy's answer. */
  send(command: string): Promise<string>;
}

/** The runtime API of each load balancer the task acts on (its own host when the list is empty). */
export function runtimeApis(ctx: TaskContext, loadBalancers: string[], socket: string): RuntimeApi[] {
  const names = loadBalancers.length ? loadBalancers : [ctx.host.name];
  return names.map((name) => {
    // The admin socket is root's (mode 600): always through sudo.
    const exec = name === ctx.host.name
      ? (command: string, stdin: string) => ctx.exec(command, { become: true, stdin })
      : (command: string, stdin: string) => ctx.peer(name).exec(command, { become: true, stdin });
    return {
      host: name,
      async send(line) {
        const result = await exec(socketCommand(socket), `${line}\n`);
        if (result.exitCode !== 0) {
          const why =
            result.exitCode === 127 ? 'socat is not installed'
            : result.exitCode === 124 ? `no answer within ${SOCKET_TIMEOUT_S}s`
            : result.stderr.trim() || `exit ${result.exitCode}`;
          throw new TaskError(`${name}: HAProxy admin socket ${socket}: "${line}" failed: ${why}`);
        }
        return result.stdout;
      },
    };
  });
}
