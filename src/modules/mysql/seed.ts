/**
 * Seeds a fresh replica from a consistent dump of its primary, through the controller:
 * `mysqldump --single-transaction --set-gtid-purged=ON` on the primary (one InnoDB snapshot, with
 * the primary's executed GTID set at that snapshot), loaded by `mysql` on the replica after its own
 * GTID history is cleared, so the dump's `SET @@GLOBAL.GTID_PURGED` applies. The replica then
 * auto-positions right after the snapshot; the primary's install-time transactions (Debian's
 * `CREATE USER debian-sys-maint`...) are inside the purged set and never replayed.
 *
 * The dump streams (HostConnection.stream): the primary's stdout is piped into a root-only file on
 * the replica with backpressure, so the controller holds a few SSH windows of it whatever its size,
 * never the dump. Order: the dump is first written whole to the replica's disk and checked (mysqldump
 * exited 0, the file has every byte that left the primary, and mysqldump's closing line); only then
 * is anything on the replica changed (GTID history reset, load). A dump that fails half-way leaves
 * the replica as it was. The cost is the dump's size on the replica's /var/tmp for the load's time.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { TaskError } from '../../errors.ts';
import { coalesce, type Exec } from '../../task/coalesce.ts';
import { quote, sh } from '../../transport/quote.ts';
import type { HostConnection } from '../../transport/types.ts';
import type { TaskContext } from '../../task/types.ts';
import { MYSQL_COMMAND, MysqlClient } from './client.ts';
import type { Dialect } from './dialect.ts';
import { sqlAccount } from './sql.ts';

/** Database names are validated by the schema (no leading dash), so they cannot pass as options. */
function dumpCommand(databases: string[]): string {
  return sh`mysqldump --single-transaction --set-gtid-purged=ON --triggers --routines --events --default-character-set=utf8mb4 --databases ${databases}`;
}

/**
 * The statements that recreate accounts as they are on the primary: SHOW CREATE USER with the
 * hash printed as hex (its salt holds arbitrary bytes), then SHOW GRANTS. Run on the replica with
 * the binary log off, like the dump itself, so they add no GTIDs of the replica's own. The reads
 * are asked for together, so they share one mysql client on the primary.
 */
async function accountStatements(primary: MysqlClient, users: { name: string; host: string }[]): Promise<string[]> {
  const perUser = await Promise.all(
    users.map(async (user) => {
      const account = sqlAccount(user.name, user.host);
      const [[create], grants] = await Promise.all([
        primary.query(`SET SESSION print_identified_with_as_hex = ON;\nSHOW CREATE USER ${account};`),
        primary.query(`SHOW GRANTS FOR ${account};`),
      ]);
      return [`DROP USER IF EXISTS ${account};`, `${Object.values(create)[0]};`, ...grants.map((row) => `${Object.values(row)[0]};`)];
    }),
  );
  return perUser.flat();
}

export interface SeedStep {
  from: string;
  databases: string[];
  users: { name: string; host: string }[];
}

export async function seedReplica(ctx: TaskContext, replica: MysqlClient, dialect: Dialect, step: SeedStep): Promise<{ bytes: number }> {
  const where = { host: ctx.host.name, task: ctx.task };
  if (!dialect.gtidSeeding) {
    throw new TaskError(`seeding a replica needs MySQL GTIDs (mysqldump --set-gtid-purged); this server is ${dialect.flavor}: seed it by hand`, where);
  }
  const primary = ctx.peer(step.from);
  const self = ctx.peer(ctx.host.name);
  const primaryExec: Exec = (command, options) => primary.exec(command, options);
  const primaryClient = new MysqlClient(primaryExec, { host: step.from, task: ctx.task }, (kind, item) => coalesce(primary, true, kind, primaryExec, item));
  const accounts = await accountStatements(primaryClient, step.users);
  const made = await ctx.exec('mktemp /var/tmp/shipshape-seed.XXXXXXXX', { become: true });
  if (made.exitCode !== 0) throw new TaskError(`cannot make a file for the dump in /var/tmp: ${made.stderr.trim()}`, where);
  const file = made.stdout.trim();
  let superReadOnly = false;
  try {
    const bytes = await copyDump(primary, self, step, file, where);
    const [flags] = await replica.query('SELECT @@GLOBAL.super_read_only AS super_read_only;');
    // super_read_only blocks even root: lift it for the load, put it back whatever happens.
    superReadOnly = flags?.super_read_only === '1';
    if (superReadOnly) await replica.execute('SET GLOBAL super_read_only = OFF;');
    await replica.execute(dialect.resetGtids);
    await replica.raw(`${MYSQL_COMMAND} < ${quote(file)}`, '', { prelude: false });
    if (accounts.length) await replica.execute(['SET SESSION sql_log_bin = 0;', ...accounts].join('\n'));
    return { bytes };
  } finally {
    if (superReadOnly) await replica.execute('SET GLOBAL super_read_only = ON;');
    // Best effort: a failure here must not hide the one that brought us here.
    await ctx.exec(sh`rm -f -- ${file}`, { become: true }).catch(() => undefined);
  }
}

/**
 * Streams the primary's dump into `file` on the replica and checks it arrived whole. Returns its size.
 * Neither host's persistent session is used: each side runs on a channel of its own.
 */
async function copyDump(primary: HostConnection, replicaConn: HostConnection, step: SeedStep, file: string, where: { host: string; task: string }): Promise<number> {
  if (!primary.stream || !replicaConn.stream) throw new TaskError('seeding a replica needs SSH connections to both hosts (streamed dump)', where);
  const dump = await primary.stream(dumpCommand(step.databases), { become: true });
  let bytes = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      bytes += chunk.length;
      callback(null, chunk);
    },
  });
  dump.stdout.pipe(counted);
  let copy;
  try {
    copy = await replicaConn.stream(sh`cat > ${file}`, { become: true, stdin: counted });
  } catch (error) {
    dump.stdout.destroy();
    await dump.done.catch(() => undefined);
    throw error;
  }
  // A writer that stops early (disk full) stops the dump too, instead of leaving it blocked.
  const copied = copy.done.finally(() => {
    if (!counted.readableEnded) dump.stdout.destroy();
  });
  const [dumped, written] = await Promise.allSettled([dump.done, copied]);
  if (dumped.status === 'rejected') throw dumped.reason;
  if (dumped.value.exitCode !== 0) {
    throw new TaskError(`mysqldump on ${step.from} failed (exit ${dumped.value.exitCode}): ${dumped.value.stderr.trim()}`, where);
  }
  if (written.status === 'rejected') throw written.reason;
  if (written.value.exitCode !== 0) {
    throw new TaskError(`writing the dump to ${file} failed (exit ${written.value.exitCode}): ${written.value.stderr.trim()}`, where);
  }
  const check = await replicaConn.exec(sh`stat -c %s -- ${file}; tail -c 200 -- ${file} | grep -c '^-- Dump completed'`, { become: true });
  const [size, completed] = check.stdout.trim().split('\n');
  if (Number(size) !== bytes || completed !== '1') {
    throw new TaskError(`the dump from ${step.from} arrived incomplete (${size} of ${bytes} bytes${completed === '1' ? '' : ', no closing line'}); the replica was not changed`, where);
  }
  return bytes;
}
