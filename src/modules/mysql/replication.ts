/**
 * `mysql.replication`, on the replica: source settings, seeding from the primary when the replica
 * is unconfigured, and running threads. SQL spelling follows the server (dialect.ts); the source
 * password only ever travels inside SQL on stdin, and only in the statement that sets it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { TaskError } from '../../errors.ts';
import { registerSecretValue } from '../../secrets/mask.ts';
import { Secret, revealed } from '../../secrets/secret.ts';
import type { Module, TaskContext } from '../../task/types.ts';
import { clientFor, loginSchema, SqlError, type MysqlClient, type Row } from './client.ts';
import { dialectFor, parseVersion, type Dialect, type ReplicaStatus } from './dialect.ts';
import { planReplication, withTls, type Histories, type ReplicationStep } from './replication-plan.ts';
import { peerClient } from './topology.ts';
import { seedReplica } from './seed.ts';
import { DEFAULT_REPLICA_CA_PATH, DEFAULT_SOURCE_CA_PATH, readSourceCa, writeSourceCa } from './source-ca.ts';
import { sqlString } from './sql.ts';

const databaseName = z.string().regex(/^[A-Za-z0-9_$][A-Za-z0-9_$-]{0,63}$/, 'a database name to seed (letters, digits, _ $ -)');

const replicationSchema = z
  .strictObject({
    sourceHost: z.string().min(1).max(255),
    sourcePort: z.number().int().min(1).max(65535).default(3306),
    user: z.string().min(1).max(32),
    password: z.union([z.string(), z.instanceof(Secret)]),
    autoPosition: z.boolean().default(true),
    /** caching_sha2_password without TLS needs the source's RSA key. */
    getSourcePublicKey: z.boolean().default(true),
    /** Replicate over TLS (SOURCE_SSL=1); pair it with an account that REQUIRE SSL on the source. */
    ssl: z.boolean().optional(),
    /**
     * Inventory name of the source host whose MySQL CA the replica pins: its CA certificate (public,
     * read over SSH, so it comes from the host SSH authenticated) is written to `sslCa` on the
     * replica and given as SOURCE_SSL_CA, so the replica refuses a source whose certificate does not
     * chain to it. Needs `ssl`.
     */
    sslCaFrom: z.string().min(1).optional(),
    /** Where the CA is on the source: MySQL's own, made at its first start, by default. */
    sourceCaPath: z.string().regex(/^\/[^\0\n]*$/, 'an absolute path').default(DEFAULT_SOURCE_CA_PATH),
    /** Where the replica keeps it. */
    sslCa: z.string().regex(/^\/[^\0\n]*$/, 'an absolute path').default(DEFAULT_REPLICA_CA_PATH),
    /** Inventory name of the primary: seed this replica from a dump of it while unconfigured. */
    seedFrom: z.string().min(1).optional(),
    /** What to seed. */
    databases: z.array(databaseName).optional(),
    /**
     * Accounts to copy from the primary while seeding (hash and grants, as SHOW CREATE USER prints
     * them): they were created before the dump's GTID point, so replication alone never brings them.
     */
    users: z.array(z.strictObject({ name: z.string().min(1).max(32), host: z.string().min(1).max(255) })).optional(),
    /** Seconds to wait for both threads to run after START REPLICA. */
    waitSeconds: z.number().positive().default(30),
    login: loginSchema,
  })
  .refine((a) => !a.seedFrom || (a.databases?.length ?? 0) > 0, { message: 'seedFrom needs the databases to seed', path: ['databases'] })
  .refine((a) => a.seedFrom || !a.users, { message: 'users are copied while seeding: give seedFrom', path: ['users'] })
  .refine((a) => !a.sslCaFrom || a.ssl === true, { message: 'a pinned CA is for TLS: give ssl: true', path: ['sslCaFrom'] });

export type ReplicationArgs = z.output<typeof replicationSchema>;

interface Data {
  dialect: Dialect;
  steps: ReplicationStep[];
  /** The source's CA, when the replica pins it. */
  ca?: Buffer;
}

async function readDialect(client: MysqlClient): Promise<Dialect> {
  const [row] = await client.query('SELECT VERSION() AS version;');
  return dialectFor(parseVersion(row.version));
}

/** What the servers of this decade understand (MySQL >= 8.0.22, MariaDB >= 10.5.1). */
const MODERN_SHOW_STATUS = 'SHOW REPLICA STATUS;';

async function readStatus(client: MysqlClient, dialect: Dialect, rows?: Promise<Row[]>): Promise<ReplicaStatus | undefined> {
  const [row] = await (rows ?? client.query(dialect.showStatus));
  if (!row) return undefined;
  const status = dialect.parseStatus(row);
  if (status.lastSqlError && dialect.flavor === 'mysql' && /worker/i.test(status.lastSqlError)) {
    // With parallel appliers (the default since 8.0.27) Last_SQL_Error only says "a worker failed";
    // the cause (duplicate key, missing row...) is in performance_schema. Report that instead.
    const workers = await client
      .query('SELECT LAST_ERROR_NUMBER AS code, LAST_ERROR_MESSAGE AS message FROM performance_schema.replication_applier_status_by_worker WHERE LAST_ERROR_NUMBER <> 0;')
      .catch(() => []);
    if (workers.length) status.lastSqlError = workers.map((w) => `Error ${w.code}: ${w.message}`).join('; ');
  }
  return status;
}

/**
 * Whether the replica's stored source password equals ours, decided without sending ours to the
 * server in any form. MySQL keeps the password in mysql.slave_master_info (the only connection
 * metadata repository since 8.3; a TABLE by default since 8.0). A statement comparing it with a
 * literal would put the password in the general log, the slow log and performance_schema's
 * statement history (MySQL rewrites passwords only in the statements that set them). Instead a
 * fresh random nonce goes in, SHA-256(nonce || stored password) comes out, and the controller
 * compares it with SHA-256(nonce || wanted password): the statement holds only the nonce, the
 * answer is useless for any later comparison, and the plaintext never leaves the server either.
 *
 * Reading the server's own record, rather than keeping a hash of what shipshape last set in a
 * state file, keeps the answer true after a hand-run CHANGE REPLICATION SOURCE.
 * Undefined where that table does not exist or holds no row (MariaDB keeps master.info).
 */
async function storedPasswordMatches(client: MysqlClient, password: string): Promise<boolean | undefined> {
  const nonce = randomBytes(16).toString('hex');
  try {
    const [row] = await client.query(storedPasswordDigestSql(nonce));
    return row ? row.digest === storedPasswordDigest(nonce, password) : undefined;
  } catch (error) {
    if (error instanceof SqlError && (error.code === 1146 || error.code === 1142)) return undefined;
    throw error;
  }
}

/** The read of the stored password's digest (holds the nonce, never a password). */
export function storedPasswordDigestSql(nonce: string): string {
  return `SELECT SHA2(CONCAT(${sqlString(nonce)}, CONVERT(COALESCE(User_password, '') USING utf8mb4)), 256) AS digest FROM mysql.slave_master_info WHERE Channel_name = '';`;
}

/** What the server answers for `password` (SHA2() prints lowercase hex of the UTF-8 bytes). */
export function storedPasswordDigest(nonce: string, password: string): string {
  return createHash('sha256').update(nonce + password, 'utf8').digest('hex');
}

/** Both GTID histories, or undefined when either cannot be read (a source not installed yet, in check mode). */
async function readHistories(ctx: TaskContext, client: MysqlClient, source: string): Promise<Histories | undefined> {
  try {
    const [own, theirs] = await Promise.all([client.query(GTIDS_SQL), peerClient(ctx, source).query(GTIDS_SQL)]);
    return { own: own[0].gtids.replace(/\s+/g, ''), source: theirs[0].gtids.replace(/\s+/g, '') };
  } catch {
    return undefined;
  }
}

const GTIDS_SQL = 'SELECT @@GLOBAL.gtid_executed AS gtids;';

function describeStatus(s: ReplicaStatus | undefined): string {
  if (!s) return 'not configured';
  const errors = [s.lastIoError && `IO error: ${s.lastIoError}`, s.lastSqlError && `SQL error: ${s.lastSqlError}`].filter(Boolean);
  return `IO thread ${s.ioRunning}, SQL thread ${s.sqlRunning}${errors.length ? `; ${errors.join('; ')}` : ''}`;
}

/** Polls until both threads run (bounded); fails at once on a replication error. */
async function waitRunning(ctx: TaskContext, client: MysqlClient, dialect: Dialect, seconds: number): Promise<ReplicaStatus> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const status = await readStatus(client, dialect);
    if (status && (status.lastIoError || status.lastSqlError)) {
      throw new TaskError(`replication did not start: ${describeStatus(status)}`);
    }
    if (status && status.ioRunning === 'Yes' && status.sqlRunning === 'Yes') return status;
    if (Date.now() >= deadline) {
      throw new TaskError(`replication threads not running after ${seconds} s: ${describeStatus(status)}`);
    }
    await sleep(500);
  }
}

export const mysqlReplicationModule: Module<ReplicationArgs, Data, z.input<typeof replicationSchema>> = {
  name: 'mysql.replication',
  schema: replicationSchema,
  describe: (args) => `mysql replication from ${args.sourceHost}:${args.sourcePort}`,
  async plan(ctx, args) {
    const password = revealed(args.password);
    registerSecretValue(password);
    const client = clientFor(ctx, args.login);
    // The version, the stored password and the status in one client run (coalesced). The status
    // statement depends on the version, so it is asked in the modern spelling and asked again only
    // when the server turns out to be older: one round trip where it would take two.
    const reads = Promise.all([readDialect(client), storedPasswordMatches(client, password)]);
    const caRead = args.sslCaFrom ? readSourceCa(ctx, args.sslCaFrom!, args.sourceCaPath, args.sslCa) : undefined;
    caRead?.catch(() => undefined); // awaited below
    const modernStatus = client.query(MODERN_SHOW_STATUS);
    modernStatus.catch(() => undefined); // an old server refuses it: then it is not used
    const [dialect, storedMatches] = await reads;
    const status = await readStatus(client, dialect, dialect.showStatus === MODERN_SHOW_STATUS ? modernStatus : undefined);
    const matches = status && status.host !== '' ? storedMatches : undefined;
    const histories = (!status || status.host === '') && args.seedFrom ? await readHistories(ctx, client, args.seedFrom) : undefined;
    const ca = await caRead;
    const want = { ...args, sslCa: args.sslCaFrom ? args.sslCa : undefined, sslCaCurrent: ca?.current };
    const plan = withTls(planReplication(status, want, matches, histories), want);
    if (!plan.ok) throw new TaskError(plan.error);
    return { changes: plan.lines.map((description) => ({ description })), data: { dialect, steps: plan.steps, ca: ca?.ca } };
  },
  async apply(ctx, args, plan) {
    const { dialect, steps, ca } = plan.data;
    const password = revealed(args.password);
    const client = clientFor(ctx, args.login);
    const output: Record<string, unknown> = {};
    for (const step of steps) {
      if (step.kind === 'trust') {
        await writeSourceCa(ctx, ca!, args.sslCa);
      } else if (step.kind === 'seed') {
        output.seededBytes = (await seedReplica(ctx, client, dialect, step)).bytes;
      } else if (step.kind === 'configure') {
        const change = dialect.changeSource({
          host: args.sourceHost,
          port: args.sourcePort,
          user: args.user,
          password,
          autoPosition: args.autoPosition,
          getSourcePublicKey: args.getSourcePublicKey,
          ssl: args.ssl,
          sslCa: args.sslCaFrom ? args.sslCa : undefined,
        });
        await client.execute(`${step.reconfigure ? dialect.stop : ''}\n${change}`, { secrets: [password] });
      } else {
        await client.execute(dialect.start);
      }
    }
    const status = await waitRunning(ctx, client, dialect, args.waitSeconds);
    output.ioRunning = status.ioRunning;
    output.sqlRunning = status.sqlRunning;
    return { output };
  },
};
