import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TaskError } from '../../src/errors.ts';
import { certonlyCommand } from '../../src/modules/certbot/certificate.ts';
import { caBundleDropIn, deployHookScript } from '../../src/modules/certbot/files.ts';
import { planCertificate, type WantedFiles } from '../../src/modules/certbot/plan.ts';
import { parseCertificate, parseOpensslDate, parseProbe, parseRenewalConf, type CertbotProbe } from '../../src/modules/certbot/probe.ts';
import { certificatePaths, certificateSchema, LETS_ENCRYPT, type CertificateInput } from '../../src/modules/certbot/schema.ts';

// Recorded on Debian 13 lab hosts (certbot 4.0.0, OpenSSL 3.5) against pebble 2.6.
const fixture = (name: string) => readFileSync(new URL(`../fixtures/certbot/${name}`, import.meta.url), 'utf8');
const DAY = 86_400;
const SERVER = 'https://172.19.0.3:14000/dir';
const PEM = '/etc/haproxy/certs/site.pem';

function args(input: Partial<CertificateInput> = {}) {
  return certificateSchema.parse({ domains: ['site.test'], email: 'admin@site.test', server: SERVER, caBundle: 'acme-ca.pem', deployHook: { haproxyPem: PEM }, ...input });
}

/** The files the task would write, for the args; the CA bundle is the one the fixture host has. */
function wanted(a: ReturnType<typeof args>, probe: CertbotProbe): WantedFiles {
  const paths = certificatePaths(a);
  const caBundle = a.caBundle ? (probe.caBundle?.content ?? '-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n') : undefined;
  return { hook: deployHookScript(a, paths), caBundle, dropIn: caBundle === undefined ? undefined : caBundleDropIn(paths) };
}

function plan(a: ReturnType<typeof args>, probe: CertbotProbe) {
  return planCertificate(a, certificatePaths(a), probe, wanted(a, probe));
}

const lines = (result: ReturnType<typeof plan>) => result.changes.map((change) => change.description);

describe('certbot probe parsers', () => {
  it('reads openssl dates as UTC', () => {
    expect(parseOpensslDate('Nov 22 00:56:14 2031 GMT')).toBe(Date.UTC(2031, 10, 22, 0, 56, 14) / 1000);
    expect(parseOpensslDate('Feb  3 09:05:00 2027 GMT')).toBe(Date.UTC(2027, 1, 3, 9, 5, 0) / 1000);
    expect(parseOpensslDate('garbage')).toBeUndefined();
  });

  it('parses an issued ECDSA certificate, its renewal config and our files', () => {
    const probe = parseProbe(fixture('probe-issued-site.txt'));
    expect(probe.certbot && probe.openssl).toBe(true);
    expect(probe.now).toBe(1795308980);
    expect(probe.cert).toEqual({ names: ['site.test'], notAfter: Date.UTC(2031, 10, 22, 0, 56, 14) / 1000, serial: '7a1f5665c7704892', keyType: 'ecdsa' });
    expect(probe.renewal?.params).toMatchObject({ server: SERVER, authenticator: 'standalone', http01_port: '80', key_type: 'ecdsa' });
    expect(probe.liveBundleSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(probe.pem).toEqual({ mode: '600', owner: 'root', sha256: probe.liveBundleSha256 });
    expect(probe.hook?.mode).toBe('755');
    expect(probe.hook?.content).toMatch(/^#!\/bin\/sh\n[\s\S]*trap - EXIT\n$/);
    expect(probe.caBundle?.content).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]*-----END CERTIFICATE-----\n$/);
    expect(probe.timer).toEqual({ enabled: 'enabled', active: 'active' });
  });

  it('parses an RSA webroot certificate with two names', () => {
    const probe = parseProbe(fixture('probe-webroot-rsa.txt'));
    expect(probe.cert?.names).toEqual(['site.test', 'www.site.test']);
    expect(probe.cert?.keyType).toBe('rsa');
    expect(probe.renewal?.webrootMap).toEqual({ 'site.test': '/var/www/html', 'www.site.test': '/var/www/html' });
    expect(probe.pem).toBeUndefined();
  });

  it('parses hosts without certbot and with a fresh certbot', () => {
    const none = parseProbe(fixture('probe-no-certbot.txt'));
    expect(none).toMatchObject({ certbot: false, openssl: true, timer: { enabled: 'not-found', active: 'inactive' } });
    expect(none.cert ?? none.renewal ?? none.hook ?? none.pem).toBeUndefined();
    const fresh = parseProbe(fixture('probe-fresh-certbot.txt'));
    expect(fresh).toMatchObject({ certbot: true, timer: { enabled: 'enabled', active: 'active' } });
    expect(fresh.cert).toBeUndefined();
  });

  it('reports an unreadable certificate instead of inventing one', () => {
    expect(parseCertificate('Could not open file or uri for loading certificate from cert.pem\n')).toEqual({
      error: 'Could not open file or uri for loading certificate from cert.pem',
    });
  });

  it('parses renewal configs with comments and sections', () => {
    const conf = parseRenewalConf('# renew_before_expiry = 30 days\nversion = 4.0.0\n[renewalparams]\nserver = https://x/dir\n[[webroot_map]]\nWWW.Site.Test = /srv\n');
    expect(conf).toEqual({ params: { server: 'https://x/dir' }, webrootMap: { 'www.site.test': '/srv' } });
  });
});

describe('certbot.certificate planner', () => {
  it('fails clearly when certbot is missing (check mode after earlier changes reports that)', () => {
    const probe = parseProbe(fixture('probe-no-certbot.txt'));
    expect(() => plan(args(), probe)).toThrow(TaskError);
    expect(() => plan(args(), probe)).toThrow('certbot is not installed');
  });

  it('plans everything on a fresh certbot host, in apply order', () => {
    const result = plan(args(), parseProbe(fixture('probe-fresh-certbot.txt')));
    expect(lines(result)).toEqual([
      `upload CA bundle for ${SERVER} to /etc/letsencrypt/shipshape/ca-bundle.pem`,
      'let certbot renewals trust /etc/letsencrypt/shipshape/ca-bundle.pem (/etc/systemd/system/certbot.service.d/shipshape-ca-bundle.conf)',
      'write deploy hook /etc/letsencrypt/renewal-hooks/deploy/shipshape-site.test.sh',
      `obtain certificate for site.test (from ${SERVER})`,
      `build HAProxy PEM ${PEM} (from the new certificate)`,
    ]);
    expect(result.data).toMatchObject({ certonly: { force: false }, writeCaBundle: true, writeDropIn: true, writeHook: true, buildPem: true, enableTimer: false });
    expect(result.changes[2].diff?.after).toContain(`pem=${PEM}`);
  });

  it('plans nothing for a valid certificate with the same names, server and files', () => {
    const result = plan(args(), parseProbe(fixture('probe-issued-site.txt')));
    expect(result.changes).toEqual([]);
  });

  it('rebuilds a deleted, stale or too-open PEM without touching the certificate', () => {
    const probe = parseProbe(fixture('probe-issued-site.txt'));
    expect(lines(plan(args(), { ...probe, pem: undefined }))).toEqual([`build HAProxy PEM ${PEM} (missing)`]);
    expect(lines(plan(args(), { ...probe, pem: { mode: '600', sha256: 'f'.repeat(64) } }))).toEqual([`build HAProxy PEM ${PEM} (does not match the live certificate)`]);
    const open = plan(args({ deployHook: { haproxyPem: PEM, reloadService: 'haproxy' } }), { ...probe, pem: { ...probe.pem!, mode: '644' } });
    expect(lines(open)).toContain(`build HAProxy PEM ${PEM} (mode 644 → 600) and reload haproxy`);
    expect(open.data.certonly).toBeUndefined();
  });

  it('reissues when names, server, key type or renewal settings change', () => {
    const probe = parseProbe(fixture('probe-issued-site.txt'));
    const reissue = (input: Partial<CertificateInput>) => lines(plan(args(input), probe)).find((line) => line.startsWith('reissue'));
    expect(reissue({ domains: ['site.test', 'www.site.test'] })).toBe('reissue certificate site.test: names changed (+www.site.test)');
    expect(reissue({ server: 'https://acme.example.test/dir' })).toBe(`reissue certificate site.test: server changed (${SERVER} → https://acme.example.test/dir)`);
    expect(reissue({ keyType: 'rsa' })).toBe('reissue certificate site.test: key type ecdsa → rsa');
    expect(reissue({ httpPort: 8888 })).toBe('reissue certificate site.test: http01_port 80 → 8888');
    expect(reissue({ method: 'webroot', webroot: '/var/www/html' })).toBe('reissue certificate site.test: authenticator standalone → webroot');
    // The same names in another order, a trailing slash on the server, the same key type: no change.
    expect(reissue({ server: `${SERVER}/`, keyType: 'ecdsa' })).toBeUndefined();
    expect(plan(args({ domains: ['www.site.test'] }), probe).data.certonly).toEqual({ force: true });
  });

  it('accepts the same names in any order; detects a removed name', () => {
    // Recorded in a container without systemd: the timer state is the only part not taken as is.
    const probe = { ...parseProbe(fixture('probe-webroot-rsa.txt')), timer: { enabled: 'enabled', active: 'active' } };
    const webroot = { domains: ['www.site.test', 'site.test'], certName: 'site.test', method: 'webroot' as const, webroot: '/var/www/html', server: 'https://172.21.0.3:14000/dir', caBundle: undefined, deployHook: undefined };
    expect(plan(args(webroot), probe).changes).toEqual([]);
    expect(lines(plan(args({ ...webroot, domains: ['site.test'] }), probe))).toEqual(['reissue certificate site.test: names changed (-www.site.test)']);
    expect(lines(plan(args({ ...webroot, webroot: '/srv/www' }), probe))).toEqual(['reissue certificate site.test: webroot for www.site.test, site.test → /srv/www']);
  });

  it('renews within renewBeforeDays of expiry, by the host clock', () => {
    const probe = parseProbe(fixture('probe-issued-site.txt'));
    const notAfter = probe.cert!.notAfter;
    expect(lines(plan(args(), { ...probe, now: notAfter - 31 * DAY }))).toEqual([]);
    expect(lines(plan(args(), { ...probe, now: notAfter - 12 * DAY - 3600 }))).toEqual([
      'renew certificate site.test (expires in 12 days)',
      `build HAProxy PEM ${PEM} (from the new certificate)`,
    ]);
    expect(lines(plan(args({ renewBeforeDays: 10 }), { ...probe, now: notAfter - 12 * DAY }))).toEqual([]);
    expect(lines(plan(args(), { ...probe, now: notAfter + 2 * DAY }))[0]).toBe('renew certificate site.test (expired 2 days ago)');
  });

  it('rewrites an edited hook, removes a hook no longer wanted, restores the timer', () => {
    const probe = parseProbe(fixture('probe-issued-site.txt'));
    const edited = plan(args(), { ...probe, hook: { mode: '755', content: '#!/bin/sh\nexit 0\n' } });
    expect(lines(edited)).toEqual(['update deploy hook /etc/letsencrypt/renewal-hooks/deploy/shipshape-site.test.sh']);
    expect(edited.changes[0].diff).toMatchObject({ before: '#!/bin/sh\nexit 0\n' });
    expect(lines(plan(args(), { ...probe, hook: { ...probe.hook!, mode: '644' } }))).toEqual(['set mode 755 on deploy hook /etc/letsencrypt/renewal-hooks/deploy/shipshape-site.test.sh']);
    const noHook = plan(args({ deployHook: undefined }), probe);
    expect(lines(noHook)).toEqual(['remove deploy hook /etc/letsencrypt/renewal-hooks/deploy/shipshape-site.test.sh (no deployHook any more)']);
    const stopped = plan(args(), { ...probe, timer: { enabled: 'disabled', active: 'inactive' } });
    expect(lines(stopped)).toEqual(['enable certbot.timer (renewals; now disabled)', 'start certbot.timer (now inactive)']);
  });

  it('refuses a host without certbot.timer (renewals would never run)', () => {
    const probe = parseProbe(fixture('probe-issued-site.txt'));
    expect(() => plan(args(), { ...probe, timer: { enabled: 'not-found', active: 'inactive' } })).toThrow('certbot.timer does not exist');
  });
});

describe('certbot.certificate commands and files', () => {
  it('builds certonly with every value quoted and the CA bundle in the environment', () => {
    const a = args({ domains: ['site.test', 'www.site.test'], httpPort: 8888, keyType: 'ecdsa' });
    expect(certonlyCommand(a, certificatePaths(a), true)).toBe(
      'REQUESTS_CA_BUNDLE=/etc/letsencrypt/shipshape/ca-bundle.pem certbot certonly --non-interactive --agree-tos --no-eff-email ' +
        `-m admin@site.test --server ${SERVER} --cert-name site.test -d site.test -d www.site.test --standalone --http-01-port 8888 --key-type ecdsa --force-renewal`,
    );
    const le = args({ server: undefined, caBundle: undefined, method: 'webroot', webroot: '/var/www/my site', certName: 'main' });
    expect(certonlyCommand(le, certificatePaths(le), false)).toBe(
      `certbot certonly --non-interactive --agree-tos --no-eff-email -m admin@site.test --server ${LETS_ENCRYPT} --cert-name main -d site.test --webroot -w '/var/www/my site'`,
    );
  });

  it('writes a hook that acts only for its own lineage and reloads only when asked', () => {
    const a = args({ deployHook: { haproxyPem: '/etc/haproxy/certs/my site.pem', reloadService: 'haproxy' } });
    const hook = deployHookScript(a, certificatePaths(a))!;
    expect(hook).toContain(`pem='/etc/haproxy/certs/my site.pem'`);
    expect(hook).toContain('[ "$RENEWED_LINEAGE" != "$lineage" ]');
    expect(hook).toContain('chmod 0600 "$tmp"');
    expect(hook.trimEnd().split('\n').pop()).toBe('systemctl try-reload-or-restart haproxy');
    const plain = args();
    expect(deployHookScript(plain, certificatePaths(plain))).not.toContain('systemctl');
    expect(deployHookScript(args({ deployHook: undefined }), certificatePaths(plain))).toBeUndefined();
  });

  it('validates arguments when the playbook is loaded', () => {
    const parse = (input: Record<string, unknown>) => certificateSchema.safeParse({ domains: ['site.test'], email: 'a@site.test', ...input });
    expect(parse({}).success).toBe(true);
    expect(parse({ domains: [] }).success).toBe(false);
    expect(parse({ domains: ['*.site.test'] }).success).toBe(false);
    expect(parse({ domains: ['a.test', 'A.test'] }).success).toBe(false);
    expect(parse({ staging: true, server: SERVER }).success).toBe(false);
    expect(parse({ method: 'webroot' }).success).toBe(false);
    expect(parse({ webroot: '/var/www' }).success).toBe(false);
    expect(parse({ server: 'http://insecure.test/dir' }).success).toBe(false);
    expect(parse({ deployHook: {} }).success).toBe(false);
    expect(parse({ email: 'not an email' }).success).toBe(false);
  });
});
