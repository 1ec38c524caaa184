/**
 * The flagship on fresh hosts, checked independently (HTTP(S) requests, docker exec), never with
 * shipshape's own report: round robin through HAProxy over HTTPS with a certificate from a real ACME
 * server (pebble), HTTP → HTTPS, ufw boundaries, MySQL replication carrying the app's writes; a
 * second run changes nothing; ten kinds of drift are named by `plan` (exit 2), fixed by `apply`.
 *
 * The inventory is Ansible INI with names, addresses and a domain unlike the lab's, so nothing in
 * the playbook may assume them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAcmeServer, type AcmeServer } from '../../src/lab/acme-server.ts';
import { startCli } from './support/cli.ts';
import { startTestHosts, type TestHost, type TestHosts } from './support/lab-hosts.ts';
import { siteInventoryIni } from './support/site-inventory.ts';
import { canConnect, request } from './support/http.ts';
import { CONFIG_TREES, expectSameHostState, snapshotHostState, type HostStateSpec } from './support/host-state.ts';
import { HAPROXY_PEM } from '../../playbooks/roles/load-balancer.ts';

const SITE = path.resolve('playbooks/site.ts');
const DOMAIN = 'shop.example.test';
const SECRETS = { MYSQL_APP_PASSWORD: 'app-Pa55"word$!', MYSQL_REPLICATION_PASSWORD: "repl'Secret#42" };

let lab: TestHosts | undefined;
let acme: AcmeServer | undefined;
let issuerRoot = '';
let balancer: TestHost;
let appA: TestHost;
let appB: TestHost;
const dir = mkdtempSync(path.join(tmpdir(), 'shipshape-site-test-'));
const inventoryFile = path.join(dir, 'hosts.ini');

/** The real CLI; HOME of its own: --accept-new-host-keys records into ~/.ssh/known_hosts, and
 * container addresses come back with new keys in later runs (a changed key is, rightly, refused). */
const shipshape = (...args: string[]) => startCli(args, { ...SECRETS, HOME: dir }).done;

async function sh(host: TestHost, cmd: string): Promise<string> {
  const result = await host.shell(cmd);
  if (result.exitCode !== 0) throw new Error(`${host.name}: ${cmd}: exit ${result.exitCode}: ${result.stderr}`);
  return result.stdout;
}

const mysqlOn = (host: TestHost, sql: string) => sh(host, `mysql -N -B -e ${JSON.stringify(sql)}`);

function tally(stdout: string) {
  const lines = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  return lines.at(-1) as { type: string; hosts: Record<string, { changed: number; failed: number; unreachable: number }> };
}

beforeAll(async () => {
  lab = await startTestHosts(['balancer', 'app-a', 'app-b']);
  [balancer, appA, appB] = lab.hosts;
  acme = await startAcmeServer({ network: lab.network, siteNames: [DOMAIN], resolveTo: balancer.address, labels: lab.labels });
  writeFileSync(path.join(dir, 'acme-ca.pem'), acme.caBundlePem);
  writeFileSync(
    inventoryFile,
    siteInventoryIni({ balancer, appA, appB, domain: DOMAIN, acmeServer: acme.directoryUrl, acmeCaBundle: path.join(dir, 'acme-ca.pem') }),
  );
});

afterAll(async () => {
  await acme?.stop();
  await lab?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the site on three fresh hosts', () => {
  it('plans on fresh hosts without failing or changing anything (check mode does not lie)', async () => {
    const result = await shipshape('plan', SITE, '-i', inventoryFile, '--json', '--accept-new-host-keys');
    expect(result.code, result.stderr).toBe(2);
    const tasks = result.stdout.split('\n').filter((l) => l.startsWith('{"type":"task"')).map((l) => JSON.parse(l));
    expect(tasks.filter((t) => t.status === 'failed')).toEqual([]);
    // Tasks that read what earlier tasks would create say so instead of failing.
    expect(tasks.some((t) => t.afterEarlierChanges)).toBe(true);
    expect((await appA.shell('command -v mysqld nginx')).exitCode).not.toBe(0);
    expect((await balancer.shell('ufw status')).exitCode).not.toBe(0);
  });

  it('converges from fresh hosts', async () => {
    const result = await shipshape('apply', SITE, '-i', inventoryFile, '--json', '--accept-new-host-keys');
    const recap = tally(result.stdout);
    const failures = result.stdout.split('\n').filter((l) => l.includes('"status":"failed"'));
    expect(failures, result.stderr).toEqual([]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toContain('warning');
    for (const name of ['balancer', 'app-a', 'app-b']) expect(recap.hosts[name]).toMatchObject({ failed: 0, unreachable: 0 });
    issuerRoot = await acme!.fetchIssuerRoot();
  });

  it('serves HTTPS through the load balancer, round robin over both web hosts, with a valid certificate', async () => {
    // HAProxy counts a backend up after two good health checks: wait (bounded) until both answered.
    const seen = new Set<string>();
    await expect
      .poll(async () => {
        const answer = await request({ address: balancer.address, name: DOMAIN, path: '/', tls: true, ca: issuerRoot }).catch(() => undefined);
        if (answer?.status === 200) seen.add(answer.body.trim());
        return seen.size;
      }, { timeout: 30_000, interval: 300 })
      .toBe(2);
    const served: string[] = [];
    for (let i = 0; i < 6; i++) {
      const answer = await request({ address: balancer.address, name: DOMAIN, path: '/', tls: true, ca: issuerRoot });
      expect(answer.status).toBe(200);
      served.push(answer.body.trim());
    }
    expect(new Set(served)).toEqual(new Set(['app-a', 'app-b']));
    // Round robin: consecutive answers alternate.
    for (let i = 1; i < served.length; i++) expect(served[i]).not.toBe(served[i - 1]);
  });

  it('redirects HTTP to HTTPS', async () => {
    const answer = await request({ address: balancer.address, name: DOMAIN, path: '/visits', tls: false });
    expect(answer.status).toBe(301);
    expect(answer.headers.location).toBe(`https://${DOMAIN}/visits`);
  });

  it('keeps web port 443 (TLS from the balancer, verified against the private CA) and MySQL port 3306 closed except to the hosts that need them', async () => {
    expect(await canConnect(balancer.address, 443)).toBe(true);
    expect(await canConnect(appA.address, 443)).toBe(false); // from the controller
    expect(await canConnect(appA.address, 80)).toBe(false);
    expect(await sh(balancer, `curl -s -o /dev/null -w '%{http_code}' --cacert /etc/haproxy/backend-ca.crt https://${appA.address}/health`)).toBe('200');
    // No plain HTTP across the network: Nginx's port 80 (local health checks) is open to nobody.
    expect((await balancer.shell(`curl -s -m 5 http://${appA.address}/health`)).exitCode).not.toBe(0);
    expect(await sh(appA, 'curl -s http://127.0.0.1/health')).toBeTruthy();
    expect((await balancer.shell(`timeout 3 bash -c '</dev/tcp/${appA.address}/3306'`)).exitCode).not.toBe(0);
    expect((await appB.shell(`timeout 3 bash -c '</dev/tcp/${appA.address}/3306'`)).exitCode).toBe(0);
    expect(await canConnect(appA.address, 3306)).toBe(false);
  });

  it('replicates: threads running, an app write through the primary shows up on the replica', async () => {
    const status = await sh(appB, 'mysql -E -e "SHOW REPLICA STATUS"');
    expect(status).toMatch(/Replica_IO_Running: Yes/);
    expect(status).toMatch(/Replica_SQL_Running: Yes/);
    expect(await mysqlOn(appB, 'SELECT @@global.super_read_only')).toBe('1\n');
    const visit = await request({ address: balancer.address, name: DOMAIN, path: '/visits', tls: true, ca: issuerRoot });
    expect(visit.status).toBe(200);
    const { visitId } = JSON.parse(visit.body) as { visitId: number };
    await expect.poll(async () => mysqlOn(appB, `SELECT COUNT(*) FROM app.visits WHERE id = ${visitId}`), { timeout: 10_000 }).toBe('1\n');
  });

  it('leaves every service enabled', async () => {
    expect(await sh(balancer, 'systemctl is-enabled haproxy certbot.timer')).toBe('enabled\nenabled\n');
    for (const host of [appA, appB]) expect(await sh(host, 'systemctl is-enabled nginx app mysql')).toBe('enabled\nenabled\nenabled\n');
  });

  it('changes nothing on a second run', async () => {
    // Judged by the hosts too: no file rewritten, no service restarted, no certificate re-issued,
    // the replica still on the same source and GTID sets.
    const specs: Array<[TestHost, HostStateSpec]> = [
      [balancer, { paths: CONFIG_TREES, services: 'running', certificates: [HAPROXY_PEM] }],
      [appA, { paths: CONFIG_TREES, services: 'running' }],
      [appB, { paths: CONFIG_TREES, services: 'running', replica: true }],
    ];
    const before = await Promise.all(specs.map(([host, spec]) => snapshotHostState(host, spec)));
    const result = await shipshape('apply', SITE, '-i', inventoryFile, '--json');
    expect(result.code, result.stderr).toBe(0);
    const recap = tally(result.stdout);
    const changed = result.stdout.split('\n').filter((l) => l.includes('"status":"changed"'));
    expect(changed).toEqual([]);
    for (const name of ['balancer', 'app-a', 'app-b']) expect(recap.hosts[name].changed).toBe(0);
    const after = await Promise.all(specs.map(([host, spec]) => snapshotHostState(host, spec)));
    specs.forEach(([host], i) => expectSameHostState(before[i], after[i], host.name));
  });

  it('applies to the web tier alone with --limit web, reaching the CA on the load balancer for its certificates', async () => {
    const result = await shipshape('apply', SITE, '-i', inventoryFile, '--limit', 'web', '--json');
    expect(result.code, result.stderr + result.stdout.split('\n').filter((l) => l.includes('failed')).join('\n')).toBe(0);
    expect(Object.keys(tally(result.stdout).hosts).sort()).toEqual(['app-a', 'app-b']);
    expect(result.stdout.split('\n').filter((l) => l.includes('"status":"changed"'))).toEqual([]);
  });

  it('names ten kinds of drift in plan (exit 2, nothing changed), apply fixes them, plan is clean again', async () => {
    await sh(balancer, "sed -i 's/balance roundrobin/balance static-rr/' /etc/haproxy/haproxy.cfg");
    await sh(balancer, 'ufw delete allow 443/tcp || ufw --force delete $(ufw status numbered | sed -n "s/^\\[ *\\([0-9]*\\)\\] 443\\/tcp .*/\\1/p" | head -1)');
    await sh(appA, 'systemctl stop nginx');
    await sh(appA, "sed -i 's/shipshape-sample/tampered/' /srv/app/current/app.py");
    await sh(appB, 'rm /etc/nginx/sites-available/shipshape-app');
    await sh(appB, 'systemctl stop app');
    await mysqlOn(appB, 'STOP REPLICA');
    await mysqlOn(appB, 'SET GLOBAL super_read_only = OFF');
    await sh(appB, "sed -i 's/^binlog_format.*/binlog_format = MIXED/' /etc/mysql/mysql.conf.d/zz-shipshape.cnf");
    await sh(balancer, 'ufw --force disable');

    const plan = await shipshape('plan', SITE, '-i', inventoryFile);
    expect(plan.code, plan.stderr).toBe(2);
    const out = plan.stdout;
    expect(out).toMatch(/-\s*balance static-rr/);
    expect(out).toMatch(/balancer[^\n]*would change[^\n]*firewall/);
    // The firewall task's own change line (a bare /443/ would match the HAProxy diff too).
    expect(out).toMatch(/^balancer\s+would change\s+firewall\n(?: {14}~ [^\n]*\n)*? {14}~ allow 443\/tcp from any \(comment 'https'\)$/m);
    expect(out).toMatch(/app-a[^\n]*would change[^\n]*nginx running/);
    expect(out).toMatch(/app-a[^\n]*would change[^\n]*deploy application/);
    expect(out).toMatch(/app-b[^\n]*would change[^\n]*nginx site/);
    expect(out).toMatch(/app-b[^\n]*would change[^\n]*application running/);
    expect(out).toMatch(/app-b[^\n]*would change[^\n]*replicate from app-a/);
    expect(out).toMatch(/super_read_only/);
    expect(out).toMatch(/binlog_format/);
    // Nothing was changed by plan.
    expect(await sh(balancer, 'grep -c "balance static-rr" /etc/haproxy/haproxy.cfg')).toBe('1\n');
    expect((await appA.shell('systemctl is-active nginx')).stdout.trim()).toBe('inactive');

    const fix = await shipshape('apply', SITE, '-i', inventoryFile, '--json');
    expect(fix.code, fix.stderr + fix.stdout.split('\n').filter((l) => l.includes('failed')).join('\n')).toBe(0);
    expect(await sh(balancer, 'grep -c "balance roundrobin" /etc/haproxy/haproxy.cfg')).toBe('1\n');
    expect(await sh(balancer, 'ufw status | head -1')).toBe('Status: active\n');
    expect((await sh(appA, 'systemctl is-active nginx')).trim()).toBe('active');
    expect((await sh(appB, 'systemctl is-active app')).trim()).toBe('active');
    expect(await sh(appB, 'mysql -E -e "SHOW REPLICA STATUS"')).toMatch(/Replica_SQL_Running: Yes/);
    expect(await mysqlOn(appB, 'SELECT @@global.super_read_only')).toBe('1\n');

    const clean = await shipshape('plan', SITE, '-i', inventoryFile);
    expect(clean.code, clean.stdout).toBe(0);
  });
});
