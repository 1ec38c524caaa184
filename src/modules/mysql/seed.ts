/**
 * Seeds a fresh replica from a consistent dump of its primary, through the controller:
 * `mysqldump --single-transaction --set-gtid-purged=ON` on the primary (one InnoDB snapshot, with
 * the primary's executed GTID set at that snapshot), fed to `mysql` on the replica after its own
 * GTID history is cleared, so the dump's `SET @@GLOBAL.GTID_PURGED` applies. The replica then
 * auto-positions right after the snapshot; the primary's install-time transactions (Debian's
 * `CREATE USER debian-sys-maint`...) are inside the purged set and never replayed.
 *
 * The dump is held in the controller's memory: fine for lab and small production data. For big
 * data the same shape would stream (read the primary's stdout in chunks and write them to the
 * replica's stdin as they come, which needs a streaming exec on HostConnection), or the replica
 * would pull the snapshot itself (mysqldump over TLS from the replica, or MySQL's CLONE plugin).
 */
import { TaskError } from '../../errors.ts';
import { coalesce, type Exec } from '../coalesce.ts';
import { sh } from '../../transport/quote.ts';
import type { TaskContext } from '../types.ts';
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
  const primaryExec: Exec = (command, options) => primary.exec(command, options);
  const primaryClient = new MysqlClient(primaryExec, { host: step.from, task: ctx.task }, (kind, item) => coalesce(primary, true, kind, primaryExec, item));
  const accounts = await accountStatements(primaryClient, step.users);
  const [flags] = await replica.query('SELECT @@GLOBAL.super_read_only AS super_read_only;');
  // super_read_only blocks even root: lift it for the load, put it back whatever happens.
  const superReadOnly = flags?.super_read_only === '1';
  if (superReadOnly) await replica.execute('SET GLOBAL super_read_only = OFF;');
  try {
    await replica.execute(dialect.resetGtids);
    const dump = await primary.exec(dumpCommand(step.databases), { become: true });
    if (dump.exitCode !== 0) {
      throw new TaskError(`mysqldump on ${step.from} failed (exit ${dump.exitCode}): ${dump.stderr.trim()}`, where);
    }
    await replica.raw(MYSQL_COMMAND, dump.stdoutBytes, { prelude: false });
    if (accounts.length) await replica.execute(['SET SESSION sql_log_bin = 0;', ...accounts].join('\n'));
    return { bytes: dump.stdoutBytes.length };
  } finally {
    if (superReadOnly) await replica.execute('SET GLOBAL super_read_only = ON;');
  }
}
