/**
 * Two load balancers, one floating address (keepalived), checked from outside: the site's lb tier
 * converged with playbooks/site.ts (`--limit lb`) on lb-01 and lb-02, one web host (nginx) behind
 * them, the lab's ACME server resolving the site's name to the floating address. Both nodes get a
 * certificate that verifies against the ACME CA; then a client sends HTTPS requests to the
 * floating address at 20 per second while (a) HAProxy dies on the holder, (b) the holder's
 * container stops, (c) it comes back; and the backup node renews its certificate.
 * Failover numbers are printed (for the README), not asserted against a clock.
 */
import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAcmeServer, type AcmeServer } from '../../src/lab/acme-server.ts';
import { startTestHosts, type TestHost, type TestHosts } from './support/lab-hosts.ts';
import { startCli } from './support/cli.ts';
import { request } from './support/http.ts';

const run = promisify(execFile);
const SITE = path.resolve('playbooks/site.ts');
const DOMAIN = 'pair.example.test';
// A /24 of its own, Docker allocating only from its lower half: the floating address is never a container's.
const NET = `10.213.${randomInt(1, 250)}`;
const VIP = `${NET}.200`;

let lab: TestHosts | undefined;
let acme: AcmeServer | undefined;
let issuerRoot = '';
let lb1: TestHost;
let lb2: TestHost;
let app: TestHost;
const dir = mkdtempSync(path.join(tmpdir(), 'shipshape-lb-pair-test-'));
const inventoryFile = path.join(dir, 'hosts.ini');

/** The real CLI, with a HOME of its own (--accept-new-host-keys records into ~/.ssh/known_hosts). */
const shipshape = (...args: string[]) =>
  startCli(args, { HOME: dir, MYSQL_APP_PASSWORD: 'unused-a', MYSQL_REPLICATION_PASSWORD: 'unused-b' }).done;

async function sh(host: TestHost, cmd: string): Promise<string> {
  const result = await host.shell(cmd);
  if (result.exitCode !== 0) throw new Error(`${host.name}: ${cmd}: exit ${result.exitCode}: ${result.stderr}`);
  return result.stdout;
}

/** Which lb holds the floating address, seen from inside each container (docker exec). */
async function holders(): Promise<string[]> {
  const found: string[] = [];
  for (const host of [lb1, lb2]) {
    const out = await host.shell('ip -4 -o addr show');
    if (out.exitCode === 0 && out.stdout.includes(` ${VIP}/`)) found.push(host.name);
  }
  return found;
}

const docker = (...args: string[]) => run('docker', args);

/** The serial of the certificate `address` serves for DOMAIN, verified against the ACME CA. */
function servedSerial(address: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: address, port: 443, servername: DOMAIN, ca: issuerRoot, rejectUnauthorized: true }, () => {
      const serial = socket.getPeerCertificate().serialNumber;
      socket.end();
      resolve(serial);
    });
    socket.setTimeout(5000, () => socket.destroy(new Error(`TLS to ${address} timed out`)));
    socket.on('error', reject);
  });
}

interface Sample {
  at: number;
  ok: boolean;
}

/** HTTPS GETs to the floating address, one every 50 ms (20/s), each verified against the ACME CA. */
function startLoad(): { samples: Sample[]; stop(): Promise<void> } {
  const samples: Sample[] = [];
  const pending = new Set<Promise<void>>();
  const timer = setInterval(() => {
    const at = Date.now();
    const p = request({ address: VIP, name: DOMAIN, path: '/', tls: true, ca: issuerRoot, timeoutMs: 2000 })
      .then((answer) => void samples.push({ at, ok: answer.status === 200 }))
      .catch(() => void samples.push({ at, ok: false }))
      .finally(() => pending.delete(p));
    pending.add(p);
  }, 50);
  return {
    samples,
    async stop() {
      clearInterval(timer);
      await Promise.all(pending);
    },
  };
}

/** Failed requests sent in [from, to), and the time from the first failed to the first good one after it. */
function outage(samples: Sample[], from: number, to: number) {
  const window = samples.filter((s) => s.at >= from && s.at < to).sort((a, b) => a.at - b.at);
  const failed = window.filter((s) => !s.ok);
  const firstFailed = failed[0];
  const lastFailed = failed.at(-1);
  const firstGoodAfter = lastFailed ? window.find((s) => s.ok && s.at > lastFailed.at) : undefined;
  return {
    sent: window.length,
    failed: failed.length,
    goodAfter: lastFailed ? window.filter((s) => s.ok && s.at > lastFailed.at).length : window.filter((s) => s.ok).length,
    failoverMs: firstFailed && firstGoodAfter ? firstGoodAfter.at - firstFailed.at : 0,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitForHolder(not?: string): Promise<string> {
  const deadline = Date.now() + 60_000;
  let current: string[] = [];
  while (Date.now() < deadline) {
    current = await holders();
    if (current.length === 1 && current[0] !== not) return current[0];
    await sleep(200);
  }
  const journals = await Promise.all([lb1, lb2].map((h) => h.shell('systemctl is-active haproxy keepalived; journalctl -u keepalived -n 15 --no-pager')));
  throw new Error(`floating address held by [${current.join(', ')}], wanted one node${not ? ` other than ${not}` : ''}\n${journals.map((j) => j.stdout).join('\n---\n')}`);
}

const hostByName = (name: string) => (name === lb1.name ? lb1 : lb2);

// A fresh pair installs HAProxy, keepalived and certbot and gets two certificates: on a loaded
// machine that takes longer than the suite's default per-test timeout.
const CONVERGE_TIMEOUT = 40 * 60_000;

beforeAll(async () => {
  lab = await startTestHosts(['lb-01', 'lb-02', 'app-01'], {
    subnet: { subnet: `${NET}.0/24`, ipRange: `${NET}.0/25`, gateway: `${NET}.1` },
    // /proc/sys is read-only in the lab containers: the key the playbook sets is set at start.
    sysctls: { 'net.ipv4.ip_nonlocal_bind': '1' },
  });
  [lb1, lb2, app] = lab.hosts;
  acme = await startAcmeServer({ network: lab.network, siteNames: [DOMAIN], resolveTo: VIP, labels: lab.labels });
  writeFileSync(path.join(dir, 'acme-ca.pem'), acme.caBundlePem);
  // The web tier is not under test here: a tiny HTTP server answering every path with its name
  // (perl is in the base image; no package to install) stands in for the site's web hosts.
  const server =
    'use IO::Socket::INET; my $s = IO::Socket::INET->new(LocalPort => 80, Listen => 128, ReuseAddr => 1) or die $!; ' +
    'while (my $c = $s->accept) { while (my $l = <$c>) { last if $l =~ /^\r?\n$/ } ' +
    'print $c "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 7\r\nConnection: close\r\n\r\napp-01\n"; close $c }';
  await sh(app, `systemd-run --unit=app80 perl -e '${server}'`);
  writeFileSync(
    inventoryFile,
    [
      `lb-01 ansible_host=${lb1.address}`,
      `lb-02 ansible_host=${lb2.address}`,
      `app-01 ansible_host=${app.address}`,
      '',
      '[lb]',
      'lb-01',
      'lb-02',
      '[web]',
      'app-01',
      '[db]',
      'app-01',
      '',
      '[all:vars]',
      'ansible_user=deploy',
      'ansible_become=true',
      `ansible_ssh_private_key_file=${lb1.privateKeyPath}`,
      `domains=${DOMAIN}`,
      'acmeEmail=ops@example.test',
      `acmeServer=${acme.directoryUrl}`,
      `acmeCaBundle=${path.join(dir, 'acme-ca.pem')}`,
      `virtualAddress=${VIP}/24`,
      // The stand-in web host speaks plain HTTP; backend TLS is the site test's.
      'backendTls=false',
      'mysqlPrimary=app-01',
      'mysqlAppPassword={"$env":"MYSQL_APP_PASSWORD"}',
      'mysqlReplicationPassword={"$env":"MYSQL_REPLICATION_PASSWORD"}',
      '',
    ].join('\n'),
  );
});

afterAll(async () => {
  await acme?.stop();
  await lab?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a keepalived pair of load balancers', () => {
  it('converges both: keepalived with a validated config, the address on exactly one, VRRP open to the peer only', async () => {
    const result = await shipshape('apply', SITE, '-i', inventoryFile, '--limit', 'lb', '--json', '--accept-new-host-keys');
    const failures = result.stdout.split('\n').filter((l) => l.includes('"status":"failed"'));
    expect(failures, result.stderr).toEqual([]);
    expect(result.code, result.stderr).toBe(0);
    issuerRoot = await acme!.fetchIssuerRoot();
    expect(await holders()).toHaveLength(1);
    for (const [host, peer] of [[lb1, lb2], [lb2, lb1]]) {
      expect(await sh(host, 'systemctl is-active keepalived haproxy; systemctl is-enabled keepalived')).toBe('active\nactive\nenabled\n');
      await sh(host, 'keepalived -t -f /etc/keepalived/keepalived.conf');
      expect(await sh(host, 'grep -c enable_script_security /etc/keepalived/keepalived.conf')).toBe('1\n');
      // The kernel's own rules: VRRP (IP protocol 112) accepted from the peer, from nobody else.
      const rules = await sh(host, 'iptables -S ufw-user-input');
      const vrrp = rules.split('\n').filter((l) => /-p (vrrp|112)\b/.test(l));
      expect(vrrp).toHaveLength(1);
      expect(vrrp[0]).toMatch(new RegExp(`^-A ufw-user-input -s ${peer.address.replace(/\./g, '\\.')}/32 -p (vrrp|112) -j ACCEPT$`));
      expect(await sh(host, 'cat /etc/sysctl.d/60-shipshape.conf')).toBe('net.ipv4.ip_nonlocal_bind = 1\n');
    }
  }, CONVERGE_TIMEOUT);

  it('both load balancers serve a certificate for the site that verifies against the ACME CA', async () => {
    for (const host of [lb1, lb2]) {
      await expect.poll(async () => (await request({ address: host.address, name: DOMAIN, path: '/', tls: true, ca: issuerRoot }).catch(() => undefined))?.status, { timeout: 30_000 }).toBe(200);
      expect(await servedSerial(host.address)).toMatch(/^[0-9A-F]+$/);
    }
    // Two orders, two certificates: each node has its own.
    expect(await servedSerial(lb1.address)).not.toBe(await servedSerial(lb2.address));
  });

  it('changes nothing on a second run', async () => {
    const result = await shipshape('apply', SITE, '-i', inventoryFile, '--limit', 'lb', '--json');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.split('\n').filter((l) => l.includes('"status":"changed"'))).toEqual([]);
  }, CONVERGE_TIMEOUT);

  it('keeps the site answering through HAProxy dying, the holder stopping and coming back', async () => {
    const first = await waitForHolder();
    const other = first === lb1.name ? lb2.name : lb1.name;
    const load = startLoad();
    await sleep(3000);

    // (a) HAProxy killed on the holder, and kept down (systemd would restart it at once).
    const a = Date.now();
    await sh(hostByName(first), 'systemctl kill -s KILL haproxy; systemctl stop haproxy');
    const afterA = await waitForHolder(first);
    await sleep(4000);
    await sh(hostByName(first), 'systemctl start haproxy');
    await sleep(5000);
    // No preemption: the node whose HAProxy is back does not take the address back.
    expect(await holders()).toEqual([other]);

    // (b) the holder's container stops.
    const b = Date.now();
    await docker('stop', '-t', '1', hostByName(other).containerId);
    const afterB = await waitForHolder(other);
    await sleep(4000);

    // (c) it comes back (systemd boots, keepalived starts from its enabled unit).
    const c = Date.now();
    await docker('start', hostByName(other).containerId);
    await expect.poll(async () => (await hostByName(other).shell('systemctl is-active keepalived')).stdout.trim(), { timeout: 120_000, interval: 500 }).toBe('active');
    await sleep(6000);
    const end = Date.now();
    await load.stop();

    const events = { a: outage(load.samples, a, b), b: outage(load.samples, b, c), c: outage(load.samples, c, end) };
    const holderAfterC = await holders();
    console.log(`lb-pair failover: ${JSON.stringify({ first, afterA, afterB, holderAfterC, events })}`);

    expect(afterA).toBe(other);
    expect(afterB).toBe(first);
    // Without preemption the address stays where it went.
    expect(holderAfterC).toEqual([first]);
    for (const event of Object.values(events)) {
      // Bounded: at 20 requests a second, well under the 2-second-timeout tail of a few seconds' outage.
      expect(event.failed).toBeLessThan(event.sent / 2);
      expect(event.goodAfter).toBeGreaterThan(20);
    }
    expect(events.c.failed).toBe(0);
  });

  it('the backup node renews its certificate (the challenge reaches the holder, which hands it over); both nodes then serve verified certificates', async () => {
    const [holderName] = await holders();
    const holder = hostByName(holderName);
    const backup = holder === lb1 ? lb2 : lb1;
    const [holderBefore, backupBefore] = [await servedSerial(holder.address), await servedSerial(backup.address)];
    await sh(backup, `env $(systemctl show certbot.service -p Environment --value) certbot renew --force-renewal --cert-name ${DOMAIN} --no-random-sleep-on-renew`);
    // The CA resolved the name to the floating address, which the backup never held meanwhile.
    expect(await holders()).toEqual([holder.name]);
    await expect.poll(async () => servedSerial(backup.address), { timeout: 20_000 }).not.toBe(backupBefore);
    // The holder keeps its own certificate; both verify against the ACME CA (servedSerial rejects otherwise).
    expect(await servedSerial(holder.address)).toBe(holderBefore);
    for (const address of [backup.address, holder.address, VIP]) {
      const answer = await request({ address, name: DOMAIN, path: '/', tls: true, ca: issuerRoot });
      expect(answer.status, address).toBe(200);
    }
  });
});
