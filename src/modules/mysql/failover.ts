/**
 * `mysql.failover`, run on the chosen replica while the primary is gone: checks the candidate is
 * the most advanced of the replicas that answer (and has no errant transactions when the old
 * primary still answers), applies what its relay log already holds, and promotes it. The old
 * primary is fenced by its own configuration: every server starts with super_read_only = ON and
 * only a primary is made writable at runtime, so a returning old primary takes no writes.
 */
import { z } from 'zod';
import { TaskError } from '../../errors.ts';
import type { Module } from '../../task/types.ts';
import { sqlInt, sqlString } from './sql.ts';
import { planFailover, type FailoverStep, type LiveDbState } from './topology-plan.ts';
import { describeWiring, PROMOTE_SQL } from './switchover.ts';
import { peerClient, readLiveState, tryLiveState } from './topology.ts';

const failoverSchema = z.strictObject({
  /** Inventory name of the failed primary. */
  from: z.string().min(1),
  /** The other replicas (inventory names), to check this one is the most advanced. */
  replicas: z.array(z.string().min(1)).default([]),
  /** Seconds to wait for the relay log to be applied. */
  waitSeconds: z.number().positive().default(60),
  /** Semi-sync is on (the plugins loaded everywhere): the promoted node takes the source side. */
  semiSync: z.boolean().default(false),
});

type Args = z.output<typeof failoverSchema>;

export const mysqlFailoverModule: Module<Args, FailoverStep[], z.input<typeof failoverSchema>> = {
  name: 'mysql.failover',
  schema: failoverSchema,
  describe: (args) => `mysql failover from ${args.from}`,
  async plan(ctx, args) {
    const candidate = await readLiveState(peerClient(ctx, ctx.host.name), ctx.host.name);
    const others = (await Promise.all(args.replicas.filter((r) => r !== ctx.host.name).map((r) => tryLiveState(ctx, r)))).filter((s): s is LiveDbState => s !== undefined);
    const primary = await tryLiveState(ctx, args.from);
    const plan = planFailover(candidate.state, others, primary, args.from);
    if (!plan.ok) throw new TaskError(plan.error, { host: ctx.host.name, task: ctx.task });
    return { changes: describeWiring(plan.lines, { semiSync: args.semiSync }).map((description) => ({ description })), notes: plan.notes, data: plan.steps };
  },
  async apply(ctx, args, plan) {
    const self = peerClient(ctx, ctx.host.name);
    const { state, dialect } = await readLiveState(self, ctx.host.name);
    if (plan.data.includes('drain-relay-log') && state.retrievedGtids) {
      // The IO thread is down with its primary; the SQL thread still applies what was received.
      const [{ timedOut }] = await self.query(`SELECT WAIT_FOR_EXECUTED_GTID_SET(${sqlString(state.retrievedGtids)}, ${sqlInt(args.waitSeconds)}) AS timedOut;`, {
        timeoutMs: (args.waitSeconds + 30) * 1000,
      });
      if (timedOut !== '0') throw new TaskError(`the relay log was not applied within ${args.waitSeconds} s; nothing was promoted`, { host: ctx.host.name, task: ctx.task });
    }
    await self.execute(PROMOTE_SQL(dialect, args.semiSync));
    const [{ gtids }] = await self.query('SELECT @@GLOBAL.gtid_executed AS gtids;');
    return { output: { gtidExecuted: gtids.replace(/\s+/g, '') } };
  },
};
