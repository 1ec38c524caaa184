import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureKeyPair, readPublicKey } from '../../src/lab/ssh-key.ts';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function keyPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lab-key-'));
  dirs.push(dir);
  return join(dir, 'sub', 'id_ed25519');
}

describe('lab key pair', () => {
  it('writes an OpenSSH ed25519 key pair, private key readable by its owner only', () => {
    const path = keyPath();
    const paths = ensureKeyPair(path, 'test-comment');
    const privateText = readFileSync(paths.privateKey, 'utf8');
    expect(privateText).toContain('-----BEGIN OPENSSH PRIVATE KEY-----');
    expect(statSync(paths.privateKey).mode & 0o777).toBe(0o600);
    const parsed = ssh2.utils.parseKey(privateText);
    // A parsed ed25519 key, not merely "not an Error" (undefined would pass that).
    expect(parsed).toMatchObject({ type: 'ssh-ed25519', comment: 'test-comment' });
    expect(readPublicKey(paths)).toMatch(/^ssh-ed25519 [A-Za-z0-9+/=]+ test-comment$/);
  });

  it('keeps an existing key pair', () => {
    const path = keyPath();
    const first = readFileSync(ensureKeyPair(path).privateKey, 'utf8');
    const second = readFileSync(ensureKeyPair(path).privateKey, 'utf8');
    expect(second).toBe(first);
  });
});
