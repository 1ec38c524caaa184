import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseBatch } from '../../src/modules/mysql/batch.ts';
import { cachingSha2Matches, nativePasswordHash, passwordMatches, sha256CryptDigest, sha256PasswordMatches } from '../../src/modules/mysql/password-hash.ts';

// Recorded on MySQL 9.7.4 (Debian sid): CREATE USER 'app'@'%' IDENTIFIED BY 'app-pass' and
// CREATE USER 'nasty'@'10.0.0.%' IDENTIFIED BY 'a''b\\c"d;e$f' (the password a'b\c"d;e$f).
const recorded = parseBatch(readFileSync(new URL('../fixtures/mysql/auth-strings.tsv', import.meta.url), 'utf8'));
const app = Buffer.from(recorded[0].auth, 'hex');
const nasty = Buffer.from(recorded[1].auth, 'hex');

describe('SHA-256-crypt', () => {
  // Vectors from Drepper's specification (also what `openssl passwd -5` prints).
  it.each([
    ['Hello world!', 'saltstring', 5000, '5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5'],
    ['Hello world!', 'saltstringsaltst', 10000, '3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA'],
    ['we have a short salt string but not a short password', 'short', 77777, 'JiO1O3ZpDAxGJeaDIuqCoEFysAe1mZNJRs3pw0KQRd/'],
  ])('%s / %s / %d rounds', (key, salt, rounds, digest) => {
    expect(sha256CryptDigest(Buffer.from(key), Buffer.from(salt), rounds)).toBe(digest);
  });
});

describe('caching_sha2_password', () => {
  it('the recorded hashes carry control bytes in their salt (why the column is read as HEX)', () => {
    expect(app.subarray(0, 7).toString('latin1')).toBe('$A$00A$');
    expect([...app.subarray(7, 27)].some((b) => b < 0x20)).toBe(true);
  });

  it('matches the recorded hash with its password, 10000 rounds', () => {
    expect(cachingSha2Matches(app, 'app-pass')).toBe(true);
    expect(cachingSha2Matches(nasty, `a'b\\c"d;e$f`)).toBe(true);
  });

  it('does not match another password', () => {
    expect(cachingSha2Matches(app, 'app-pasS')).toBe(false);
    expect(cachingSha2Matches(app, '')).toBe(false);
    expect(cachingSha2Matches(nasty, 'app-pass')).toBe(false);
  });

  it('cannot tell for a string in another format', () => {
    expect(cachingSha2Matches(Buffer.from('$A$005$short'), 'x')).toBeUndefined();
    expect(cachingSha2Matches(Buffer.alloc(0), 'x')).toBeUndefined();
  });
});

describe('passwordMatches by plugin', () => {
  it('mysql_native_password: * + HEX(SHA1(SHA1(pw)))', () => {
    // MySQL 5.7 documentation: PASSWORD('mypass')
    expect(nativePasswordHash('mypass')).toBe('*6C8989366EAF75BB670AD8EA7A7FC1176A95CEF4');
    expect(passwordMatches('mysql_native_password', Buffer.from('*6C8989366EAF75BB670AD8EA7A7FC1176A95CEF4'), 'mypass')).toBe(true);
    expect(passwordMatches('mysql_native_password', Buffer.from('*6C8989366EAF75BB670AD8EA7A7FC1176A95CEF4'), 'other')).toBe(false);
  });

  it('sha256_password: $5$ + 20-byte salt + $ + 5000-round digest (recorded on MySQL 9.7.4, password abc)', () => {
    const stored = Buffer.from(
      '2435243947290E6E3B22120D1A7D717D5649122F3C5E5D24764547756F64594D7770566A6B3953584E61314B34454B366763526D79444C7550654B504E58454A576241',
      'hex',
    );
    expect(sha256PasswordMatches(stored, 'abc')).toBe(true);
    expect(passwordMatches('sha256_password', stored, 'abc')).toBe(true);
    expect(passwordMatches('sha256_password', stored, 'abd')).toBe(false);
    expect(sha256PasswordMatches(Buffer.from('$5$short$x'), 'abc')).toBeUndefined();
  });

  it('auth_socket and unknown plugins cannot be checked offline', () => {
    expect(passwordMatches('auth_socket', Buffer.from('root'), 'x')).toBeUndefined();
  });
});
