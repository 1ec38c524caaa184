/**
 * `mysql.config`: server settings in a `[mysqld]` conf.d file AND in the running server. Both are
 * read in one remote command; a setting changed at runtime (`SET GLOBAL read_only = OFF`) is drift
 * even when the file is right. Apply writes the file, SETs dynamic variables live, and reports
 * `restartRequired` when a variable that only changes at a restart differs.
 */
import { z } from 'zod';
import { TaskError } from '../../errors.ts';
import { readRemote, writeRemoteAtomic } from '../../transport/remote-files.ts';
import { settle } from '../../util/settle.ts';
import type { Change, Module, TaskContext } from '../../task/types.ts';
import { clientFor, isServerDown, loginSchema, SqlError } from './client.ts';
import { expectedLive, isKnownStatic, liveDrift, renderConfig, setGlobalStatements, variableName, type LiveDrift } from './settings.ts';
import { sqlString } from './sql.ts';
import { managesSemiSync, readSemiSync, reconnectReplicaIo, semiSyncFallbackNote, type SemiSyncState } from './semisync.ts';

export const DEFAULT_CONFIG_PATH = '/etc/mysql/mysql.conf.d/zz-shipshape.cnf';

const configSchema = z.strictObject({
  path: z.string().regex(/^\/[^\0\n]*\.cnf$/, 'an absolute path ending in .cnf (mysqld ignores other names in conf.d)').default(DEFAULT_CONFIG_PATH),
  settings: z
    .record(
      z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'not a mysqld option name'),
      z.union([z.string().regex(/^[^\n\r\0]*$/, 'a value cannot span lines'), z.number().finite(), z.boolean()]),
    )
    .refine((s) => Object.keys(s).length > 0, 'give at least one setting')
    .refine((s) => new Set(Object.keys(s).map(variableName)).size === Object.keys(s).length, 'a setting is listed twice (dashes and underscores are the same name)'),
  login: loginSchema,
});

export type ConfigArgs = z.output<typeof configSchema>;

interface ConfigData {
  writeFile: boolean;
  content: string;
  drift: LiveDrift[];
}

async function readState(ctx: TaskContext, args: ConfigArgs): Promise<{ file?: string; live: Map<string, string>; serverDown: boolean; semiSync?: SemiSyncState }> {
  const variables = [...new Set(Object.entries(args.settings).map(([option, value]) => expectedLive(option, value).variable))];
  const sql = `SHOW GLOBAL VARIABLES WHERE Variable_name IN (${variables.map(sqlString).join(', ')});`;
  // All at once: the queries join the host's other MySQL reads in one client run (coalesced).
  const semiSyncRead = managesSemiSync(args.settings) ? settle(readSemiSync(clientFor(ctx, args.login))) : undefined;
  const [current, rows] = await Promise.all([readRemote(ctx, args.path, true), settle(clientFor(ctx, args.login).query(sql))]);
  const semiSyncResult = await semiSyncRead;
  const semiSync = semiSyncResult && 'value' in semiSyncResult ? semiSyncResult.value : undefined;
  let serverDown = false;
  let live = new Map<string, string>();
  if ('error' in rows) {
    // A stopped server (a later task starts it) is no reason to fail: the file is what it will
    // start with, so plan the file alone; live values are checked again once it runs.
    if (!isServerDown(rows.error)) throw rows.error;
    serverDown = true;
  } else {
    live = new Map(rows.value.map((row) => [row.Variable_name.toLowerCase(), row.Value]));
  }
  return { file: current.content?.toString('utf8'), live, serverDown, semiSync };
}

function driftLine(d: LiveDrift): string {
  return isKnownStatic(d.variable)
    ? `${d.variable} = ${d.expected} takes effect at the next restart (running: ${d.live})`
    : `set global ${d.variable} = ${d.expected} (running: ${d.live})`;
}

export const mysqlConfigModule: Module<ConfigArgs, ConfigData, z.input<typeof configSchema>> = {
  name: 'mysql.config',
  schema: configSchema,
  describe: (args) => `mysql config ${args.path}`,
  async plan(ctx, args) {
    const { file, live, serverDown, semiSync } = await readState(ctx, args);
    const content = renderConfig(args.settings);
    const changes: Change[] = [];
    const writeFile = file !== content;
    if (writeFile) {
      changes.push({
        description: `${file === undefined ? 'create' : 'update'} ${args.path}`,
        diff: { path: args.path, before: file ?? '', after: content },
      });
    }
    const drift = serverDown ? [] : liveDrift(args.settings, live);
    changes.push(...drift.map((d) => ({ description: driftLine(d) })));
    const fallback = semiSyncFallbackNote(semiSync);
    return { changes, notes: fallback ? [fallback] : undefined, data: { writeFile, content, drift } };
  },
  async apply(ctx, args, plan) {
    const { writeFile, content, drift } = plan.data;
    if (writeFile) await writeRemoteAtomic(ctx, args.path, Buffer.from(content), { owner: 'root', group: 'root', mode: '0644', become: true });
    const client = clientFor(ctx, args.login);
    const needRestart = new Set<string>();
    for (const { variable, sql } of setGlobalStatements(drift)) {
      if (needRestart.has(variable)) continue;
      try {
        await client.execute(sql);
      } catch (error) {
        // 1238: "Variable ... is a read only variable": it changes only when mysqld restarts.
        if (error instanceof SqlError && error.code === 1238) needRestart.add(variable);
        else throw new TaskError(`${sql} failed: ${(error as Error).message}`, { cause: error });
      }
    }
    // A replica acknowledges (or stops acknowledging) only from its next connection to the source.
    if (drift.some((d) => d.variable === 'rpl_semi_sync_replica_enabled' && !needRestart.has(d.variable))) await reconnectReplicaIo(client);
    return { output: { restartRequired: needRestart.size > 0, restartFor: [...needRestart] } };
  },
};
