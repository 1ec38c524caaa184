/**
 * The MySQL modules against two real Debian 13 hosts with MySQL 9.7 from sid, through the real
 * engine over SSH, checked independently with `mysql` through docker exec:
 * config (+ restart) → database and users on the primary → rows → a replica seeded from the
 * primary's dump and replicating with GTID auto-positioning → a second run changes nothing →
 * drift (STOP REPLICA, read_only off, a changed password) is reported by check mode and fixed →
 * broken replication is a failure naming the server's error. Passwords are watched for, in every
 * spelling, in the hosts' process lists during every run, in every mysql client's command line,
 * in the replica's general log and statement history, and in every task result.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as mysql from '../../src/modules/mysql/index.ts';
import { MYSQL_COMMAND, MysqlClient } from '../../src/modules/mysql/client.ts';
import { sqlIdent, sqlString } from '../../src/modules/mysql/sql.ts';
import type { TaskResult } from '../../src/task/types.ts';
import type { Task } from '../../src/task/task.ts';
import { Secret } from '../../src/secrets/secret.ts';
import type { TestHost } from './support/lab-hosts.ts';
import { expectSameHostState, mysqlPairSpecs, snapshotHosts } from './support/host-state.ts';
import { leakedForms } from './support/secret-forms.ts';
import { eventually, onHost, replicaStatusOf, sql, startMysqlPair, type MysqlPair } from './support/mysql-pair.ts';

const APP_PASSWORD = 'app-Pw_7f3c9e1d';
/** Holds ', " and \ so that each escaping (SQL, JSON, shell) spells it differently from the raw value. */
const REPL_PASSWORD = 'repl\'Pw"\\4b8a2c6e';
const WRONG_PASSWORD = 'drifted-Pw_0a9b8c7d';
const OPS_PASSWORD = 'ops-Pw_5e2d7a91';
const SECRETS = [APP_PASSWORD, REPL_PASSWORD, WRONG_PASSWORD, OPS_PASSWORD];

let pair: MysqlPair | undefined;
let primary: TestHost;
let replica: TestHost;
const results: TaskResult[] = [];
const psSamples: string[] = [];

beforeAll(async () => {
  const started = Date.now();
  pair = await startMysqlPair(['my-db1', 'my-db2'], recordMysqlCommandLines);
  console.log(`[mysql] two hosts with mysql-server from sid, in parallel: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  ({ primary, replica } = pair);
  // Installing mysql-server on two hosts at once is CPU-bound: on a shared machine it has taken
  // over 9 minutes, beyond the default hook timeout.
}, 25 * 60_000);

const ARGV_LOG = '/var/log/mysql-client-argv.log';

/**
 * Every mysql client started on the host, by anyone, writes its command line to ARGV_LOG first:
 * unlike `ps` samples, this misses no short-lived client (a CHANGE REPLICATION SOURCE takes ms).
 */
async function recordMysqlCommandLines(host: TestHost): Promise<void> {
  await onHost(
    host,
    `mv /usr/bin/mysql /usr/bin/mysql.real && cat > /usr/bin/mysql && chmod 755 /usr/bin/mysql && touch ${ARGV_LOG}`,
    `#!/bin/sh\nprintf '%s\\n' "$*" >> ${ARGV_LOG}\nexec /usr/bin/mysql.real "$@"\n`,
  );
}

afterAll(async () => {
  await pair?.close();
});

const replicaStatus = () => replicaStatusOf(replica);

/** Runs a task through the engine with the other host as a peer, sampling both hosts' `ps` while it runs. */
async function run(host: TestHost, task: Task, options: { check?: boolean } = {}): Promise<TaskResult> {
  let running = true;
  const sampler = (async () => {
    while (running) {
      for (const h of pair!.lab.hosts) psSamples.push((await h.shell('ps -eo args')).stdout);
    }
  })();
  try {
    const result = await pair!.run(host, task, options);
    results.push(result);
    return result;
  } finally {
    running = false;
    await sampler;
  }
}

const lines = (result: TaskResult) => result.changes.map((c) => c.description);
const expectOk = (result: TaskResult) => expect(result, result.error).toMatchObject({ status: 'ok', changes: [] });

const common = { log_bin: 'mysql-bin', binlog_format: 'ROW', gtid_mode: 'ON', enforce_gtid_consistency: 'ON', 'bind-address': '0.0.0.0', skip_name_resolve: 'ON' };
const configPrimary = () => mysql.config({ settings: { 'server-id': 1, ...common, read_only: 'OFF', super_read_only: 'OFF' } });
const configReplica = () => mysql.config({ settings: { 'server-id': 2, ...common, read_only: 'ON', super_read_only: 'ON' } });
const appDatabase = () => mysql.database({ name: 'app', charset: 'utf8mb4' });
const appUser = () => mysql.user({ name: 'app', host: '%', password: new Secret(APP_PASSWORD, 'test'), privileges: ['ALL PRIVILEGES ON `app`.*'] });
const replUser = () => mysql.user({ name: 'repl', host: '%', password: REPL_PASSWORD, privileges: ['REPLICATION SLAVE ON *.*'] });
const replication = (databases = ['app']) =>
  mysql.replication({
    sourceHost: primary.address,
    user: 'repl',
    password: new Secret(REPL_PASSWORD, 'test'),
    seedFrom: primary.name,
    databases,
    users: [{ name: 'app', host: '%' }],
  });

/** Logs in as app over TCP from the replica host to `target` (the password via a 0600 file written from stdin). */
async function appLogin(target: TestHost, password: string): Promise<{ ok: boolean; output: string }> {
  await onHost(replica, 'umask 077 && cat > /root/app-login.cnf', `[client]\nuser=app\npassword=${password}\n`);
  const result = await replica.shell(`mysql --defaults-extra-file=/root/app-login.cnf --protocol=tcp -h ${target.address} --batch --skip-column-names`, 'SELECT CURRENT_USER();');
  return { ok: result.exitCode === 0, output: result.stdout + result.stderr };
}

describe('mysql modules on MySQL 9.7 (Debian sid)', () => {
  it('config: file and running values on both hosts; static ones ask for a restart', async () => {
    const p = await run(primary, configPrimary());
    const r = await run(replica, configReplica());
    expect(p.status, p.error).toBe('changed');
    expect(lines(p)).toContain('create /etc/mysql/mysql.conf.d/zz-shipshape.cnf');
    expect(lines(p)).toContain('bind_address = 0.0.0.0 takes effect at the next restart (running: 127.0.0.1)');
    expect(p.output).toMatchObject({ restartRequired: true });
    expect(lines(r)).toContain('set global super_read_only = ON (running: OFF)');
    // Dynamic settings are live already, before any restart.
    expect(await sql(replica, 'SELECT @@server_id, @@read_only, @@super_read_only;')).toBe('2\t1\t1\n');

    await Promise.all([onHost(primary, 'systemctl restart mysql'), onHost(replica, 'systemctl restart mysql')]);
    expect(await sql(primary, 'SELECT @@server_id, @@bind_address, @@gtid_mode, @@log_bin_basename;')).toBe('1\t0.0.0.0\tON\t/var/lib/mysql/mysql-bin\n');
    expect(await onHost(primary, 'cat /etc/mysql/mysql.conf.d/zz-shipshape.cnf')).toContain('\nbind-address = 0.0.0.0\n');
    expectOk(await run(primary, configPrimary()));
    expectOk(await run(replica, configReplica()));
  });

  it('database and users on the primary, with a password the module can verify offline', async () => {
    const db = await run(primary, appDatabase());
    expect(lines(db)).toEqual(['create database app']);
    const app = await run(primary, appUser());
    expect(lines(app)).toEqual(["create user 'app'@'%'", "grant ALL PRIVILEGES ON app.* to 'app'@'%'"]);
    expect(lines(await run(primary, replUser()))).toEqual(["create user 'repl'@'%'", "grant REPLICATION SLAVE ON *.* to 'repl'@'%'"]);
    expect(await sql(primary, "SHOW GRANTS FOR 'app'@'%';")).toContain('GRANT ALL PRIVILEGES ON `app`.* TO `app`@`%`');
    expect(await appLogin(primary, APP_PASSWORD)).toMatchObject({ ok: true, output: 'app@%\n' });
    expect((await appLogin(primary, WRONG_PASSWORD)).ok).toBe(false);
    expectOk(await run(primary, appUser()));
    expectOk(await run(primary, replUser()));
  });

  it('seed: a dump that fails leaves the replica as it was (GTID history included), and no dump file behind', async () => {
    // A transaction of the replica's own, so that a reset of its GTID history would show.
    await sql(replica, 'SET GLOBAL super_read_only = OFF; CREATE DATABASE seed_probe; DROP DATABASE seed_probe; SET GLOBAL super_read_only = ON;');
    const before = await sql(replica, 'SELECT @@GLOBAL.gtid_executed;');
    expect(before.trim()).not.toBe('');
    const result = await run(replica, replication(['app', 'no_such_db']));
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/mysqldump on my-db1 failed \(exit 2\): [\s\S]*Unknown database 'no_such_db'/);
    expect(await sql(replica, 'SELECT @@GLOBAL.gtid_executed;')).toBe(before);
    expect(await sql(replica, 'SELECT @@GLOBAL.super_read_only;')).toBe('1\n');
    expect(await onHost(replica, 'ls -A /var/tmp')).not.toMatch(/shipshape-seed/);
  });

  it('replication: the replica is seeded from the primary, then follows it', async () => {
    await sql(primary, "CREATE TABLE app.visits (id INT AUTO_INCREMENT PRIMARY KEY, who VARCHAR(40)); INSERT INTO app.visits (who) VALUES ('before-1'), ('before-2');");
    const check = await run(replica, replication(), { check: true });
    expect(lines(check)).toEqual([`seed from my-db1 (app; users 'app'@'%')`, `configure source ${primary.address}:3306 as repl`, 'start replica']);

    const result = await run(replica, replication());
    expect(result.status, result.error).toBe('changed');
    expect(result.output).toMatchObject({ ioRunning: 'Yes', sqlRunning: 'Yes' });
    const status = await replicaStatus();
    expect(status).toMatchObject({ Replica_IO_Running: 'Yes', Replica_SQL_Running: 'Yes', Source_Host: primary.address, Auto_Position: '1', Last_IO_Error: '', Last_SQL_Error: '' });
    expect(await sql(replica, 'SELECT who FROM app.visits ORDER BY id;')).toBe('before-1\nbefore-2\n');
    // super_read_only was lifted for the load and is back.
    expect(await sql(replica, 'SELECT @@super_read_only;')).toBe('1\n');
    // The seeded account logs in on the replica with the primary's password.
    expect(await appLogin(replica, APP_PASSWORD)).toMatchObject({ ok: true, output: 'app@%\n' });
    expect(result.output?.seededBytes).toBeGreaterThan(1000);
    expect(await onHost(replica, 'ls -A /var/tmp')).not.toMatch(/shipshape-seed/);

    await sql(primary, "INSERT INTO app.visits (who) VALUES ('after');");
    const rows = await eventually(() => sql(replica, 'SELECT COUNT(*) FROM app.visits;'), (out) => out === '3\n');
    expect(rows).toBe('3\n');
  });

  it('a second run of every task changes nothing', async () => {
    const before = await snapshotHosts(mysqlPairSpecs(primary, replica));
    for (const [host, task] of [
      [primary, configPrimary()],
      [replica, configReplica()],
      [primary, appDatabase()],
      [primary, appUser()],
      [primary, replUser()],
      [replica, replication()],
    ] as const) {
      expectOk(await run(host, task));
    }
    const after = await snapshotHosts(mysqlPairSpecs(primary, replica));
    before.forEach((state, i) => expectSameHostState(state, after[i], i === 0 ? 'primary' : 'replica'));
  });

  it('the replication password reaches the replica in no spelling: general log, statement history, ps', async () => {
    // Everything the server records of the statements it receives, from here on.
    await sql(
      replica,
      [
        "SET GLOBAL general_log_file = '/var/lib/mysql/shipshape-general.log';",
        'SET GLOBAL general_log = ON;',
        "UPDATE performance_schema.setup_consumers SET ENABLED = 'YES' WHERE NAME LIKE 'events_statements_history%';",
        'TRUNCATE performance_schema.events_statements_history_long;',
        'TRUNCATE performance_schema.events_statements_summary_by_digest;',
      ].join('\n'),
    );
    try {
      expectOk(await run(replica, replication(), { check: true }));
      expectOk(await run(replica, replication()));
      // A password changed by hand is found by the comparison, and the reconfiguring apply sends
      // the password in CHANGE REPLICATION SOURCE alone (which the server writes as <secret>).
      await sql(replica, `STOP REPLICA; CHANGE REPLICATION SOURCE TO SOURCE_PASSWORD = ${sqlString(WRONG_PASSWORD)}; START REPLICA;`);
      expect(lines(await run(replica, replication(), { check: true }))).toEqual([
        `reconfigure source ${primary.address}:3306 as repl (password differs)`,
        'start replica',
      ]);
      expect((await run(replica, replication())).status).toBe('changed');
      expectOk(await run(replica, replication()));
      expect(await replicaStatus()).toMatchObject({ Replica_IO_Running: 'Yes', Replica_SQL_Running: 'Yes', Last_IO_Error: '' });

      const generalLog = await onHost(replica, 'cat /var/lib/mysql/shipshape-general.log');
      const history = await sql(
        replica,
        [
          'SELECT SQL_TEXT FROM performance_schema.events_statements_history_long;',
          'SELECT SQL_TEXT FROM performance_schema.events_statements_history;',
          'SELECT QUERY_SAMPLE_TEXT FROM performance_schema.events_statements_summary_by_digest;',
        ].join('\n'),
      );
      // The records are real: they hold the plans' password comparison and the reconfiguration.
      for (const text of [generalLog, history]) {
        expect(text).toContain('mysql.slave_master_info');
        expect(text).toContain('SOURCE_PASSWORD = <secret>');
      }
      expect(leakedForms(generalLog, SECRETS)).toEqual([]);
      expect(leakedForms(history, SECRETS)).toEqual([]);
    } finally {
      await sql(replica, 'SET GLOBAL general_log = OFF;');
    }
  });

  it('drift: check mode names each item, apply fixes it', async () => {
    await sql(replica, 'STOP REPLICA; SET GLOBAL super_read_only = OFF; SET GLOBAL read_only = OFF;');
    await sql(primary, `ALTER USER 'app'@'%' IDENTIFIED BY '${WRONG_PASSWORD}';`);

    expect(lines(await run(replica, configReplica(), { check: true }))).toEqual([
      'set global read_only = ON (running: OFF)',
      'set global super_read_only = ON (running: OFF)',
    ]);
    expect(lines(await run(replica, replication(), { check: true }))).toEqual(['start replica threads (IO and SQL stopped)']);
    expect(lines(await run(primary, appUser(), { check: true }))).toEqual(["set password for 'app'@'%'"]);
    // Check mode changed nothing.
    expect(await sql(replica, 'SELECT @@read_only, @@super_read_only;')).toBe('0\t0\n');
    expect((await replicaStatus()).Replica_IO_Running).toBe('No');

    expect((await run(replica, configReplica())).status).toBe('changed');
    expect((await run(replica, replication())).status).toBe('changed');
    expect((await run(primary, appUser())).status).toBe('changed');

    expect(await sql(replica, 'SELECT @@read_only, @@super_read_only;')).toBe('1\t1\n');
    expect(await replicaStatus()).toMatchObject({ Replica_IO_Running: 'Yes', Replica_SQL_Running: 'Yes' });
    expect((await appLogin(primary, APP_PASSWORD)).ok).toBe(true);
    // The password change replicated too (ALTER USER is in the binary log).
    const onReplica = await eventually(() => appLogin(replica, APP_PASSWORD), (r) => r.ok);
    expect(onReplica.ok).toBe(true);
    for (const [host, task] of [
      [replica, configReplica()],
      [replica, replication()],
      [primary, appUser()],
    ] as const) {
      expectOk(await run(host, task));
    }
  });

  it('broken replication is a failure carrying the server error, not something restarted', async () => {
    // A row only the replica has, then the same key written on the primary: the SQL thread stops.
    await sql(replica, "SET GLOBAL super_read_only = OFF; SET SESSION sql_log_bin = 0; INSERT INTO app.visits (id, who) VALUES (100, 'replica-only'); SET GLOBAL super_read_only = ON;");
    await sql(primary, "INSERT INTO app.visits (id, who) VALUES (100, 'primary');");
    const status = await eventually(replicaStatus, (s) => s.Last_SQL_Error !== '');
    expect(status.Replica_SQL_Running).toBe('No');
    const result = await run(replica, replication());
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/replication from .* is broken: SQL thread: .*(Duplicate entry|1062)/);
  });

  it('quoting round-trips nasty values through the real server, even under NO_BACKSLASH_ESCAPES', async () => {
    const conn = pair!.sessions[primary.name].conn;
    const client = new MysqlClient((command, options) => conn.exec(command, options), { host: primary.name });
    const values = ["'", "\\'", '\\', "a'; DROP DATABASE app; -- ", 'nul\0byte', 'tab\tnew\nline', 'ctrl-z\x1a', '`x`', 'ünïcødé ☃'];
    for (const value of values) {
      const [row] = await client.query(`SELECT HEX(${sqlString(value)}) AS h;`);
      expect(Buffer.from(row.h, 'hex').toString('utf8'), JSON.stringify(value)).toBe(value);
    }
    // A server-wide NO_BACKSLASH_ESCAPES would read `\\` as two characters: the session prelude undoes it.
    await sql(primary, "SET GLOBAL sql_mode = CONCAT(@@GLOBAL.sql_mode, ',NO_BACKSLASH_ESCAPES');");
    try {
      const [row] = await client.query(`SELECT HEX(${sqlString("a\\'b")}) AS h, @@SESSION.sql_mode LIKE '%NO_BACKSLASH%' AS nbe;`);
      expect(row).toEqual({ h: Buffer.from("a\\'b").toString('hex').toUpperCase(), nbe: '0' });
      // Without the prelude the same literal reads differently: the prelude is what makes it right.
      const bare = await client.raw(MYSQL_COMMAND, `SELECT HEX(${sqlString('a\\b')}) AS h;`, { prelude: false });
      expect(bare.stdout).toBe(`h\n${Buffer.from('a\\\\b').toString('hex').toUpperCase()}\n`);
    } finally {
      await sql(primary, "SET GLOBAL sql_mode = REPLACE(@@GLOBAL.sql_mode, ',NO_BACKSLASH_ESCAPES', '');");
    }
    const weird = 'we`ird db';
    await client.execute(`CREATE DATABASE ${sqlIdent(weird)}; DROP DATABASE ${sqlIdent(weird)};`);
  });

  it('auth_socket accounts (root, as on Ubuntu) are refused unless a plugin is named; sudo mysql keeps working', async () => {
    const account = (name: string, host = 'localhost') => sql(primary, `SELECT plugin, authentication_string FROM mysql.user WHERE User = '${name}' AND Host = '${host}';`);
    expect(await account('root')).toBe('auth_socket\t\n');
    // A password for root, no plugin: refused, nothing touched (before, "set password" every run).
    const refused = await run(primary, mysql.user({ name: 'root', host: 'localhost', password: OPS_PASSWORD }));
    expect(refused.status).toBe('failed');
    expect(refused.error).toMatch(/'root'@'localhost': it authenticates with auth_socket, whose password shipshape cannot check/);
    // Converting root would lock `sudo mysql` out: refused too.
    const lockout = await run(primary, mysql.user({ name: 'root', host: 'localhost', plugin: 'caching_sha2_password', password: OPS_PASSWORD }));
    expect(lockout.error).toMatch(/would lock shipshape's own login/);
    expectOk(await run(primary, mysql.user({ name: 'root', host: 'localhost', plugin: 'auth_socket' })));
    expect(await account('root')).toBe('auth_socket\t\n');
    expect(await onHost(primary, 'mysql --batch --skip-column-names -e "SELECT CURRENT_USER()"')).toBe('root@localhost\n');

    // Another account made by hand with auth_socket (MySQL 9.7 loads the plugin already).
    await sql(primary, "CREATE USER 'ops'@'localhost' IDENTIFIED WITH auth_socket;");
    expect((await run(primary, mysql.user({ name: 'ops', host: 'localhost', password: OPS_PASSWORD }))).error).toMatch(/'ops'@'localhost': it authenticates with auth_socket/);
    const toPassword = () => mysql.user({ name: 'ops', host: 'localhost', plugin: 'caching_sha2_password', password: new Secret(OPS_PASSWORD, 'test') });
    expect(lines(await run(primary, toPassword()))).toEqual(["change authentication of 'ops'@'localhost' from auth_socket to caching_sha2_password"]);
    expect(await account('ops')).toMatch(/^caching_sha2_password\t\$A\$/);
    expectOk(await run(primary, toPassword()));
    expectOk(await run(primary, mysql.user({ name: 'ops', host: 'localhost', password: new Secret(OPS_PASSWORD, 'test') })));

    // sha256_password: checked offline, so a re-run changes nothing.
    const legacy = () => mysql.user({ name: 'legacy', host: '%', plugin: 'sha256_password', password: new Secret(OPS_PASSWORD, 'test') });
    expect(lines(await run(primary, legacy()))).toEqual(["create user 'legacy'@'%'"]);
    expect(await account('legacy', '%')).toMatch(/^sha256_password\t\$5\$/);
    expectOk(await run(primary, legacy()));
    // 9.7 has no mysql_native_password: refused at plan time, naming the plugin.
    const native = await run(primary, mysql.user({ name: 'old', host: '%', plugin: 'mysql_native_password', password: OPS_PASSWORD }));
    expect(native.error).toMatch(/the authentication plugin mysql_native_password is not active on this server/);

    // login options: tasks log in as ops through an option file (0600, written from stdin).
    await sql(primary, "GRANT CREATE, DROP ON *.* TO 'ops'@'localhost';");
    await onHost(primary, 'umask 077 && cat > /root/ops.cnf', `[client]\nuser=ops\npassword="${OPS_PASSWORD}"\n`);
    await onHost(primary, 'umask 077 && cat > /root/ops-wrong.cnf', `[client]\nuser=ops\npassword="${WRONG_PASSWORD}"\n`);
    const viaOps = (file: string) => mysql.database({ name: 'via_ops', login: { defaultsFile: file } });
    const denied = await run(primary, viaOps('/root/ops-wrong.cnf'));
    expect(denied.error).toMatch(/Access denied for user 'ops'@'localhost'/);
    expect(lines(await run(primary, viaOps('/root/ops.cnf')))).toEqual(['create database via_ops']);
    expect(await sql(primary, "SHOW DATABASES LIKE 'via_ops';")).toBe('via_ops\n');
    expectOk(await run(primary, viaOps('/root/ops.cnf')));
    await onHost(primary, 'rm /root/ops.cnf /root/ops-wrong.cnf');
  });

  it('no password ever showed in a process list, a mysql command line or a task result', async () => {
    expect(psSamples.length).toBeGreaterThan(20);
    // The samples really list processes (mysqld runs all along on both hosts).
    expect(psSamples.every((sample) => sample.includes('/usr/sbin/mysqld'))).toBe(true);
    expect(leakedForms(psSamples.join('\n'), SECRETS)).toEqual([]);
    for (const host of pair!.lab.hosts) {
      const argv = await onHost(host, `cat ${ARGV_LOG}`);
      // The record is real: it holds shipshape's clients (the replica's included).
      expect(argv).toContain('--batch --default-character-set=utf8mb4');
      expect(leakedForms(argv, SECRETS)).toEqual([]);
    }
    expect(leakedForms(JSON.stringify(results), SECRETS)).toEqual([]);
  });
});
