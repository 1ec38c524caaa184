/**
 * Reading the live MySQL topology, and two small modules of the site's database role:
 * - `mysql.topology`: the re-run guard. Reads every db host's live role and stops the run with an
 *   error naming `mysqlPrimary` when the inventory contradicts it (after a switchover or failover),
 *   before anything on the host is changed. Plans no change.
 * - `mysql.writable`: the runtime half of fencing. Every server starts read-only from its config;
 *   this makes the primary writable (and keeps replicas read-only) at runtime.
 */
import { z } from 'zod';
import { TaskError } from '../../errors.ts';
import { coalesce, type Exec } from '../../task/coalesce.ts';
import type { Module, TaskContext } from '../../task/types.ts';
import { clientFor, loginSchema, MysqlClient } from './client.ts';
import { dialectFor, parseVersion, type Dialect } from './dialect.ts';
import { checkTopology, planWritable, type LiveDbState } from './topology-plan.ts';

const STATE_SQL =
  'SELECT VERSION() AS version, @@GLOBAL.read_only AS read_only, @@GLOBAL.super_read_only AS super_read_only, @@GLOBAL.gtid_executed AS gtid_executed, @@server_uuid AS server_uuid;';

/** A client on another host of the run (its own persistent session, its own coalescing). */
export function peerClient(ctx: TaskContext, name: string): MysqlClient {
  if (name === ctx.host.name) return clientFor(ctx);
  const conn = ctx.peer(name);
  const exec: Exec = (command, options) => conn.exec(command, options);
  return new MysqlClient(exec, { host: name, task: ctx.task }, (kind, item) => coalesce(conn, true, kind, exec, item));
}

/** One host's live state and its server's SQL dialect. */
export async function readLiveState(client: MysqlClient, name: string): Promise<{ state: LiveDbState; dialect: Dialect }> {
  const [row] = await client.query(STATE_SQL);
  const dialect = dialectFor(parseVersion(row.version));
  const [status] = await client.query(dialect.showStatus);
  const parsed = status ? dialect.parseStatus(status) : undefined;
  return {
    dialect,
    state: {
      name,
      readOnly: row.read_only === '1',
      superReadOnly: row.super_read_only === '1',
      serverUuid: row.server_uuid,
      gtidExecuted: row.gtid_executed.replace(/\s+/g, ''),
      sourceHost: parsed?.host ?? '',
      ioRunning: parsed?.ioRunning ?? '',
      sqlRunning: parsed?.sqlRunning ?? '',
      retrievedGtids: (status?.Retrieved_Gtid_Set ?? '').replace(/\s+/g, ''),
    },
  };
}

/** The state of a host, or undefined when it cannot say (not connected, MySQL not installed or down). */
export async function tryLiveState(ctx: TaskContext, name: string): Promise<LiveDbState | undefined> {
  try {
    return (await readLiveState(peerClient(ctx, name), name)).state;
  } catch {
    return undefined;
  }
}

const hostList = z.array(z.strictObject({ name: z.string().min(1), address: z.string().min(1) })).min(1);

const topologySchema = z.strictObject({
  /** The inventory's primary (`mysqlPrimary`). */
  primary: z.string().min(1),
  /** Every db host with the address replicas use for it. */
  hosts: hostList,
  /** The variable to name in the error. */
  variable: z.string().default('mysqlPrimary'),
});

export const mysqlTopologyModule: Module<z.output<typeof topologySchema>, undefined, z.input<typeof topologySchema>> = {
  name: 'mysql.topology',
  schema: topologySchema,
  describe: (args) => `mysql topology agrees with ${args.variable}=${args.primary}`,
  async plan(ctx, args) {
    const states = (await Promise.all(args.hosts.map((h) => tryLiveState(ctx, h.name)))).filter((s): s is LiveDbState => s !== undefined);
    const nameOf = (address: string) => args.hosts.find((h) => h.address === address)?.name;
    const error = checkTopology(args.primary, states, nameOf);
    if (error) throw new TaskError(error.replaceAll('mysqlPrimary', args.variable), { host: ctx.host.name, task: ctx.task });
    return { changes: [] };
  },
  async apply() {
    return {};
  },
};

const writableSchema = z.strictObject({ writable: z.boolean(), login: loginSchema });

export const mysqlWritableModule: Module<z.output<typeof writableSchema>, string[], z.input<typeof writableSchema>> = {
  name: 'mysql.writable',
  schema: writableSchema,
  describe: (args) => `mysql ${args.writable ? 'writable (primary)' : 'read-only (replica)'}`,
  async plan(ctx, args) {
    const [row] = await clientFor(ctx, args.login).query('SELECT @@GLOBAL.read_only AS read_only, @@GLOBAL.super_read_only AS super_read_only;');
    const { lines, sql } = planWritable(args.writable, { readOnly: row.read_only === '1', superReadOnly: row.super_read_only === '1' });
    return { changes: lines.map((description) => ({ description })), data: sql };
  },
  async apply(ctx, args, plan) {
    await clientFor(ctx, args.login).execute(plan.data.join('\n'));
    return {};
  },
};
