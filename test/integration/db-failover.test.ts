/**
 * The MySQL primary is no single point of failure: planned switchover both ways and an unplanned
 * failover, each under a write load through the app's /visits (HTTPS through the load balancer),
 * with the rows acknowledged to the client counted against the rows on the new primary and the new
 * replica (docker exec, never shipshape's report); the re-run guard; the errant-GTID refusal; the
 * fenced old primary and its rejoin. ONE converged lab for the whole file (MySQL installs take
 * minutes): the tests run in order and each leaves the site healthy for the next.
 *
 * Semi-synchronous replication is a separate option: FAILOVER_SEMI_SYNC (set by that option's test
 * run) makes the failover case assert 0 lost instead of reporting the loss.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAcmeServer, type AcmeServer } from '../../src/lab/acme-server.ts';
import { startCli } from './support/cli.ts';
import { startTestHosts, type TestHost, type TestHosts } from './support/lab-hosts.ts';
import { siteInventoryIni } from './support/site-inventory.ts';
import { request } from './support/http.ts';

const run = promisify(execFile);
const SITE = path.resolve('playbooks/site.ts');
const SWITCHOVER = path.resolve('playbooks/db-switchover.ts');
const FAILOVER = path.resolve('playbooks/db-failover.ts');
const DOMAIN = 'db.example.test';
const SECRETS = { MYSQL_APP_PASSWORD: 'app-Pa55word', MYSQL_REPLICATION_PASSWORD: 'repl-Secret42' };
const SEMI_SYNC = process.env.FAILOVER_SEMI_SYNC === '1';
const MINUTES = 60_000;

let lab: TestHosts | undefined;
let acme: AcmeServer | undefined;
let issuerRoot = '';
let balancer: TestHost;
let appA: TestHost;
let appB: TestHost;
const dir = mkdtempSync(path.join(tmpdir(), 'shipshape-db-failover-test-'));
const inventoryFile = path.join(dir, 'hosts.ini');

/** The real CLI, run to completion with the inventory's secrets and a HOME of its own. */
const shipshape = (...args: string[]) => startCli(args, { ...SECRETS, HOME: dir }).done;

async function sh(host: TestHost, cmd: string): Promise<string> {
  const result = await host.shell(cmd);
  if (result.exitCode !== 0) throw new Error(`${host.name}: ${cmd}: exit ${result.exitCode}: ${result.stderr}`);
  return result.stdout;
}

const sql = async (host: TestHost, statement: string) => (await sh(host, `mysql -N -B -e ${JSON.stringify(statement)}`)).trim();
/** The executed GTID set on one line (MySQL prints one server per line; --batch escapes the newline). */
const gtidsOf = (host: TestHost) => sql(host, "SELECT REPLACE(@@GLOBAL.gtid_executed, CHAR(10), '')");

function setPrimary(name: string): void {
  const text = readFileSync(inventoryFile, 'utf8').replace(/^mysqlPrimary=.*$/m, `mysqlPrimary=${name}`);
  writeFileSync(inventoryFile, text);
}

function failures(stdout: string): string {
  return stdout.split('\n').filter((l) => l.includes('"status":"failed"')).join('\n');
}

function changedCount(stdout: string): number {
  return stdout.split('\n').filter((l) => l.includes('"status":"changed"')).length;
}

/** A client writing visits through the load balancer, one at a time, recording each acknowledged id. */
function startLoad() {
  const acked: Array<{ id: number; at: number }> = [];
  let failed = 0;
  let stop = false;
  const done = (async () => {
    while (!stop) {
      const answer = await request({ address: balancer.address, name: DOMAIN, path: '/visits', tls: true, ca: issuerRoot, timeoutMs: 5000 }).catch(() => undefined);
      if (answer?.status === 200) acked.push({ id: (JSON.parse(answer.body) as { visitId: number }).visitId, at: Date.now() });
      else failed++;
      await sleep(50);
    }
  })();
  return {
    acked,
    failed: () => failed,
    async untilAcked(n: number) {
      const target = acked.length + n;
      const deadline = Date.now() + 3 * MINUTES;
      while (acked.length < target) {
        if (Date.now() > deadline) throw new Error(`the load got ${acked.length} of ${target} acknowledgements in 3 minutes`);
        await sleep(100);
      }
    },
    async stop() {
      stop = true;
      await done;
    },
    /** The longest time without an acknowledged write inside [from, to]. */
    outageMs(from: number, to: number): number {
      const times = [from, ...acked.map((a) => a.at).filter((t) => t > from && t < to), to];
      return Math.max(...times.slice(1).map((t, i) => t - times[i]));
    },
  };
}

/** Waits until `replica` executed everything `primary` has, then compares the visits on both with what was acknowledged. */
async function countRows(primary: TestHost, replica: TestHost, acked: number[]) {
  const gtids = await gtidsOf(primary);
  expect(await sql(replica, `SELECT WAIT_FOR_EXECUTED_GTID_SET('${gtids}', 60)`)).toBe('0');
  const ids = async (host: TestHost) => new Set((await sql(host, 'SELECT id FROM app.visits ORDER BY id')).split('\n').filter(Boolean).map(Number));
  const [onPrimary, onReplica] = await Promise.all([ids(primary), ids(replica)]);
  return { onPrimary, onReplica, missingOnPrimary: acked.filter((id) => !onPrimary.has(id)), missingOnReplica: acked.filter((id) => !onReplica.has(id)) };
}

async function expectRoles(primary: TestHost, replica: TestHost) {
  expect(await sql(primary, 'SELECT @@GLOBAL.super_read_only, @@GLOBAL.read_only')).toBe('0\t0');
  expect(await sql(primary, "SELECT COUNT(*) FROM performance_schema.replication_connection_configuration WHERE HOST <> ''")).toBe('0');
  expect(await sql(replica, 'SELECT @@GLOBAL.super_read_only')).toBe('1');
  const status = await sh(replica, 'mysql -E -e "SHOW REPLICA STATUS"');
  expect(status).toContain(`Source_Host: ${primary.address}`);
  expect(status).toMatch(/Replica_IO_Running: Yes/);
  expect(status).toMatch(/Replica_SQL_Running: Yes/);
  // Over TLS, verified against the primary's own MySQL CA (the file on the replica is that CA), and
  // through the account that REQUIRE SSL.
  expect(await sql(replica, "SELECT SSL_ALLOWED, SSL_CA_FILE FROM performance_schema.replication_connection_configuration WHERE CHANNEL_NAME = ''")).toBe('YES\t/etc/mysql/shipshape-source-ca.pem');
  expect(await sh(replica, 'cat /etc/mysql/shipshape-source-ca.pem')).toBe(await sh(primary, 'cat /var/lib/mysql/ca.pem'));
  expect(await sql(primary, "SELECT ssl_type FROM mysql.user WHERE user = 'replication'")).toBe('ANY');
  // The app on every web host writes to the primary (its own settings file, read independently).
  for (const web of [appA, appB]) {
    expect(await sh(web, 'grep ^DB_PRIMARY_HOST= /etc/app/app.env')).toBe(`DB_PRIMARY_HOST=${web === primary ? '127.0.0.1' : primary.address}\n`);
  }
}

/** Switchover under load to `to`, with every count checked; returns the outage in ms. */
async function switchOverUnderLoad(from: TestHost, to: TestHost): Promise<number> {
  const load = startLoad();
  await load.untilAcked(20);
  const started = Date.now();
  const result = await shipshape('apply', SWITCHOVER, '-i', inventoryFile, '-e', `newPrimary=${to.name}`, '--json');
  const ended = Date.now();
  expect(result.code, result.stderr + failures(result.stdout)).toBe(0);
  await load.untilAcked(20);
  await load.stop();
  const ids = load.acked.map((a) => a.id);
  const counts = await countRows(to, from, ids);
  const outage = load.outageMs(started, Date.now());
  console.log(
    `switchover ${from.name} -> ${to.name}: acknowledged ${ids.length}, rows on new primary ${counts.onPrimary.size}, on new replica ${counts.onReplica.size}, ` +
      `failed requests ${load.failed()}, longest time without an acknowledged write ${(outage / 1000).toFixed(1)} s, run took ${((ended - started) / 1000).toFixed(1)} s`,
  );
  expect(counts.missingOnPrimary).toEqual([]);
  expect(counts.missingOnReplica).toEqual([]);
  expect([...counts.onReplica]).toEqual([...counts.onPrimary]);
  await expectRoles(to, from);
  return outage;
}

beforeAll(async () => {
  lab = await startTestHosts(['balancer', 'app-a', 'app-b']);
  [balancer, appA, appB] = lab.hosts;
  acme = await startAcmeServer({ network: lab.network, siteNames: [DOMAIN], resolveTo: balancer.address, labels: lab.labels });
  writeFileSync(path.join(dir, 'acme-ca.pem'), acme.caBundlePem);
  // [all:vars] is the inventory's last section: the option goes there.
  const semiSync = SEMI_SYNC ? 'mysqlSemiSync=true\n' : '';
  writeFileSync(inventoryFile, siteInventoryIni({ balancer, appA, appB, domain: DOMAIN, acmeServer: acme.directoryUrl, acmeCaBundle: path.join(dir, 'acme-ca.pem') }) + semiSync);
});

afterAll(async () => {
  await acme?.stop();
  await lab?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('MySQL switchover and failover on the converged site', () => {
  it('converges the site: every server starts read-only from its config, only the primary is writable at runtime', async () => {
    const result = await shipshape('apply', SITE, '-i', inventoryFile, '--json', '--accept-new-host-keys');
    expect(result.code, result.stderr + failures(result.stdout)).toBe(0);
    issuerRoot = await acme!.fetchIssuerRoot();
    for (const host of [appA, appB]) expect(await sh(host, 'cat /etc/mysql/mysql.conf.d/zz-shipshape-fence.cnf')).toMatch(/^super_read_only = ON$/m);
    await expectRoles(appA, appB);
  }, 45 * MINUTES);

  it('switches over to app-b under load: no acknowledged write lost, both hosts hold the same rows; a second run plans nothing', async () => {
    await switchOverUnderLoad(appA, appB);
    const again = await shipshape('apply', SWITCHOVER, '-i', inventoryFile, '-e', 'newPrimary=app-b', '--json');
    expect(again.code, again.stderr + failures(again.stdout)).toBe(0);
    expect(changedCount(again.stdout)).toBe(0);
  });

  it('a site run whose mysqlPrimary still names the old primary stops before changing anything, naming mysqlPrimary', async () => {
    const result = await shipshape('apply', SITE, '-i', inventoryFile, '--json');
    expect(result.code).not.toBe(0);
    expect(result.stdout).toContain('set mysqlPrimary=app-b');
    expect(changedCount(result.stdout)).toBe(0);
    await expectRoles(appB, appA);
  });

  it('with mysqlPrimary=app-b a site run exits 0, changes nothing, and replication stays healthy', async () => {
    setPrimary('app-b');
    const result = await shipshape('apply', SITE, '-i', inventoryFile, '--json');
    expect(result.code, result.stderr + failures(result.stdout)).toBe(0);
    expect(changedCount(result.stdout)).toBe(0);
    await expectRoles(appB, appA);
  });

  it('switches back to app-a under load, the same counts; a site run with mysqlPrimary=app-a exits 0', async () => {
    await switchOverUnderLoad(appB, appA);
    setPrimary('app-a');
    const result = await shipshape('apply', SITE, '-i', inventoryFile, '--json');
    expect(result.code, result.stderr + failures(result.stdout)).toBe(0);
    expect(changedCount(result.stdout)).toBe(0);
    await expectRoles(appA, appB);
  });

  it('refuses to switch over to a replica with errant transactions, naming them, and leaves the primary writable', async () => {
    await sql(appB, 'SET GLOBAL super_read_only = OFF; CREATE DATABASE errant_probe; SET GLOBAL super_read_only = ON');
    const uuid = await sql(appB, 'SELECT @@server_uuid');
    const errant = await sql(appB, `SELECT REPLACE(GTID_SUBTRACT(@@GLOBAL.gtid_executed, '${await gtidsOf(appA)}'), CHAR(10), '')`);
    expect(errant.startsWith(`${uuid}:`)).toBe(true);
    const result = await shipshape('apply', SWITCHOVER, '-i', inventoryFile, '-e', 'newPrimary=app-b', '--json');
    expect(result.code).not.toBe(0);
    expect(result.stdout).toContain(`errant transactions that app-a does not have: ${errant}`);
    await expectRoles(appA, appB);
    // Repair as an operator would: the same transaction under the same GTID on the primary.
    await sql(appA, `SET GTID_NEXT = '${errant}'; CREATE DATABASE errant_probe; SET GTID_NEXT = 'AUTOMATIC'`);
    await expectRoles(appA, appB);
  });

  it('fails over to app-b when app-a dies under load; the old primary comes back fenced and a site run rejoins it', async () => {
    const load = startLoad();
    await load.untilAcked(20);
    // The 0-lost claim is about real semi-sync: the primary waits for app-b's acknowledgements now.
    if (SEMI_SYNC) expect(await sql(appA, "SELECT VARIABLE_VALUE FROM performance_schema.global_status WHERE VARIABLE_NAME = 'Rpl_semi_sync_source_status'")).toBe('ON');
    const killedAt = Date.now();
    await run('docker', ['kill', appA.containerId]);
    const beforeKill = load.acked.filter((a) => a.at <= killedAt).map((a) => a.id);
    const result = await shipshape('apply', FAILOVER, '-i', inventoryFile, '-e', 'newPrimary=app-b', '--limit', 'all:!app-a', '--json');
    expect(result.code, result.stderr + failures(result.stdout)).toBe(0);
    await load.untilAcked(20);
    await load.stop();
    const outage = load.outageMs(killedAt, Date.now());
    const ids = load.acked.map((a) => a.id);
    const onB = new Set((await sql(appB, 'SELECT id FROM app.visits')).split('\n').filter(Boolean).map(Number));
    const lost = ids.filter((id) => !onB.has(id));
    console.log(
      `failover app-a -> app-b (semi-sync ${SEMI_SYNC ? 'on' : 'off'}): acknowledged ${ids.length} (${beforeKill.length} before the kill), ` +
        `lost ${lost.length}${lost.length ? ` (ids ${lost.join(', ')})` : ''}, longest time without an acknowledged write ${(outage / 1000).toFixed(1)} s`,
    );
    if (SEMI_SYNC) expect(lost).toEqual([]);
    // Every write acknowledged after the promotion is on the new primary whatever the mode.
    expect(lost.every((id) => beforeKill.includes(id))).toBe(true);
    expect(await sql(appB, 'SELECT @@GLOBAL.super_read_only, @@GLOBAL.read_only')).toBe('0\t0');

    // The old primary returns (before any shipshape run): its config starts it read-only.
    await run('docker', ['start', appA.containerId]);
    const { stdout: address } = await run('docker', ['inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', appA.containerId]);
    expect(address.trim()).toBe(appA.address);
    await expect.poll(async () => (await appA.shell('mysql -N -B -e "SELECT @@GLOBAL.super_read_only"')).stdout.trim(), { timeout: 3 * MINUTES, interval: 1000 }).toBe('1');
    const write = await appA.shell('mysql -e "INSERT INTO app.visits (served_by) VALUES (\'split-brain\')"');
    expect(write.exitCode).not.toBe(0);
    expect(write.stderr).toMatch(/super-read-only/);

    // A later site run with mysqlPrimary=app-b rejoins it as a replica (re-seeded if it diverged, said in the plan).
    setPrimary('app-b');
    const rejoin = await shipshape('apply', SITE, '-i', inventoryFile, '--json');
    expect(rejoin.code, rejoin.stderr + failures(rejoin.stdout)).toBe(0);
    const diverged = lost.length > 0;
    if (diverged) expect(rejoin.stdout).toMatch(/re-seed: this host diverged from app-b/);
    else expect(rejoin.stdout).toMatch(/rejoin: every transaction of this host is on app-b|re-seed: this host diverged/);
    await expectRoles(appB, appA);
    const counts = await countRows(appB, appA, ids.filter((id) => onB.has(id)));
    expect(counts.missingOnReplica).toEqual([]);
    expect([...counts.onReplica]).toEqual([...counts.onPrimary]);

    const again = await shipshape('apply', SITE, '-i', inventoryFile, '--json');
    expect(again.code, again.stderr + failures(again.stdout)).toBe(0);
    expect(changedCount(again.stdout)).toBe(0);
    await expectRoles(appB, appA);
  }, 30 * MINUTES);
});
