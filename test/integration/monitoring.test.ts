/**
 * Monitoring on a converged three-host lab, checked independently: Prometheus's own HTTP API (read on
 * the monitoring host through `docker exec curl`, since it listens on 127.0.0.1) and what really
 * arrives at the webhook receiver on the monitoring host (the site's alert recorder). Things are broken one at a time; each alert
 * must reach the receiver, and resolve once shipshape (or the test) repairs it. `for:` durations are
 * short in this inventory so the file stays within minutes; time to fire is printed per alert.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAcmeServer, type AcmeServer } from '../../src/lab/acme-server.ts';
import { startCli } from './support/cli.ts';
import { startTestHosts, type TestHost, type TestHosts } from './support/lab-hosts.ts';

const SITE = path.resolve('playbooks/site.ts');
const DOMAIN = 'shop.example.test';
const RECEIVER_PORT = 9095;
const SECRETS = {
  MYSQL_APP_PASSWORD: 'app-Pa55word',
  MYSQL_REPLICATION_PASSWORD: 'repl-Secret42',
  MYSQL_EXPORTER_PASSWORD: 'exporter-Secret7',
  ALERT_WEBHOOK_URL: `http://127.0.0.1:${RECEIVER_PORT}/alerts`,
};

let lab: TestHosts | undefined;
let acme: AcmeServer | undefined;
let balancer: TestHost;
let appA: TestHost;
let appB: TestHost;
const dir = mkdtempSync(path.join(tmpdir(), 'shipshape-monitoring-test-'));
const inventoryFile = path.join(dir, 'hosts.json');
const timings: string[] = [];
let inventory: { vars: Record<string, unknown> } & Record<string, unknown>;

/** The test inventory, with some variables changed for one test. */
function writeInventory(extraVars: Record<string, unknown> = {}): void {
  writeFileSync(inventoryFile, JSON.stringify({ ...inventory, vars: { ...inventory.vars, ...extraVars } }));
}

/** The real CLI, run to completion with the inventory's secrets and a HOME of its own. */
const shipshape = (...args: string[]) => startCli(args, { ...SECRETS, HOME: dir }).done;

async function sh(host: TestHost, cmd: string, input?: string): Promise<string> {
  const result = await host.shell(cmd, input);
  if (result.exitCode !== 0) throw new Error(`${host.name}: ${cmd}: exit ${result.exitCode}: ${result.stderr}`);
  return result.stdout;
}

const changedLines = (stdout: string) => stdout.split('\n').filter((l) => l.includes('"status":"changed"'));
const failedLines = (stdout: string) => stdout.split('\n').filter((l) => l.includes('"status":"failed"'));

async function applySite(): Promise<string> {
  const result = await shipshape('apply', SITE, '-i', inventoryFile, '--json', '--accept-new-host-keys');
  expect(failedLines(result.stdout), result.stderr).toEqual([]);
  // An unreachable host fails the run without a failed task: name it.
  expect(result.code, result.stderr + result.stdout.split('\n').filter((l) => l.includes('"type":"unreachable"')).join('\n')).toBe(0);
  return result.stdout;
}

/** Prometheus's HTTP API, on the monitoring host. */
async function prometheus(pathAndQuery: string): Promise<any> {
  const body = await sh(balancer, `curl -sf 'http://127.0.0.1:9090${pathAndQuery}'`);
  return JSON.parse(body);
}

type Received = { status: string; alerts: { status: string; labels: Record<string, string>; startsAt: string; endsAt: string }[] };

async function received(): Promise<Received[]> {
  const text = await sh(balancer, 'cat /var/lib/alert-recorder/alerts.jsonl 2>/dev/null || true');
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Received);
}

/**
 * Waits until the receiver got `alertname` with `status` and the given labels, begun (firing) or
 * ended (resolved) after `since` — a resolution may arrive while the repairing run still works —
 * and returns the seconds since `since`.
 */
async function waitForAlert(alertname: string, status: 'firing' | 'resolved', labels: Record<string, string>, since: number, timeoutMs = 240_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const posts = await received();
    const hit = posts.some((post) =>
      post.alerts.some((a) => a.labels.alertname === alertname && a.status === status && Object.entries(labels).every(([k, v]) => a.labels[k] === v) && Date.parse(status === 'firing' ? a.startsAt : a.endsAt) >= since - 5_000),
    );
    if (hit) {
      const seconds = (Date.now() - since) / 1000;
      timings.push(`${alertname} ${status} ${JSON.stringify(labels)}: ${seconds.toFixed(1)} s`);
      return seconds;
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  const names = (await received()).flatMap((p) => p.alerts.map((a) => `${a.labels.alertname}:${a.status}:${a.labels.instance ?? ''}`));
  throw new Error(`${alertname} ${status} ${JSON.stringify(labels)} did not reach the receiver within ${timeoutMs / 1000} s; it got: ${[...new Set(names)].join(', ')}`);
}

beforeAll(async () => {
  lab = await startTestHosts(['mon-lb', 'app-a', 'app-b']);
  [balancer, appA, appB] = lab.hosts;
  acme = await startAcmeServer({ network: lab.network, siteNames: [DOMAIN], resolveTo: balancer.address, labels: lab.labels });
  writeFileSync(path.join(dir, 'acme-ca.pem'), acme.caBundlePem);
  const short = Object.fromEntries(
    ['TargetDown', 'HaproxyServerDown', 'HaproxyBackendNoServer', 'MysqlDown', 'MysqlReplicaIoThreadStopped', 'MysqlReplicaSqlThreadStopped', 'SiteProbeFailed', 'CertificateExpiringSoon', 'DiskSpaceLow'].map((name) => [name, '10s']),
  );
  inventory = {
    hosts: { 'mon-lb': { address: balancer.address }, 'app-a': { address: appA.address }, 'app-b': { address: appB.address } },
    groups: { lb: { hosts: ['mon-lb'] }, monitoring: { hosts: ['mon-lb'] }, web: { hosts: ['app-a', 'app-b'] }, db: { hosts: ['app-a', 'app-b'] } },
    defaults: { user: 'deploy', become: true, privateKey: balancer.privateKeyPath },
    vars: {
      domains: [DOMAIN],
      acmeEmail: 'ops@example.test',
      acmeServer: acme.directoryUrl,
      acmeCaBundle: path.join(dir, 'acme-ca.pem'),
      mysqlPrimary: 'app-a',
      mysqlAptRepository: 'deb http://deb.debian.org/debian sid main',
      mysqlAptRelease: 'sid',
      mysqlAppPassword: { $env: 'MYSQL_APP_PASSWORD' },
      mysqlReplicationPassword: { $env: 'MYSQL_REPLICATION_PASSWORD' },
      mysqlExporterPassword: { $env: 'MYSQL_EXPORTER_PASSWORD' },
      alertWebhookUrl: { $env: 'ALERT_WEBHOOK_URL' },
      alertFor: short,
      monitoringScrapeInterval: '2s',
      alertGroupWait: '1s',
      alertGroupInterval: '2s',
      alertRepeatInterval: '1h',
      probeSkipTlsVerify: true,
      // The site's own recorder on the monitoring host (127.0.0.1:9095) is the webhook receiver.
      alertRecorder: true,
    },
  };
  writeInventory();
});


afterAll(async () => {
  if (timings.length) console.log(`time to reach the webhook receiver:\n  ${timings.join('\n  ')}`);
  await acme?.stop();
  await lab?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('monitoring on the site', () => {
  it('converges with monitoring on the load balancer host', async () => {
    const started = Date.now();
    await applySite();
    timings.push(`first converge: ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }, 40 * 60_000); // MySQL from sid and the monitoring packages on three fresh hosts: long on a loaded machine

  it('has every Prometheus target up (Prometheus API), and no alert firing', async () => {
    let targets: { labels: Record<string, string>; health: string; lastError: string }[] = [];
    await expect
      .poll(async () => {
        targets = (await prometheus('/api/v1/targets?state=active')).data.activeTargets;
        return targets.filter((t) => t.health !== 'up').map((t) => `${t.labels.job}/${t.labels.instance}: ${t.health} ${t.lastError}`);
      }, { timeout: 60_000, interval: 2_000 })
      .toEqual([]);
    const jobs = targets.map((t) => `${t.labels.job}/${t.labels.instance}`).sort();
    expect(jobs).toEqual(
      [
        'alertmanager/mon-lb', 'blackbox/mon-lb', `blackbox-https/https://${balancer.address}/`, 'haproxy/mon-lb', 'mysqld/app-a', 'mysqld/app-b',
        'node/app-a', 'node/app-b', 'node/mon-lb', 'prometheus/mon-lb',
      ].sort(),
    );
    // The exporters really read their sources: MySQL answers, the replica replicates, HAProxy sees both servers, the probe passes.
    const value = async (q: string) => (await prometheus(`/api/v1/query?query=${encodeURIComponent(q)}`)).data.result.map((r: any) => `${r.metric.instance ?? ''}=${r.value[1]}`).sort();
    expect(await value('mysql_up')).toEqual(['app-a=1', 'app-b=1']);
    expect(await value('mysql_slave_status_replica_sql_running')).toEqual(['app-b=1']);
    await expect.poll(() => value('haproxy_backend_active_servers{proxy="web"}'), { timeout: 30_000 }).toEqual(['mon-lb=2']);
    expect(await value('probe_success')).toEqual([`https://${balancer.address}/=1`]);
    // A scrape that times out on a loaded machine makes TargetDown pending for a moment: wait for
    // quiet. DiskFillingUp (for: 30m, its default) may stay pending: the lab hosts' / is this machine's
    // own disk, which the test suite fills by gigabytes a minute, and predict_linear over minutes
    // of samples then rightly predicts it full; it cannot fire within the test.
    await expect
      .poll(
        async () =>
          (await prometheus('/api/v1/alerts')).data.alerts
            .filter((a: any) => a.state === 'firing' || a.labels.alertname !== 'DiskFillingUp')
            .map((a: any) => `${a.labels.alertname}:${a.state}:${a.labels.instance}`),
        { timeout: 90_000, interval: 3_000 },
      )
      .toEqual([]);
  });

  it('keeps exporters to the monitoring host, the UIs on localhost, the exporter credentials 0600', async () => {
    // From a host that is not the monitoring host: refused by ufw.
    expect((await appB.shell(`timeout 3 bash -c '</dev/tcp/${appA.address}/9100'`)).exitCode).not.toBe(0);
    expect((await appB.shell(`timeout 3 bash -c '</dev/tcp/${appA.address}/9104'`)).exitCode).not.toBe(0);
    expect((await appA.shell(`timeout 3 bash -c '</dev/tcp/${balancer.address}/8405'`)).exitCode).not.toBe(0);
    // From the monitoring host: open.
    expect(await sh(balancer, `curl -sf http://${appA.address}:9104/metrics | grep -c '^mysql_up 1'`)).toBe('1\n');
    // Prometheus and Alertmanager: loopback only.
    const listening = await sh(balancer, 'ss -ltnH');
    for (const port of [9090, 9093, 9115]) expect(listening).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}\\b`));
    expect(listening).not.toMatch(/(\*|0\.0\.0\.0|\[::\]):(9090|9093|9094|9115)\b/);
    expect(await sh(appA, 'stat -c "%a %U" /etc/prometheus/mysqld-exporter.cnf')).toBe('600 prometheus\n');
    expect(await sh(appA, `mysql -N -B -e "SHOW GRANTS FOR 'prometheus_exporter'@'localhost'"`)).toMatch(/GRANT SELECT, PROCESS, REPLICATION CLIENT ON \*\.\*/);
  });

  it('changes nothing on a second run', async () => {
    const stdout = await applySite();
    expect(changedLines(stdout)).toEqual([]);
  });

  it('alerts when a web host\'s app stops (HAProxy server down), resolves after shipshape repairs it', async () => {
    const since = Date.now();
    await sh(appB, 'systemctl stop app');
    await waitForAlert('HaproxyServerDown', 'firing', { server: 'app-b' }, since);
    const repaired = Date.now();
    await applySite();
    await waitForAlert('HaproxyServerDown', 'resolved', { server: 'app-b' }, repaired);
  });

  it('alerts when the replica\'s SQL thread stops, resolves after shipshape restarts replication', async () => {
    const since = Date.now();
    await sh(appB, 'mysql -e "STOP REPLICA SQL_THREAD"');
    await waitForAlert('MysqlReplicaSqlThreadStopped', 'firing', { instance: 'app-b' }, since);
    const repaired = Date.now();
    await applySite();
    await waitForAlert('MysqlReplicaSqlThreadStopped', 'resolved', { instance: 'app-b' }, repaired);
  });

  it('alerts when MySQL on the replica stops, resolves after shipshape starts it', async () => {
    const since = Date.now();
    await sh(appB, 'systemctl stop mysql');
    await waitForAlert('MysqlDown', 'firing', { instance: 'app-b' }, since);
    const repaired = Date.now();
    await applySite();
    await waitForAlert('MysqlDown', 'resolved', { instance: 'app-b' }, repaired);
  });

  // Not under /mnt: Debian's node exporter leaves /mnt, /media and /run out of its filesystems.
  it('alerts when a filesystem fills past 90 %, resolves when space is freed', async () => {
    await sh(appA, 'mkdir -p /srv/fill && mount -t tmpfs -o size=8m tmpfs /srv/fill');
    try {
      const since = Date.now();
      await sh(appA, 'dd if=/dev/zero of=/srv/fill/blob bs=1M count=8 2>/dev/null || true');
      await waitForAlert('DiskSpaceLow', 'firing', { instance: 'app-a', mountpoint: '/srv/fill' }, since);
      const repaired = Date.now();
      await sh(appA, 'rm -f /srv/fill/blob');
      await waitForAlert('DiskSpaceLow', 'resolved', { instance: 'app-a', mountpoint: '/srv/fill' }, repaired);
    } finally {
      await appA.shell('umount /srv/fill');
    }
  });

  // pebble's certificates live for years: a threshold just above the served certificate's remaining
  // lifetime (read from Prometheus) makes the alert fire; the default threshold (14 days) resolves it.
  it('alerts when the served certificate expires within the inventory\'s threshold, resolves at the default', async () => {
    const instance = `https://${balancer.address}/`;
    const left = (await prometheus(`/api/v1/query?query=${encodeURIComponent(`probe_ssl_earliest_cert_expiry{instance="${instance}"} - time()`)}`)).data.result;
    expect(left).toHaveLength(1);
    const daysLeft = Number(left[0].value[1]) / 86400;
    expect(daysLeft).toBeGreaterThan(14);
    const since = Date.now();
    writeInventory({ alertCertificateDays: Math.ceil(daysLeft) + 1 });
    try {
      await applySite();
      await waitForAlert('CertificateExpiringSoon', 'firing', { instance }, since);
    } finally {
      writeInventory();
    }
    const repaired = Date.now();
    await applySite();
    await waitForAlert('CertificateExpiringSoon', 'resolved', { instance }, repaired);
  });

  it('alerts on drift found by `shipshape plan` (exported as metrics), resolves after apply', async () => {
    const exportDrift = async () => {
      const plan = await shipshape('plan', SITE, '-i', inventoryFile, '--json');
      writeFileSync(path.join(dir, 'plan.jsonl'), plan.stdout);
      const out = path.join(dir, 'shipshape.prom');
      expect((await shipshape('recap', 'metrics', path.join(dir, 'plan.jsonl'), '-o', out)).code).toBe(0);
      await sh(balancer, 'cat > /var/lib/prometheus/node-exporter/.shipshape.prom.tmp && mv /var/lib/prometheus/node-exporter/.shipshape.prom.tmp /var/lib/prometheus/node-exporter/shipshape.prom', readFileSync(out, 'utf8'));
      return plan.code;
    };
    expect(await exportDrift()).toBe(0);
    const since = Date.now();
    await sh(balancer, "sed -i 's/balance roundrobin/balance static-rr/' /etc/haproxy/haproxy.cfg");
    expect(await exportDrift()).toBe(2);
    await waitForAlert('ConfigurationDrifted', 'firing', { host: 'mon-lb' }, since);
    const repaired = Date.now();
    await applySite();
    expect(await exportDrift()).toBe(0);
    await waitForAlert('ConfigurationDrifted', 'resolved', { host: 'mon-lb' }, repaired);
  });
});
