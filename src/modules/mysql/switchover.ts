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
import { semiSyncRoleSql } from './semisync.ts';
import { DEFAULT_REPLICA_CA_PATH, DEFAULT_SOURCE_CA_PATH, pinSourceCa } from './source-ca.ts';
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
  /**
   * With `ssl`: the path on the replica where this host's MySQL CA is pinned (written there over
   * SSH, named as SOURCE_SSL_CA), where mysql.replication's sslCaFrom keeps it for the site's replicas.
   */
  sslCa: z.string().regex(/^\/[^\0\n]*$/, 'an absolute path').default(DEFAULT_REPLICA_CA_PATH),
  /** Where this host's CA is (MySQL's own by default). */
  sourceCaPath: z.string().regex(/^\/[^\0\n]*$/, 'an absolute path').default(DEFAULT_SOURCE_CA_PATH),
  /** Semi-sync is on (the plugins loaded everywhere): the new primary takes the source side, the replica the other. */
  semiSync: z.boolean().default(false),
};

const switchoverSchema = z.strictObject({
  /** Every db host with the address the others replicate from: the current primary is found among them. */
  hosts: z.array(z.strictObject({ name: z.string().min(1), address: z.string().min(1) })).min(2),
  ...sourceSchema,
  /** Seconds to wait for the candidate to catch up after the fence. */
  waitSeconds: z.number().positive().default(30),
});

type Args = z.output<typeof switchoverSchema>;

/** The plan's promote and repoint lines, with the TLS and semi-sync they bring. */
export function describeWiring(lines: string[], args: { ssl?: boolean; sslCa?: string; semiSync?: boolean }): string[] {
  return lines.map((line) => {
    if (line.startsWith('promote ') && args.semiSync) return `${line}; semi-sync source side ON`;
    if (!line.startsWith('make ')) return line;
    const extras = [args.ssl && `SOURCE_SSL=1${args.sslCa ? `, the new primary's CA pinned at ${args.sslCa}` : ''}`, args.semiSync && 'semi-sync replica side ON'].filter(Boolean);
    return extras.length ? `${line} [${extras.join('; ')}]` : line;
  });
}

type RepointArgs = Pick<Args, 'address' | 'port' | 'user' | 'password' | 'getSourcePublicKey' | 'ssl' | 'sslCa' | 'semiSync'>;

/**
 * The statements that make a server replicate from `args.address`: CHANGE ... TO with TLS and the
 * pinned CA as asked (the replication account REQUIRE SSL), and, with semi-sync, the replica side
 * enabled before START so its first connection acknowledges.
 */
export function repointSql(dialect: Dialect, args: RepointArgs, password: string, hasSource: boolean): string {
  const change = dialect.changeSource({
    host: args.address,
    port: args.port,
    user: args.user,
    password,
    autoPosition: true,
    getSourcePublicKey: args.getSourcePublicKey,
    ssl: args.ssl,
    sslCa: args.ssl ? args.sslCa : undefined,
  });
  // Threads must be stopped before CHANGE ... TO; a former primary has none to stop.
  return [hasSource ? dialect.stop : '', change, args.semiSync ? semiSyncRoleSql('replica') : '', dialect.start].filter(Boolean).join('\n');
}

/** Makes `replica` replicate from `args.address` (repointSql), and waits for both threads. */
export async function repoint(ctx: TaskContext, replica: MysqlClient, dialect: Dialect, args: RepointArgs, replicaName: string, hasSource: boolean): Promise<void> {
  const password = revealed(args.password);
  await replica.execute(repointSql(dialect, args, password, hasSource), { secrets: [password] });
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

/** Promotion; with semi-sync the source side is enabled before the node takes its first write. */
export const PROMOTE_SQL = (dialect: Dialect, semiSync = false) =>
  [dialect.stop, `RESET ${dialect.name.toUpperCase()} ALL;`, semiSync ? semiSyncRoleSql('source') : '', 'SET GLOBAL super_read_only = OFF;', 'SET GLOBAL read_only = OFF;'].filter(Boolean).join('\n');

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
    return { changes: describeWiring(plan.lines, args).map((description) => ({ description })), data: { steps: plan.steps, from: from.name } };
  },
  async apply(ctx, args, plan) {
    const where = { host: ctx.host.name, task: ctx.task };
    const { steps, from } = plan.data;
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
        await self.execute(PROMOTE_SQL(dialect, args.semiSync));
      } catch (error) {
        await unfence();
        throw error;
      }
      output.writesBlockedMs = Date.now() - started;
    }
    if (steps.includes('repoint')) {
      const old = await readLiveState(oldClient, from);
      if (!old.state.superReadOnly) await oldClient.execute('SET GLOBAL read_only = ON;\nSET GLOBAL super_read_only = ON;');
      // The IO thread reads SOURCE_SSL_CA when it connects: the file is in place before START.
      if (args.ssl) output.caPinned = await pinSourceCa(ctx, ctx.peer(from), args.sourceCaPath, args.sslCa);
      await repoint(ctx, oldClient, old.dialect, args, from, old.state.sourceHost !== '');
    }
    return { output };
  },
};
