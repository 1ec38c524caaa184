/**
 * certbot.certificate against a real ACME server: pebble in a container of ours, whose DNS points
 * site.test and www.site.test at the test host, so HTTP-01 validation really reaches certbot's
 * standalone server on the host's port 80. Every claim is checked outside shipshape (docker exec,
 * openssl against the issuing root fetched from pebble's management port).
 */
import { describe, expect, it } from 'vitest';
import { certificate } from '../../src/modules/certbot/index.ts';
import type { TaskResult } from '../../src/task/types.ts';
import type { Task } from '../../src/task/task.ts';
import { startTestAcmeServer, type TestAcmeServer } from './support/acme.ts';
import { useModuleHost } from './support/module-host.ts';

const PEM = '/etc/haproxy/certs/site.pem';
const LIVE = '/etc/letsencrypt/live/site.test';

let acme: TestAcmeServer | undefined;

const lab = useModuleHost('cert-01', {
  beside: async (host) => (acme = await startTestAcmeServer(host, { siteNames: ['site.test', 'www.site.test'], resolveTo: host.address })),
});

async function onHost(cmd: string, input?: string): Promise<string> {
  const result = await lab.host.shell(cmd, input);
  expect(result.exitCode, `${cmd}: ${result.stderr}${result.stdout}`).toBe(0);
  return result.stdout;
}

function certTask(domains: string[]): Task {
  return certificate({
    domains,
    email: 'admin@site.test',
    server: acme!.directoryUrl,
    caBundle: acme!.caBundlePath,
    method: 'standalone',
    httpPort: 80,
    deployHook: { haproxyPem: PEM },
  });
}

async function run(task: Task, check = false): Promise<TaskResult> {
  const result = await lab.session.run(task, { check });
  expect(result.error).toBeUndefined();
  return result;
}

const lines = (result: TaskResult) => result.changes.map((change) => change.description);

/** The chain verifies against this run of pebble's issuing root, for exactly these names. */
async function expectValidCertificate(names: string[]): Promise<string> {
  await onHost('cat > /tmp/pebble-root.pem', await acme!.fetchIssuerRoot());
  expect(await onHost(`openssl verify -CAfile /tmp/pebble-root.pem -untrusted ${LIVE}/chain.pem ${LIVE}/cert.pem`)).toBe(`${LIVE}/cert.pem: OK\n`);
  const san = await onHost(`openssl x509 -in ${LIVE}/cert.pem -noout -ext subjectAltName`);
  expect([...san.matchAll(/DNS:([^,\s]+)/g)].map((m) => m[1]).sort()).toEqual([...names].sort());
  return (await onHost(`openssl x509 -in ${LIVE}/cert.pem -noout -serial`)).trim();
}

/** The HAProxy PEM is root's, 0600, and exactly full chain + key of the live certificate. */
async function expectPemMatchesLive(): Promise<void> {
  expect((await onHost(`stat -c '%a %U' ${PEM}`)).trim()).toBe('600 root');
  await onHost(`cat ${LIVE}/fullchain.pem ${LIVE}/privkey.pem | cmp - ${PEM}`);
}

describe('certbot.certificate', () => {
  it('cannot plan before certbot is installed', async () => {
    const result = await lab.session.run(certTask(['site.test']));
    expect(result.status).toBe('failed');
    expect(result.error).toContain('certbot is not installed');
    await onHost('apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q certbot openssl >/dev/null');
  });

  it('check mode plans the certificate and changes nothing', async () => {
    const result = await run(certTask(['site.test']), true);
    expect(result.status).toBe('changed');
    expect(lines(result)).toContain(`obtain certificate for site.test (from ${acme!.directoryUrl})`);
    expect((await lab.host.shell(`test -e ${LIVE} || test -e ${PEM}`)).exitCode).not.toBe(0);
  });

  it('obtains a certificate through real HTTP-01 validation and builds the PEM', async () => {
    const result = await run(certTask(['site.test']));
    expect(result.status).toBe('changed');
    await expectValidCertificate(['site.test']);
    await expectPemMatchesLive();
    expect(await onHost('systemctl is-enabled certbot.timer; systemctl is-active certbot.timer')).toBe('enabled\nactive\n');
    expect(await onHost(`grep '^server = ' /etc/letsencrypt/renewal/site.test.conf`)).toBe(`server = ${acme!.directoryUrl}\n`);
    // A second run changes nothing.
    const again = await run(certTask(['site.test']));
    expect(again.status).toBe('ok');
    expect(again.changes).toEqual([]);
  });

  it('detects a deleted PEM and a stopped timer in check mode, then repairs them', async () => {
    await onHost(`rm ${PEM} && systemctl disable --now certbot.timer`);
    const check = await run(certTask(['site.test']), true);
    expect(lines(check)).toEqual([`build HAProxy PEM ${PEM} (missing)`, 'enable certbot.timer (renewals; now disabled)', 'start certbot.timer (now inactive)']);
    expect((await lab.host.shell(`test -e ${PEM}`)).exitCode).toBe(1);
    expect(await onHost('systemctl is-enabled certbot.timer || true')).toBe('disabled\n');
    const serial = (await onHost(`openssl x509 -in ${LIVE}/cert.pem -noout -serial`)).trim();
    expect((await run(certTask(['site.test']))).status).toBe('changed');
    await expectPemMatchesLive();
    expect(await onHost('systemctl is-enabled certbot.timer; systemctl is-active certbot.timer')).toBe('enabled\nactive\n');
    // The certificate itself was fine: not reissued.
    expect((await onHost(`openssl x509 -in ${LIVE}/cert.pem -noout -serial`)).trim()).toBe(serial);
    expect((await run(certTask(['site.test']))).changes).toEqual([]);
  });

  it("renews through the timer's own job: trusts the private CA and runs the deploy hook", async () => {
    const before = await expectValidCertificate(['site.test']);
    // Make the certificate due (pebble issues 5-year certificates), then run what the timer runs.
    await onHost(`sed -i 's/^# renew_before_expiry = .*/renew_before_expiry = 3650 days/' /etc/letsencrypt/renewal/site.test.conf`);
    await onHost('systemctl start certbot.service');
    const after = await expectValidCertificate(['site.test']);
    expect(after).not.toBe(before);
    await expectPemMatchesLive();
    await onHost(`sed -i 's/^renew_before_expiry = .*/# renew_before_expiry = 30 days/' /etc/letsencrypt/renewal/site.test.conf`);
    expect((await run(certTask(['site.test']))).changes).toEqual([]);
  });

  it('reissues when the names change', async () => {
    const task = certTask(['site.test', 'www.site.test']);
    const check = await run(task, true);
    expect(lines(check)).toEqual(['reissue certificate site.test: names changed (+www.site.test)', `build HAProxy PEM ${PEM} (from the new certificate)`]);
    expect((await run(task)).status).toBe('changed');
    await expectValidCertificate(['site.test', 'www.site.test']);
    await expectPemMatchesLive();
    expect((await run(task)).changes).toEqual([]);
  });
});
