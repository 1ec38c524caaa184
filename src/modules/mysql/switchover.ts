/**
 * `mysql.switchover`, run on the candidate: the planned change of primary, as steps planned from
 * the live state of both servers (topology-plan.ts): fence the old primary (super_read_only), wait
 * (bounded) until the candidate executed the old primary's whole GTID set, refuse errant
 * transactions, promote the candidate, make the old primary its replica with auto-positioning.
 * A failure before the promotion lifts the fence again: the old primary keeps serving.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { TaskError } from '../../errors.ts';
import { registerSecretValue } from '../../secrets/mask.ts';
import { Secret, revealed } from '../../secrets/secret.ts';
import type { Module, TaskContext } from '../../task/types.ts';
import type { MysqlClient } from './client.ts';
import type { Dialect } from './dialect.ts';
import { sqlInt, sqlString } from './sql.ts';
import { errantGtids, planSwitchover, type SwitchoverStep } from './topology-plan.ts';
import { peerClient, readLiveState } from './topology.ts';

export const sourceSchema = {
  /** The address the other servers use for this host (the new source). */
  address: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(3306),
  user: z.string().min(1).max(32),
  password: z.union([z.string(), z.instanceof(Secret)]),
  getSourcePublicKey: z.boolean().default(true),
  ssl: z.boolean().optional(),
};

const switchoverSchema = z.strictObject({
  /** Every db host with the address the others replicate from: the current primary is found among them. */
  hosts: z.array(z.strictObject({ name: z.string().min(1), address: z.string().min(1) })).min(2),
  ...sourceSchema,
  /** Seconds to wait for the candidate to catch up after the fence. */
  waitSeconds: z.number().positive().default(30),
});

type Args = z.output<typeof switchoverSchema>;

/** Makes `replica` replicate from `args.address` (the dialect's CHANGE ... TO: SSL and all), and waits for both threads. */
export async function repoint(
  ctx: TaskContext,
  replica: MysqlClient,
  dialect: Dialect,
  args: Pick<Args, 'address' | 'port' | 'user' | 'password' | 'getSourcePublicKey' | 'ssl'>,
  replicaName: string,
  hasSource: boolean,
): Promise<void> {
  const password = revealed(args.password);
  const change = dialect.changeSource({ host: args.address, port: args.port, user: args.user, password, autoPosition: true, getSourcePublicKey: args.getSourcePublicKey, ssl: args.ssl });
  // Threads must be stopped before CHANGE ... TO; a former primary has none to stop.
  await replica.execute(`${hasSource ? dialect.stop : ''}\n${change}\n${dialect.start}`, { secrets: [password] });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const [status] = await replica.query(dialect.showStatus);
    const s = status ? dialect.parseStatus(status) : undefined;
    if (s && (s.lastIoError || s.lastSqlError)) throw new TaskError(`${replicaName} does not replicate from ${args.address}: ${s.lastIoError || s.lastSqlError}`, { host: ctx.host.name, task: ctx.task });
    if (s?.ioRunning === 'Yes' && s.sqlRunning === 'Yes') return;
    if (Date.now() > deadline) throw new TaskError(`${replicaName}: replication threads not running after 30 s (IO ${s?.ioRunning}, SQL ${s?.sqlRunning})`, { host: ctx.host.name, task: ctx.task });
    await sleep(300);
  }
}

export const PROMOTE_SQL = (dialect: Dialect) => `${dialect.stop}\nRESET ${dialect.name.toUpperCase()} ALL;\nSET GLOBAL super_read_only = OFF;\nSET GLOBAL read_only = OFF;`;

export const mysqlSwitchoverModule: Module<Args, { steps: SwitchoverStep[]; from: string }, z.input<typeof switchoverSchema>> = {
  name: 'mysql.switchover',
  schema: switchoverSchema,
  describe: () => `mysql switchover to this host`,
  async plan(ctx, args) {
    registerSecretValue(revealed(args.password));
    const candidate = await readLiveState(peerClient(ctx, ctx.host.name), ctx.host.name);
    // The current primary: the candidate's source; once switched, the host replicating from the candidate.
    const others = args.hosts.filter((h) => h.name !== ctx.host.name);
    let from = others.find((h) => h.address === candidate.state.sourceHost);
    if (!from) {
      const states = await Promise.all(others.map((h) => readLiveState(peerClient(ctx, h.name), h.name).then((s) => s.state).catch(() => undefined)));
      from = others.find((_, i) => states[i]?.sourceHost === args.address) ?? others.find((_, i) => states[i] && states[i]!.sourceHost === '');
    }
    if (!from) throw new TaskError(`cannot tell which host is the current primary: ${ctx.host.name} replicates from ${candidate.state.sourceHost || 'no one'}`, { host: ctx.host.name, task: ctx.task });
    const old = await readLiveState(peerClient(ctx, from.name), from.name);
    const plan = planSwitchover(old.state, candidate.state, args.address, from.address, args.waitSeconds);
    if (!plan.ok) throw new TaskError(plan.error, { host: ctx.host.name, task: ctx.task });
    return { changes: plan.lines.map((description) => ({ description })), data: { steps: plan.steps, from: from.name } };
  },
  async apply(ctx, args, plan) {
    const where = { host: ctx.host.name, task: ctx.task };
    const { steps, from } = plan.data!;
    const oldClient = peerClient(ctx, from);
    const self = peerClient(ctx, ctx.host.name);
    const { dialect } = await readLiveState(self, ctx.host.name);
    const output: Record<string, unknown> = {};
    let fenced = false;
    const unfence = async () => {
      if (fenced) await oldClient.execute('SET GLOBAL super_read_only = OFF;\nSET GLOBAL read_only = OFF;').catch(() => undefined);
    };
    const started = Date.now();
    if (steps.includes('fence')) {
      await oldClient.execute('SET GLOBAL read_only = ON;\nSET GLOBAL super_read_only = ON;');
      fenced = true;
    }
    if (steps.includes('wait')) {
      try {
        const [{ gtids }] = await oldClient.query('SELECT @@GLOBAL.gtid_executed AS gtids;');
        const finalSet = gtids.replace(/\s+/g, '');
        const [{ timedOut }] = await self.query(`SELECT WAIT_FOR_EXECUTED_GTID_SET(${sqlString(finalSet)}, ${sqlInt(args.waitSeconds)}) AS timedOut;`, { timeoutMs: (args.waitSeconds + 30) * 1000 });
        if (timedOut !== '0') throw new TaskError(`${ctx.host.name} did not execute ${from}'s GTID set within ${args.waitSeconds} s; ${from} was made writable again`, where);
        const [{ mine }] = await self.query('SELECT @@GLOBAL.gtid_executed AS mine;');
        const errant = errantGtids(mine, finalSet);
        if (errant) throw new TaskError(`${ctx.host.name} has errant transactions that ${from} does not have: ${errant}; ${from} was made writable again, nothing else changed`, where);
        output.gtidExecuted = finalSet;
      } catch (error) {
        await unfence();
        throw error;
      }
    }
    if (steps.includes('promote')) {
      try {
        await self.execute(PROMOTE_SQL(dialect));
      } catch (error) {
        await unfence();
        throw error;
      }
      output.writesBlockedMs = Date.now() - started;
    }
    if (steps.includes('repoint')) {
      const old = await readLiveState(oldClient, from);
      if (!old.state.superReadOnly) await oldClient.execute('SET GLOBAL read_only = ON;\nSET GLOBAL super_read_only = ON;');
      await repoint(ctx, oldClient, old.dialect, args, from, old.state.sourceHost !== '');
    }
    return output;
  },
};
