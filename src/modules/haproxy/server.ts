/**
 * `haproxy.server`: a backend server's administrative state (ready / drain / maint) on every load
 * balancer, through HAProxy's runtime API. Plan reads `show servers state`; apply sets the state,
 * then waits (bounded) until the server's sessions end (drain, maint) or until HAProxy sees it UP
 * (ready).
 */
import { TaskError } from '../../errors.ts';
import type { Change, Module, TaskContext } from '../../task/types.ts';
import { adminStateOf, currentSessions, parseServersState, type ServerState } from './probe.ts';
import { runtimeApis, type RuntimeApi } from './runtime.ts';
import { haproxyServerSchema, type HaproxyServerArgs, type HaproxyServerInput } from './schema.ts';

const POLL_MS = 500;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Data {
  /** Load balancers whose state differs. */
  hosts: string[];
}

async function readServer(ctx: TaskContext, api: RuntimeApi, args: HaproxyServerArgs): Promise<ServerState> {
  const answer = await api.send(`show servers state ${args.backend}`);
  const servers = parseServersState(answer);
  if (!servers) {
    throw new TaskError(`${api.host}: HAProxy has no backend "${args.backend}" (runtime API said: ${answer.trim() || 'nothing'})`);
  }
  const server = servers.find((s) => s.server === args.server);
  if (!server) {
    const known = servers.map((s) => s.server).join(', ') || 'none';
    throw new TaskError(`${api.host}: backend "${args.backend}" has no server "${args.server}" (it has: ${known})`);
  }
  return server;
}

async function waitFor(what: string, timeoutS: number, ctx: TaskContext, check: () => Promise<string | undefined>): Promise<void> {
  const deadline = Date.now() + timeoutS * 1000;
  for (;;) {
    const pending = await check();
    if (pending === undefined) return;
    if (Date.now() >= deadline) throw new TaskError(`${what}: still ${pending} after ${timeoutS}s`);
    await sleep(POLL_MS);
  }
}

export const haproxyServerModule: Module<HaproxyServerArgs, Data, HaproxyServerInput> = {
  name: 'haproxy.server',
  schema: haproxyServerSchema,
  describe: (args) => `haproxy server ${args.backend}/${args.server}: ${args.state}`,
  async plan(ctx, args) {
    const changes: Change[] = [];
    const hosts: string[] = [];
    for (const api of runtimeApis(ctx, args.loadBalancers, args.socket)) {
      const current = adminStateOf(await readServer(ctx, api, args));
      if (current === args.state) continue;
      hosts.push(api.host);
      changes.push({ description: `${api.host}: set ${args.backend}/${args.server} ${current} → ${args.state}` });
    }
    return { changes, data: { hosts } };
  },
  async apply(ctx, args, plan) {
    const apis = runtimeApis(ctx, plan.data.hosts, args.socket);
    for (const api of apis) {
      const answer = (await api.send(`set server ${args.backend}/${args.server} state ${args.state}`)).trim();
      // Success is an empty answer; anything else is HAProxy's reason.
      if (answer) throw new TaskError(`${api.host}: set server ${args.backend}/${args.server} state ${args.state}: ${answer}`);
    }
    // Wait on every load balancer the server is in, not only those just changed: a drain set by an
    // earlier, interrupted run may still have sessions.
    const all = runtimeApis(ctx, args.loadBalancers, args.socket);
    if (args.state !== 'ready') {
      for (const api of all) {
        await waitFor(`${api.host}: ${args.backend}/${args.server} sessions`, args.drainTimeout, ctx, async () => {
          const sessions = currentSessions(await api.send('show stat'), args.backend, args.server);
          return sessions === 0 || sessions === undefined ? undefined : `${sessions} session(s)`;
        });
      }
    } else if (args.upTimeout > 0) {
      for (const api of all) {
        await waitFor(`${api.host}: ${args.backend}/${args.server} UP`, args.upTimeout, ctx, async () => {
          const server = await readServer(ctx, api, args);
          return server.opState === 2 ? undefined : `not UP (srv_op_state ${server.opState})`;
        });
      }
    }
  },
};
