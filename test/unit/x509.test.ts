/**
 * x509: the parsers and the planner on recorded text, and the whole module run with the
 * controller's own openssl through two local connections (a "CA host" and a "web host", each
 * under a temporary directory). Results are judged with openssl and node's fs, not the module's report.
 */
import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadInventory } from '../../src/inventory/load.ts';
import { runTask } from '../../src/engine/task-run.ts';
import type { HostView, TaskResult } from '../../src/task/types.ts';
import { caCertificate, certificate, planCertificate, type X509CertificateArgs } from '../../src/modules/x509/index.ts';
import { parseAltNames, parseCertificateFacts, type CertificateFacts } from '../../src/modules/x509/read.ts';
import type { Task } from '../../src/task/task.ts';
import { LocalConnection } from '../../src/transport/local-host.ts';
import type { HostConnection } from '../../src/transport/types.ts';

describe('x509 parsers', () => {
  it('reads subjectAltName as openssl prints it', () => {
    const text = 'X509v3 Subject Alternative Name: \n    DNS:web-01, IP Address:10.0.0.4, DNS:a.example\n';
    expect(parseAltNames(text)).toEqual(['DNS:a.example', 'DNS:web-01', 'IP:10.0.0.4']);
    expect(parseAltNames('')).toEqual([]);
  });

  it('splits the read command output into facts; empty sections mean absent', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const facts = parseCertificateFacts(`--- key\nabc\n--- cert\nabc\n--- names\nX509v3 Subject Alternative Name: \n    DNS:w\n--- fresh\nyes\n--- verify\n--- cacopy\n${pem}`);
    expect(facts).toEqual({ keyPublic: 'abc', certPublic: 'abc', altNames: ['DNS:w'], fresh: true, verified: false, caCopy: pem });
    expect(parseCertificateFacts('--- key\n--- cert\n--- names\n--- fresh\n--- verify\n--- cacopy\n')).toMatchObject({ keyPublic: '', certPublic: '', caCopy: '' });
  });
});

describe('x509.certificate planner', () => {
  const args = certificate({ ca: { host: 'ca' }, key: '/k', cert: '/c', dnsNames: ['web-01'], ipAddresses: ['10.0.0.4'] }).args as X509CertificateArgs;
  const good: CertificateFacts = { keyPublic: 'p', certPublic: 'p', altNames: ['DNS:web-01', 'IP:10.0.0.4'], fresh: true, verified: true, caCopy: '' };
  const lines = (facts: CertificateFacts, caExists = true) => planCertificate(facts, args, caExists).changes.map((c) => c.description);

  it('plans nothing when the certificate is for the key, the names, the CA, and not expiring', () => {
    expect(lines(good)).toEqual([]);
  });

  it.each([
    ['another key', { certPublic: 'q' }, 'for another key'],
    ['other names', { altNames: ['DNS:web-01'] }, 'names DNS:web-01'],
    ['another CA', { verified: false }, 'not signed by the CA'],
    ['expiring', { fresh: false }, 'expires within 30 days'],
    ['none', { certPublic: '', altNames: [] }, 'none yet'],
  ])('signs again for %s', (_what, drift, reason) => {
    const planned = lines({ ...good, ...drift });
    expect(planned).toHaveLength(1);
    expect(planned[0]).toContain(reason);
  });

  it('makes the CA and the key when they are missing', () => {
    expect(lines({ ...good, keyPublic: '', certPublic: '' }, false)).toEqual([
      'create the private CA on ca (/etc/shipshape/ca)',
      'generate key /k',
      'certificate /c for DNS:web-01, IP:10.0.0.4 from the CA on ca (none yet)',
    ]);
  });

  it('refuses arguments without a name, or a renewal window as long as the validity', () => {
    expect(() => certificate({ ca: { host: 'ca' }, key: '/k', cert: '/c' })).toThrow(/dnsNames/);
    expect(() => certificate({ ca: { host: 'ca' }, key: '/k', cert: '/c', dnsNames: ['w'], days: 30, renewBeforeDays: 30 })).toThrow(/renewBeforeDays/);
  });
});

describe('x509 modules with openssl (local connections)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'shipshape-x509-'));
  const caDir = path.join(dir, 'ca');
  const key = path.join(dir, 'web/backend.key');
  const cert = path.join(dir, 'web/backend.crt');
  const trust = path.join(dir, 'lb/backend-ca.crt');
  let caConn: HostConnection;
  let webConn: HostConnection;
  const view = (name: string): HostView => ({ name, vars: {}, facts: {} as never, groups: ['all'], inventory: { hosts: {}, groups: {} } });
  const run = (task: Task, conn: HostConnection, check = false): Promise<TaskResult> =>
    runTask(task, {
      conn,
      host: view(conn === caConn ? 'ca' : 'web'),
      check,
      become: true,
      registered: {},
      baseDir: dir,
      earlierChanges: false,
      peers: new Map([
        ['ca', caConn],
        ['web', webConn],
      ]),
    });
  const ca = { host: 'ca', dir: caDir };
  const webCert = (names: string[] = ['web-01'], renewBeforeDays = 30, days = 365) =>
    certificate({ ca, key, cert, dnsNames: names, ipAddresses: ['127.0.0.1'], renewBeforeDays, days });
  const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

  beforeAll(async () => {
    const inventoryFile = path.join(dir, 'hosts.yml');
    writeFileSync(inventoryFile, 'hosts:\n  me:\n    address: localhost\n    connection: local\n');
    const settings = (await loadInventory(inventoryFile)).hosts.get('me')!.connection;
    caConn = new LocalConnection('ca', settings);
    webConn = new LocalConnection('web', settings);
  });
  afterAll(async () => {
    await caConn.close();
    await webConn.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('check mode on nothing plans the CA, the key and the certificate, and writes nothing', async () => {
    const result = await run(webCert(), webConn, true);
    expect(result.status, result.error).toBe('changed');
    expect(result.changes).toHaveLength(3);
    expect(() => statSync(caDir)).toThrow();
    expect(() => statSync(key)).toThrow();
  });

  it('makes the CA (key 0600) and a certificate for the key and names that verifies against it', async () => {
    const result = await run(webCert(), webConn);
    expect(result.status, result.error).toBe('changed');
    expect(statSync(path.join(caDir, 'ca.key')).mode & 0o777).toBe(0o600);
    expect(statSync(key).mode & 0o777).toBe(0o600);
    execFileSync('openssl', ['verify', '-CAfile', path.join(caDir, 'ca.crt'), cert]);
    const x509 = new X509Certificate(readFileSync(cert));
    expect(x509.subjectAltName).toBe('DNS:web-01, IP Address:127.0.0.1');
    expect(x509.checkPrivateKey(createPrivateKey(readFileSync(key)))).toBe(true);
    expect(x509.ca).toBe(false);
  });

  it('changes nothing on a second run (files unchanged)', async () => {
    const before = [sha(key), sha(cert), sha(path.join(caDir, 'ca.key'))];
    const result = await run(webCert(), webConn);
    expect(result.status, result.error).toBe('ok');
    expect([sha(key), sha(cert), sha(path.join(caDir, 'ca.key'))]).toEqual(before);
  });

  it('signs again, same key, when the names change or the certificate nears its end', async () => {
    const keyBefore = sha(key);
    let certBefore = sha(cert);
    expect((await run(webCert(['web-01', 'web-01.internal']), webConn)).status).toBe('changed');
    expect(new X509Certificate(readFileSync(cert)).subjectAltName).toContain('DNS:web-01.internal');
    expect(sha(key)).toBe(keyBefore);
    expect(sha(cert)).not.toBe(certBefore);
    certBefore = sha(cert);
    // A renewal window longer than what is left of the 365-day certificate: renewed.
    expect((await run(webCert(['web-01', 'web-01.internal'], 366, 400), webConn)).status).toBe('changed');
    expect(sha(cert)).not.toBe(certBefore);
    expect(Date.parse(new X509Certificate(readFileSync(cert)).validTo)).toBeGreaterThan(Date.now() + 399 * 86_400_000);
  });

  it('replaces a certificate from another CA', async () => {
    const other = path.join(dir, 'other');
    execFileSync('bash', ['-c', `mkdir -p ${other} && cd ${other} && openssl req -x509 -newkey rsa:2048 -nodes -keyout k -out c -subj /CN=x -days 5 2>/dev/null && openssl x509 -x509toreq -in c -signkey k 2>/dev/null | openssl x509 -req -signkey k -days 5 -out /dev/null 2>/dev/null; openssl req -new -key ${key} -subj /CN=web-01 -addext subjectAltName=DNS:web-01,IP:127.0.0.1 | openssl x509 -req -CA c -CAkey k -days 300 -copy_extensions copyall -out ${cert} 2>/dev/null`]);
    const result = await run(webCert(), webConn);
    expect(result.changes.map((c) => c.description).join('\n')).toContain('not signed by the CA');
    execFileSync('openssl', ['verify', '-CAfile', path.join(caDir, 'ca.crt'), cert]);
  });

  it('x509.caCertificate installs the CA certificate, then plans nothing', async () => {
    const task = caCertificate({ ca, dest: trust });
    expect((await run(task, caConn)).status).toBe('changed');
    expect(readFileSync(trust, 'utf8')).toBe(readFileSync(path.join(caDir, 'ca.crt'), 'utf8'));
    expect((await run(task, caConn)).status).toBe('ok');
    writeFileSync(trust, 'tampered\n');
    expect((await run(task, caConn, true)).changes[0].diff?.before).toBe('tampered\n');
  });
});
