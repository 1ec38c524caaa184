/**
 * Checks a password against the hash MySQL stores in mysql.user.authentication_string, offline
 * and exactly, so mysql.user can be idempotent on the password without ever storing it and
 * without logging in (a TCP login would only work for accounts whose host matches localhost).
 *
 * caching_sha2_password (the only plugin in MySQL 9.x) stores `$A$` + 3 hex digits (rounds / 1000)
 * + `$` + a 20-byte salt + the 43-character SHA-256-crypt digest (Drepper's algorithm, as in
 * glibc's `$5$`, but with MySQL's 20-byte salt instead of glibc's 16). The salt bytes are
 * arbitrary non-NUL, non-`$` 7-bit values, control characters included: read the column as HEX.
 * sha256_password (deprecated, still in 9.x) stores `$5$` + the same 20-byte salt + `$` + the
 * SHA-256-crypt digest of 5000 rounds (the algorithm's default, so no `rounds=` field).
 * mysql_native_password (MariaDB, MySQL <= 8.x) stores `*` + HEX(SHA1(SHA1(password))).
 */
import { createHash, hash } from 'node:crypto';

const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function sha256(...parts: Buffer[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** `length` bytes of `digest` repeated (the P and S sequences of the algorithm). */
function repeatTo(digest: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i += 32) digest.copy(out, i, 0, Math.min(32, length - i));
  return out;
}

/** SHA-256-crypt's digest part (43 characters) for a key, a salt (used whole) and a round count. */
export function sha256CryptDigest(key: Buffer, salt: Buffer, rounds: number): string {
  const b = sha256(key, salt, key);
  const a = createHash('sha256').update(key).update(salt);
  for (let n = key.length; n > 0; n -= 32) a.update(n > 32 ? b : b.subarray(0, n));
  for (let n = key.length; n > 0; n >>= 1) a.update(n & 1 ? b : key);
  const aDigest = a.digest();

  const dp = createHash('sha256');
  for (let i = 0; i < key.length; i++) dp.update(key);
  const p = repeatTo(dp.digest(), key.length);
  const ds = createHash('sha256');
  for (let i = 0; i < 16 + aDigest[0]; i++) ds.update(salt);
  const s = repeatTo(ds.digest(), salt.length);

  // The rounds are most of a check's cost (5000 by default, two checks per no-op site run, run once
  // each, so mostly before the JIT has warmed up): each round's input is put together with
  // TypedArray#set (a V8 builtin, unlike Buffer#copy) in one buffer, whose four possible lengths
  // are views made once, and hashed by one crypto.hash call, without a Hash object. Cold, about
  // 30% less than a Hash per round.
  const round = new Uint8Array(2 * p.length + s.length + 64);
  const views = new Map<number, Uint8Array>();
  let c: Uint8Array = aDigest;
  for (let i = 0; i < rounds; i++) {
    const first = i & 1 ? p : c;
    round.set(first, 0);
    let end = first.length;
    if (i % 3) {
      round.set(s, end);
      end += s.length;
    }
    if (i % 7) {
      round.set(p, end);
      end += p.length;
    }
    const last = i & 1 ? c : p;
    round.set(last, end);
    end += last.length;
    let view = views.get(end);
    if (!view) views.set(end, (view = round.subarray(0, end)));
    c = hash('sha256', view, 'buffer');
  }
  return encodeDigest(c);
}

/** crypt's base-64 of the final digest, in SHA-256-crypt's byte order. */
function encodeDigest(d: Uint8Array): string {
  let out = '';
  const put = (b2: number, b1: number, b0: number, n: number) => {
    let w = (b2 << 16) | (b1 << 8) | b0;
    for (let i = 0; i < n; i++) {
      out += ITOA64[w & 0x3f];
      w >>= 6;
    }
  };
  const order = [
    [0, 10, 20], [21, 1, 11], [12, 22, 2], [3, 13, 23], [24, 4, 14],
    [15, 25, 5], [6, 16, 26], [27, 7, 17], [18, 28, 8], [9, 19, 29],
  ];
  for (const [x, y, z] of order) put(d[x], d[y], d[z], 4);
  put(0, d[31], d[30], 3);
  return out;
}

const CACHING_SHA2_SALT = 20;
const DIGEST_LENGTH = 43;

/**
 * Whether `password` matches a caching_sha2_password authentication_string (raw bytes).
 * Undefined when the string is not in that format (then the caller cannot tell).
 */
export function cachingSha2Matches(authString: Buffer, password: string): boolean | undefined {
  const head = authString.subarray(0, 7).toString('latin1');
  const match = /^\$A\$([0-9A-Fa-f]{3})\$$/.exec(head);
  if (!match || authString.length !== 7 + CACHING_SHA2_SALT + DIGEST_LENGTH) return undefined;
  const rounds = parseInt(match[1], 16) * 1000;
  const salt = authString.subarray(7, 7 + CACHING_SHA2_SALT);
  const digest = authString.subarray(7 + CACHING_SHA2_SALT).toString('latin1');
  return sha256CryptDigest(Buffer.from(password, 'utf8'), salt, rounds) === digest;
}

const SHA256_PASSWORD_ROUNDS = 5000;

/** Whether `password` matches a sha256_password authentication_string; undefined for another format. */
export function sha256PasswordMatches(authString: Buffer, password: string): boolean | undefined {
  const head = authString.subarray(0, 3).toString('latin1');
  const length = 3 + CACHING_SHA2_SALT + 1 + DIGEST_LENGTH;
  if (head !== '$5$' || authString.length !== length || authString[3 + CACHING_SHA2_SALT] !== 0x24) return undefined;
  const salt = authString.subarray(3, 3 + CACHING_SHA2_SALT);
  const digest = authString.subarray(3 + CACHING_SHA2_SALT + 1).toString('latin1');
  return sha256CryptDigest(Buffer.from(password, 'utf8'), salt, SHA256_PASSWORD_ROUNDS) === digest;
}

/** The plugins whose stored password shipshape checks offline (passwordMatches). */
export const VERIFIABLE_PLUGINS: ReadonlySet<string> = new Set(['caching_sha2_password', 'sha256_password', 'mysql_native_password']);

/** mysql_native_password's stored form: `*` + uppercase HEX(SHA1(SHA1(password))). */
export function nativePasswordHash(password: string): string {
  const once = createHash('sha1').update(password, 'utf8').digest();
  return '*' + createHash('sha1').update(once).digest('hex').toUpperCase();
}

/**
 * Whether `password` matches what the server stores for an account; undefined when the plugin is
 * not one of VERIFIABLE_PLUGINS (mysql.user refuses to manage a password there) or the stored
 * string is not in the plugin's format.
 */
export function passwordMatches(plugin: string, authString: Buffer, password: string): boolean | undefined {
  if (plugin === 'caching_sha2_password') return cachingSha2Matches(authString, password);
  if (plugin === 'sha256_password') return sha256PasswordMatches(authString, password);
  if (plugin === 'mysql_native_password') {
    const stored = authString.toString('latin1');
    return stored === '' ? password === '' : stored.toUpperCase() === nativePasswordHash(password);
  }
  return undefined;
}
