import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HostKeyError } from '../../src/errors.ts';
import {
  checkHostKey,
  fingerprint,
  hostFieldMatches,
  keyTypeOf,
  knownHostName,
  parseKnownHosts,
  preferredHostKeyAlgorithms,
  verifyHostKey,
} from '../../src/transport/known-hosts.ts';

/** An SSH ed25519 public key blob: string "ssh-ed25519", string <32-byte key>. */
function ed25519Blob(): Buffer {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const str = (data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    return Buffer.concat([length, data]);
  };
  return Buffer.concat([str(Buffer.from('ssh-ed25519')), str(raw)]);
}

function hashed(name: string): string {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'known-hosts-test-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('parsing and matching', () => {
  const blob = ed25519Blob();
  const key = blob.toString('base64');

  it('parses entries with line numbers, markers, and skips comments and junk', () => {
    const entries = parseKnownHosts(
      `# comment\n\nweb-1,10.0.0.1 ssh-ed25519 ${key} me@laptop\n@revoked * ssh-rsa AAAA\n@cert-authority *.corp ssh-ed25519 AAAA\n@bogus x ssh-rsa AAAA\nbroken-line\n`,
    );
    expect(entries).toEqual([
      { line: 3, marker: undefined, hosts: 'web-1,10.0.0.1', keyType: 'ssh-ed25519', key },
      { line: 4, marker: 'revoked', hosts: '*', keyType: 'ssh-rsa', key: 'AAAA' },
      { line: 5, marker: 'cert-authority', hosts: '*.corp', keyType: 'ssh-ed25519', key: 'AAAA' },
    ]);
  });

  it('uses [host]:port for ports other than 22, lower-cased', () => {
    expect(knownHostName('Web-1.Example.com', 22)).toBe('web-1.example.com');
    expect(knownHostName('10.0.0.5', 2222)).toBe('[10.0.0.5]:2222');
  });

  it('matches plain lists, wildcards, negations and hashed names', () => {
    expect(hostFieldMatches('a,b,10.0.0.1', '10.0.0.1')).toBe(true);
    expect(hostFieldMatches('a,b', 'c')).toBe(false);
    expect(hostFieldMatches('*.example.com', 'web.example.com')).toBe(true);
    expect(hostFieldMatches('*.example.com,!db.example.com', 'db.example.com')).toBe(false);
    expect(hostFieldMatches('web-?', 'web-1')).toBe(true);
    expect(hostFieldMatches('[10.0.0.5]:2222', '[10.0.0.5]:2222')).toBe(true);
    expect(hostFieldMatches('10.0.0.5', '[10.0.0.5]:2222')).toBe(false);
    expect(hostFieldMatches(hashed('[10.0.0.5]:2222'), '[10.0.0.5]:2222')).toBe(true);
    expect(hostFieldMatches(hashed('10.0.0.5'), '10.0.0.6')).toBe(false);
  });

  it('classifies a presented key as known, unknown, changed or revoked', () => {
    const other = ed25519Blob().toString('base64');
    const entries = parseKnownHosts(`${hashed('[h]:2200')} ssh-ed25519 ${key}\nh ssh-ed25519 ${other}\n`);
    expect(checkHostKey(entries, '[h]:2200', 'ssh-ed25519', key).status).toBe('known');
    expect(checkHostKey(entries, 'nobody', 'ssh-ed25519', key).status).toBe('unknown');
    const changed = checkHostKey(entries, 'h', 'ssh-ed25519', key);
    expect(changed).toMatchObject({ status: 'changed', entry: { line: 2 } });
    const revoked = parseKnownHosts(`h ssh-ed25519 ${key}\n@revoked h ssh-ed25519 ${key}\n`);
    expect(checkHostKey(revoked, 'h', 'ssh-ed25519', key).status).toBe('revoked');
    // A CA line does not make a host's key known.
    expect(checkHostKey(parseKnownHosts(`@cert-authority h ssh-ed25519 ${key}`), 'h', 'ssh-ed25519', key).status).toBe('unknown');
    // A recorded key of another type: refused, not silently accepted as new.
    expect(checkHostKey(parseKnownHosts(`h ssh-rsa AAAAB3Nza`), 'h', 'ssh-ed25519', key).status).toBe('changed');
  });

  it('reads the key type from the blob and prints OpenSSH fingerprints', () => {
    expect(keyTypeOf(blob)).toBe('ssh-ed25519');
    expect(fingerprint(blob)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it('offers the recorded key types first', () => {
    const entries = parseKnownHosts(`h ssh-rsa AAAA\n`);
    const order = preferredHostKeyAlgorithms(entries, 'h', ['ssh-ed25519', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    expect(order).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'ssh-ed25519']);
  });
});

describe('verifyHostKey', () => {
  const target = (file: string, acceptNew = false) => ({ host: 'web-1', address: '10.1.2.3', port: 2222, file, acceptNew });

  it('accepts a recorded key', async () => {
    const blob = ed25519Blob();
    const file = join(tempDir(), 'known_hosts');
    writeFileSync(file, `[10.1.2.3]:2222 ssh-ed25519 ${blob.toString('base64')}\n`);
    await expect(verifyHostKey(target(file), blob)).resolves.toBeUndefined();
  });

  it('refuses an unknown key with the fingerprint and what to do', async () => {
    const blob = ed25519Blob();
    const file = join(tempDir(), 'known_hosts');
    const error = await verifyHostKey(target(file), blob).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HostKeyError);
    expect((error as Error).message).toBe(
      `host web-1 (10.1.2.3:2222): unknown host key (ssh-ed25519 ${fingerprint(blob)}); verify it and re-run with --accept-new-host-keys, or add it to ${file}`,
    );
  });

  it('records an unknown key when asked, creating the file 0600 and its directory 0700, then trusts it', async () => {
    const blob = ed25519Blob();
    const dir = join(tempDir(), 'ssh');
    const file = join(dir, 'known_hosts');
    await verifyHostKey(target(file, true), blob);
    expect(readFileSync(file, 'utf8')).toBe(`[10.1.2.3]:2222 ssh-ed25519 ${blob.toString('base64')}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    await expect(verifyHostKey(target(file), blob)).resolves.toBeUndefined();
  });

  it('appends after a last line without newline, keeping existing entries', async () => {
    const blob = ed25519Blob();
    const file = join(tempDir(), 'known_hosts');
    writeFileSync(file, 'other ssh-ed25519 AAAA');
    await verifyHostKey(target(file, true), blob);
    expect(readFileSync(file, 'utf8').split('\n')).toEqual(['other ssh-ed25519 AAAA', `[10.1.2.3]:2222 ssh-ed25519 ${blob.toString('base64')}`, '']);
  });

  it('always refuses a changed key, even when accepting new ones, naming both fingerprints and the line', async () => {
    const recorded = ed25519Blob();
    const presented = ed25519Blob();
    const file = join(tempDir(), 'known_hosts');
    writeFileSync(file, `# first\nsomeone ssh-ed25519 AAAA\n[10.1.2.3]:2222 ssh-ed25519 ${recorded.toString('base64')}\n`);
    const error = await verifyHostKey(target(file, true), presented).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HostKeyError);
    const message = (error as Error).message;
    expect(message).toContain('host web-1 (10.1.2.3:2222): HOST KEY CHANGED');
    expect(message).toContain(`expected ssh-ed25519 ${fingerprint(recorded)} (${file} line 3)`);
    expect(message).toContain(`presented ssh-ed25519 ${fingerprint(presented)}`);
    expect(readFileSync(file, 'utf8')).not.toContain(presented.toString('base64'));
  });

  it('refuses a key marked @revoked', async () => {
    const blob = ed25519Blob();
    const file = join(tempDir(), 'known_hosts');
    writeFileSync(file, `@revoked * ssh-ed25519 ${blob.toString('base64')}\n`);
    await expect(verifyHostKey(target(file, true), blob)).rejects.toThrow(/marked @revoked in .* line 1/);
  });
});
