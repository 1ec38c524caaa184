/**
 * playbooks/deploy.ts on the converged site (load balancer + two web/db hosts), under a request
 * loop through the load balancer over HTTPS (20 requests a second from the controller): a rolling
 * deploy of a changed app fails no request and leaves every answer from the new release; the same
 * deploy without the drain (a naive restart) is measured for contrast; a release whose health
 * check fails stops the rollout with the other host still serving. Checked outside shipshape:
 * the answers themselves, and HAProxy's state read through its socket by docker exec.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAcmeServer, type AcmeServer } from '../../src/lab/acme-server.ts';
import { startCli } from './support/cli.ts';
import { startTestHosts, type TestHost, type TestHosts } from './support/lab-hosts.ts';
import { siteInventoryIni } from './support/site-inventory.ts';
import { request } from './support/http.ts';

const DOMAIN = 'shop.example.test';
const SECRETS = { MYSQL_APP_PASSWORD: 'app-Pa55word', MYSQL_REPLICATION_PASSWORD: 'repl-Secret42' };

let lab: TestHosts | undefined;
let acme: AcmeServer | undefined;
let issuerRoot = '';
let balancer: TestHost;
let appA: TestHost;
let appB: TestHost;
const dir = mkdtempSync(path.join(tmpdir(), 'shipshape-rolling-test-'));
// A copy of the project, so a test can change the app's code like a developer would.
const project = path.join(dir, 'project');
const appPy = path.join(project, 'playbooks/files/app/app.py');
const inventoryFile = path.join(dir, 'hosts.ini');

const shipshape = (...args: string[]) => startCli(args, { ...SECRETS, HOME: dir }).done;

/** The app's code, answering `<host> <release>` on GET /. */
function release(name: string): void {
  const original = readFileSync(path.resolve('playbooks/files/app/app.py'), 'utf8');
  const changed = original.replace('self.reply(200, HOSTNAME + "\\n")', `self.reply(200, HOSTNAME + " ${name}\\n")`);
  if (changed === original) throw new Error('the app no longer answers HOSTNAME on /: update this test');
  writeFileSync(appPy, changed);
}

const get = () => request({ address: balancer.address, name: DOMAIN, path: '/', tls: true, ca: issuerRoot, timeoutMs: 10_000 });

/** Requests at a steady rate (not waiting for answers) until stopped; every outcome recorded. */
function requestLoop(perSecond: number) {
  const outcomes: Array<Promise<{ ok: boolean; text: string }>> = [];
  const timer = setInterval(() => {
    outcomes.push(
      get().then(
        (answer) => ({ ok: answer.status === 200, text: answer.status === 200 ? answer.body.trim() : `HTTP ${answer.status}` }),
        (error: Error) => ({ ok: false, text: error.message }),
      ),
    );
  }, 1000 / perSecond);
  return {
    async stop() {
      clearInterval(timer);
      const all = await Promise.all(outcomes);
      return { total: all.length, failed: all.filter((o) => !o.ok), answers: all.map((o) => o.text) };
    },
  };
}

/** HAProxy's srv_admin_state per server of backend web, read through its socket (docker exec). */
const adminStates = async () =>
  (await balancer.shell(`echo "show servers state web" | socat stdio UNIX-CONNECT:/run/haproxy/admin.sock | awk '!/^#/ && NF > 5 { printf "%s:%s ", $4, $7 }'`)).stdout.trim();

beforeAll(async () => {
  lab = await startTestHosts(['balancer', 'app-a', 'app-b']);
  [balancer, appA, appB] = lab.hosts;
  acme = await startAcmeServer({ network: lab.network, siteNames: [DOMAIN], resolveTo: balancer.address, labels: lab.labels });
  writeFileSync(path.join(dir, 'acme-ca.pem'), acme.caBundlePem);
  cpSync(path.resolve('playbooks'), path.join(project, 'playbooks'), { recursive: true });
  cpSync(path.resolve('templates'), path.join(project, 'templates'), { recursive: true });
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

const deploy = (...extra: string[]) => shipshape('apply', path.join(project, 'playbooks/deploy.ts'), '-i', inventoryFile, '--json', ...extra);

const MINUTES = 60_000;

describe('rolling deploy under load', () => {
  // The whole site from fresh hosts (MySQL from sid included) takes long on a busy machine.
  it('converges the site, both web hosts UP behind HAProxy', { timeout: 30 * MINUTES }, async () => {
    const converged = await shipshape('apply', path.join(project, 'playbooks/site.ts'), '-i', inventoryFile, '--json', '--accept-new-host-keys');
    expect(converged.code, converged.stdout.split('\n').filter((l) => l.includes('"failed"')).join('\n') + converged.stderr).toBe(0);
    issuerRoot = await acme!.fetchIssuerRoot();
    // Both web hosts UP behind HAProxy before any measurement.
    const seen = new Set<string>();
    await expect
      .poll(async () => {
        const answer = await get().catch(() => undefined);
        if (answer?.status === 200) seen.add(answer.body.trim());
        return seen.size;
      }, { timeout: 60_000, interval: 300 })
      .toBe(2);
  });

  it('a changed app rolls out with 0 failed requests; afterwards every answer is the new release', async () => {
    release('release-2');
    const loop = requestLoop(20);
    const deployed = await deploy();
    const { total, failed, answers } = await loop.stop();
    console.log(`rolling deploy (drain): ${total} requests, ${failed.length} failed`);
    expect(deployed.code, deployed.stdout + deployed.stderr).toBe(0);
    expect(failed).toEqual([]);
    expect(total).toBeGreaterThan(40);
    // The old release answered at the start, both hosts' new one by the end.
    expect(answers).toContain('app-a');
    expect(answers).toContain('app-a release-2');
    expect(answers).toContain('app-b release-2');
    expect(await adminStates()).toBe('app-a:0 app-b:0');
    const after = await Promise.all(Array.from({ length: 10 }, get));
    expect(new Set(after.map((a) => a.body.trim()))).toEqual(new Set(['app-a release-2', 'app-b release-2']));
  });

  it('the same deploy without the drain (a naive restart) for contrast: failures counted', async () => {
    release('release-3');
    const loop = requestLoop(20);
    const deployed = await deploy('-e', 'deployDrain=false');
    const { total, failed } = await loop.stop();
    console.log(`naive restart (no drain): ${total} requests, ${failed.length} failed: ${[...new Set(failed.map((f) => f.text))].join('; ')}`);
    expect(deployed.code, deployed.stdout + deployed.stderr).toBe(0);
    const after = await Promise.all(Array.from({ length: 10 }, get));
    expect(new Set(after.map((a) => a.body.trim()))).toEqual(new Set(['app-a release-3', 'app-b release-3']));
  });

  it('a release that cannot start stops the rollout (its restart fails); the other host keeps serving the previous release', async () => {
    // The new release cannot start (it exits at once): the first host's health check fails.
    writeFileSync(appPy, `raise SystemExit("a broken release")\n${readFileSync(appPy, 'utf8')}`);
    const loop = requestLoop(20);
    const deployed = await deploy();
    const { total, failed, answers } = await loop.stop();
    console.log(`failed health check: ${total} requests, ${failed.length} failed`);
    expect(deployed.code).toBe(1);
    const lines = deployed.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    // The restart itself fails first: a service that does not stay active fails its task (a unit in
    // a crash loop is not running), before the health check could.
    expect(lines.find((l) => l.type === 'task' && l.status === 'failed')).toMatchObject({ host: 'app-a', task: 'restart app', handler: true });
    expect(lines.filter((l) => l.type === 'task' && l.task === '(not started)').map((l) => l.host)).toEqual(['app-b']);
    expect(failed).toEqual([]);
    // app-a stays out of rotation; app-b serves the previous release alone.
    expect(await adminStates()).toBe('app-a:8 app-b:0');
    expect(answers.at(-1)).toBe('app-b release-3');
    const after = await Promise.all(Array.from({ length: 6 }, get));
    expect(new Set(after.map((a) => a.body.trim()))).toEqual(new Set(['app-b release-3']));
  });
});
