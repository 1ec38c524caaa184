/**
 * Replication over TLS and semi-synchronous replication, on two real Debian 13 hosts with MySQL
 * 9.7 from sid, through the real engine over SSH, checked independently with `mysql` through
 * docker exec: a plain-text replica is moved to TLS pinned to the primary's own CA (the account
 * then refuses plain text); a wrong CA stops replication and is planned back; semi-sync
 * acknowledges writes and its timeout fallback to async is reported by plan; a role's semi-sync
 * side flips live.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as mysql from '../../src/modules/mysql/index.ts';
import type { TaskResult } from '../../src/task/types.ts';
import type { Task } from '../../src/task/task.ts';
import { Secret } from '../../src/secrets/secret.ts';
import type { TestHost } from './support/lab-hosts.ts';
import { eventually, onHost, replicaStatusOf, sql, startMysqlPair, type MysqlPair } from './support/mysql-pair.ts';

const REPL_PASSWORD = 'repl-Pw_3c1f9e0a';
const CA = '/etc/mysql/shipshape-source-ca.pem';
/** Short, so the fallback shows quickly; the test asserts the state, never the time. */
const TIMEOUT_MS = 2000;

let pair: MysqlPair | undefined;
let primary: TestHost;
let replica: TestHost;

beforeAll(async () => {
  pair = await startMysqlPair(['tls-db1', 'tls-db2']);
  ({ primary, replica } = pair);
  // Installing mysql-server on two hosts at once is CPU-bound: minutes on a shared machine.
}, 25 * 60_000);

afterAll(async () => {
  await pair?.close();
});

const replicaStatus = () => replicaStatusOf(replica);

/** A status variable of the primary (SHOW GLOBAL STATUS). */
async function primaryStatus(name: string): Promise<string> {
  return (await sql(primary, `SHOW GLOBAL STATUS LIKE '${name}';`)).split('\t')[1]?.trim() ?? '';
}

const run = (host: TestHost, task: Task, options: { check?: boolean } = {}): Promise<TaskResult> => pair!.run(host, task, options);

const lines = (result: TaskResult) => result.changes.map((c) => c.description);
const expectOk = (result: TaskResult) => expect(result, result.error).toMatchObject({ status: 'ok', changes: [] });

const common = { log_bin: 'mysql-bin', binlog_format: 'ROW', gtid_mode: 'ON', enforce_gtid_consistency: 'ON', 'bind-address': '0.0.0.0', skip_name_resolve: 'ON' };
const configFor = (host: TestHost, role: mysql.SemiSyncRole) =>
  mysql.config({
    settings: {
      'server-id': host === primary ? 1 : 2,
      ...common,
      read_only: role === 'replica' ? 'ON' : 'OFF',
      super_read_only: role === 'replica' ? 'ON' : 'OFF',
      ...mysql.semiSyncSettings(role, TIMEOUT_MS),
    },
  });
const replUser = (requireSsl?: boolean) => mysql.user({ name: 'repl', host: '%', password: REPL_PASSWORD, privileges: ['REPLICATION SLAVE ON *.*'], requireSsl });
/** Plain: SOURCE_SSL=0 said explicitly (9.7 would try TLS by default, unverified), as sites had it. */
const replication = (tls: boolean) =>
  mysql.replication({
    sourceHost: primary.address,
    user: 'repl',
    password: new Secret(REPL_PASSWORD, 'test'),
    seedFrom: primary.name,
    databases: ['app'],
    ...(tls ? { ssl: true, sslCaFrom: primary.name } : { ssl: false }),
  });

/** Logs in as repl over TCP from the replica host, with or without TLS. */
async function replLogin(sslMode: 'DISABLED' | 'REQUIRED'): Promise<{ ok: boolean; output: string }> {
  await onHost(replica, 'umask 077 && cat > /root/repl-login.cnf', `[client]\nuser=repl\npassword=${REPL_PASSWORD}\n`);
  const result = await replica.shell(
    `mysql --defaults-extra-file=/root/repl-login.cnf --protocol=tcp -h ${primary.address} --ssl-mode=${sslMode} --get-server-public-key --batch --skip-column-names`,
    "SHOW SESSION STATUS LIKE 'Ssl_version';",
  );
  return { ok: result.exitCode === 0, output: result.stdout + result.stderr };
}

describe('replication over TLS and semi-sync on MySQL 9.7 (Debian sid)', () => {
  it('semi-sync settings: both plugins load on both nodes at the restart; the role decides the side', async () => {
    expect((await run(primary, configFor(primary, 'source'))).status).toBe('changed');
    expect((await run(replica, configFor(replica, 'replica'))).status).toBe('changed');
    await Promise.all([onHost(primary, 'systemctl restart mysql'), onHost(replica, 'systemctl restart mysql')]);
    for (const host of [primary, replica]) {
      expect(await sql(host, "SELECT PLUGIN_NAME, PLUGIN_STATUS FROM information_schema.PLUGINS WHERE PLUGIN_NAME LIKE 'rpl_semi_sync%' ORDER BY 1;")).toBe(
        'rpl_semi_sync_replica\tACTIVE\nrpl_semi_sync_source\tACTIVE\n',
      );
    }
    expect(await sql(primary, 'SELECT @@rpl_semi_sync_source_enabled, @@rpl_semi_sync_replica_enabled, @@rpl_semi_sync_source_timeout;')).toBe(`1\t0\t${TIMEOUT_MS}\n`);
    expect(await sql(replica, 'SELECT @@rpl_semi_sync_source_enabled, @@rpl_semi_sync_replica_enabled;')).toBe('0\t1\n');
    expectOk(await run(primary, configFor(primary, 'source')));
    expectOk(await run(replica, configFor(replica, 'replica')));
  });

  it('a plain-text replica of a plain-text account, to start from (the state of sites before TLS)', async () => {
    await sql(primary, "CREATE DATABASE app; CREATE TABLE app.visits (id INT AUTO_INCREMENT PRIMARY KEY, who VARCHAR(40)); INSERT INTO app.visits (who) VALUES ('before');");
    expect((await run(primary, replUser())).status).toBe('changed');
    const result = await run(replica, replication(false));
    expect(result.status, result.error).toBe('changed');
    expect(await replicaStatus()).toMatchObject({ Replica_IO_Running: 'Yes', Replica_SQL_Running: 'Yes', Source_SSL_Allowed: 'No' });
    expect((await replLogin('DISABLED')).ok).toBe(true);
  });

  it('TLS: the account requires it and plain text is refused; the replica is planned onto TLS pinned to the primary CA; a re-run is ok', async () => {
    const user = await run(primary, replUser(true), { check: true });
    expect(lines(user)).toEqual(["require TLS for 'repl'@'%'"]);
    expect((await run(primary, replUser(true))).status).toBe('changed');
    expect(await sql(primary, "SELECT ssl_type FROM mysql.user WHERE User = 'repl';")).toBe('ANY\n');
    const plain = await replLogin('DISABLED');
    expect(plain.ok).toBe(false);
    expect(plain.output).toMatch(/Access denied for user 'repl'/);
    expect(await replLogin('REQUIRED')).toMatchObject({ ok: true, output: expect.stringMatching(/^Ssl_version\tTLSv1\.[23]\n$/) });

    const check = await run(replica, replication(true), { check: true });
    expect(lines(check)).toEqual([
      `trust tls-db1's MySQL CA for replication (${CA})`,
      `reconfigure source ${primary.address}:3306 as repl over TLS (ssl was off, the source was not verified against a CA)`,
      'start replica',
    ]);
    const result = await run(replica, replication(true));
    expect(result.status, result.error).toBe('changed');
    // The replica's CA file is the primary's own CA, byte for byte.
    expect(await onHost(replica, `cat ${CA}`)).toBe(await onHost(primary, 'cat /var/lib/mysql/ca.pem'));
    expect(await replicaStatus()).toMatchObject({
      Replica_IO_Running: 'Yes',
      Replica_SQL_Running: 'Yes',
      Source_SSL_Allowed: 'Yes',
      Source_SSL_CA_File: CA,
      Last_IO_Error: '',
    });
    // The source's side: the replica's binlog dump connection is encrypted.
    const cipher = await eventually(
      () =>
        sql(
          primary,
          "SELECT s.VARIABLE_VALUE FROM performance_schema.threads t JOIN performance_schema.status_by_thread s ON s.THREAD_ID = t.THREAD_ID WHERE t.PROCESSLIST_COMMAND LIKE 'Binlog Dump%' AND s.VARIABLE_NAME = 'Ssl_cipher';",
        ),
      (out) => out.trim() !== '',
    );
    expect(cipher.trim()).toMatch(/^TLS_|AES|CHACHA/);
    await sql(primary, "INSERT INTO app.visits (who) VALUES ('over-tls');");
    expect(await eventually(() => sql(replica, 'SELECT COUNT(*) FROM app.visits;'), (out) => out === '2\n')).toBe('2\n');
    expectOk(await run(primary, replUser(true)));
    expectOk(await run(replica, replication(true)));
  });

  it('a CA the source does not chain to stops replication (the pin is real), and the plan puts the right one back', async () => {
    // The replica's own auto-generated CA: a valid CA, but not the one that signed the primary's certificate.
    await onHost(replica, `cp /var/lib/mysql/ca.pem ${CA} && mysql -e 'STOP REPLICA IO_THREAD; START REPLICA IO_THREAD;'`);
    const broken = await eventually(replicaStatus, (s) => s.Last_IO_Error !== '');
    expect(broken.Replica_IO_Running).not.toBe('Yes');
    expect(broken.Last_IO_Error).toMatch(/SSL|certificate|TLS/i);
    expect(lines(await run(replica, replication(true), { check: true }))).toEqual([
      `trust tls-db1's MySQL CA for replication (${CA})`,
      `reconfigure source ${primary.address}:3306 as repl over TLS (source CA changed)`,
      'start replica',
    ]);
    expect((await run(replica, replication(true))).status).toBe('changed');
    expect(await replicaStatus()).toMatchObject({ Replica_IO_Running: 'Yes', Last_IO_Error: '' });
    expectOk(await run(replica, replication(true)));
  });

  it('semi-sync: a write is acknowledged by the replica; with its IO thread stopped the timeout falls back to async, and plan says so', async () => {
    expect(await eventually(() => primaryStatus('Rpl_semi_sync_source_clients'), (v) => v === '1')).toBe('1');
    expect(await primaryStatus('Rpl_semi_sync_source_status')).toBe('ON');
    expect(await sql(replica, "SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_replica_status';")).toBe('Rpl_semi_sync_replica_status\tON\n');
    const before = Number(await primaryStatus('Rpl_semi_sync_source_yes_tx'));
    await sql(primary, "INSERT INTO app.visits (who) VALUES ('acknowledged');");
    expect(Number(await primaryStatus('Rpl_semi_sync_source_yes_tx'))).toBe(before + 1);
    const healthy = await run(primary, configFor(primary, 'source'), { check: true });
    expectOk(healthy);
    expect(healthy.notes ?? []).toEqual([]);

    await sql(replica, 'STOP REPLICA IO_THREAD;');
    const noBefore = Number(await primaryStatus('Rpl_semi_sync_source_no_tx'));
    // This commit waits for the timeout, then goes through without an acknowledgement.
    await sql(primary, "INSERT INTO app.visits (who) VALUES ('unacknowledged');");
    expect(await primaryStatus('Rpl_semi_sync_source_status')).toBe('OFF');
    expect(Number(await primaryStatus('Rpl_semi_sync_source_no_tx'))).toBe(noBefore + 1);
    const fallen = await run(primary, configFor(primary, 'source'), { check: true });
    expect(fallen.status).toBe('ok');
    expect(fallen.changes).toEqual([]);
    expect(fallen.notes).toEqual([expect.stringMatching(/^semi-sync fell back to async: rpl_semi_sync_source_enabled is ON but Rpl_semi_sync_source_status is OFF \(\d semi-sync replica\(s\) connected, \d+ commit\(s\) without/)]);

    // The replica back: semi-sync resumes once it has caught up (seen at the next commit), and the note goes.
    await sql(replica, 'START REPLICA IO_THREAD;');
    expect(await eventually(() => primaryStatus('Rpl_semi_sync_source_clients'), (v) => v === '1')).toBe('1');
    await sql(primary, "INSERT INTO app.visits (who) VALUES ('resumed');");
    expect(await eventually(() => primaryStatus('Rpl_semi_sync_source_status'), (v) => v === 'ON')).toBe('ON');
    const back = await run(primary, configFor(primary, 'source'), { check: true });
    expectOk(back);
    expect(back.notes ?? []).toEqual([]);
    expect(await eventually(() => sql(replica, 'SELECT COUNT(*) FROM app.visits;'), (out) => out === '5\n')).toBe('5\n');
  });

  it('a role swap flips the semi-sync side live, without a restart (what a switchover needs)', async () => {
    const pid = await onHost(replica, 'systemctl show -p MainPID --value mysql');
    // The replica's config with the source's semi-sync side (read-only kept: only the side swaps), then back.
    const asSource = mysql.config({ settings: { 'server-id': 2, ...common, read_only: 'ON', super_read_only: 'ON', ...mysql.semiSyncSettings('source', TIMEOUT_MS) } });
    const swapped = await run(replica, asSource);
    expect(swapped.status, swapped.error).toBe('changed');
    expect(lines(swapped)).toEqual(expect.arrayContaining(['set global rpl_semi_sync_source_enabled = ON (running: OFF)', 'set global rpl_semi_sync_replica_enabled = OFF (running: ON)']));
    expect(swapped.output).toMatchObject({ restartRequired: false });
    expect(await sql(replica, 'SELECT @@rpl_semi_sync_source_enabled, @@rpl_semi_sync_replica_enabled;')).toBe('1\t0\n');
    // The IO thread reconnected without semi-sync: the primary has no semi-sync replica now.
    expect(await eventually(() => primaryStatus('Rpl_semi_sync_source_clients'), (v) => v === '0')).toBe('0');
    expect(await sql(replica, "SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_replica_status';")).toBe('Rpl_semi_sync_replica_status\tOFF\n');

    expect((await run(replica, configFor(replica, 'replica'))).status).toBe('changed');
    expect(await eventually(() => primaryStatus('Rpl_semi_sync_source_clients'), (v) => v === '1')).toBe('1');
    expect(await onHost(replica, 'systemctl show -p MainPID --value mysql')).toBe(pid);
    expectOk(await run(replica, configFor(replica, 'replica')));
  });
});
