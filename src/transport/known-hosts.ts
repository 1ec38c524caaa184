/**
 * Host key verification against an OpenSSH known_hosts file, with OpenSSH's semantics:
 * plain and hashed (`|1|salt|hash`) names, `[host]:port` for ports other than 22, wildcard and
 * negated patterns, `@revoked` keys refused, `@cert-authority` lines ignored (no certificates here).
 * An unknown key is refused unless accepting new keys was asked for (then appended, like
 * `StrictHostKeyChecking=accept-new`); a changed key is always refused.
 *
 * The parse and match functions are pure; only `appendKnownHost` and `readKnownHosts` touch disk.
 */
import { createHash, createHmac } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile, appendFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { HostKeyError } from '../errors.ts';

export interface KnownHostEntry {
  /** 1-based line number in the file, for messages. */
  line: number;
  marker?: 'revoked' | 'cert-authority';
  /** The host field as written: comma-separated patterns, or one `|1|salt|hash`. */
  hosts: string;
  keyType: string;
  /** Base64 of the key blob. */
  key: string;
}

export function defaultKnownHostsPath(): string {
  return join(homedir(), '.ssh', 'known_hosts');
}

/** Parses known_hosts text; comments, blank and malformed lines are skipped (as OpenSSH does). */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, index) => {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === '' || fields[0].startsWith('#')) return;
    let marker: KnownHostEntry['marker'];
    if (fields[0].startsWith('@')) {
      const name = fields.shift()!.slice(1);
      if (name !== 'revoked' && name !== 'cert-authority') return;
      marker = name;
    }
    const [hosts, keyType, key] = fields;
    if (!hosts || !keyType || !key) return;
    entries.push({ line: index + 1, marker, hosts, keyType, key });
  });
  return entries;
}

/** The name OpenSSH looks up and records: `host` on port 22, `[host]:port` otherwise. */
export function knownHostName(address: string, port: number): string {
  const host = address.toLowerCase();
  return port === 22 ? host : `[${host}]:${port}`;
}

function wildcardMatch(pattern: string, name: string): boolean {
  const regex = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${regex}$`, 'i').test(name);
}

function hashedMatch(field: string, name: string): boolean {
  const [, magic, salt, hash] = field.split('|');
  if (magic !== '1' || !salt || !hash) return false;
  const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
  return digest === hash;
}

/** Whether an entry's host field covers `name` (as made by knownHostName). A negated match wins. */
export function hostFieldMatches(hosts: string, name: string): boolean {
  if (hosts.startsWith('|')) return hashedMatch(hosts, name);
  let matched = false;
  for (const pattern of hosts.split(',')) {
    if (pattern.startsWith('!')) {
      if (wildcardMatch(pattern.slice(1), name)) return false;
    } else if (wildcardMatch(pattern, name)) {
      matched = true;
    }
  }
  return matched;
}

export type HostKeyStatus =
  | { status: 'known'; entry: KnownHostEntry }
  | { status: 'unknown' }
  | { status: 'changed'; entry: KnownHostEntry }
  | { status: 'revoked'; entry: KnownHostEntry };

/** Decides what to do with the key a host presented (`keyType` and base64 `key` of its blob). */
export function checkHostKey(entries: KnownHostEntry[], name: string, keyType: string, key: string): HostKeyStatus {
  const mine = entries.filter((entry) => entry.marker !== 'cert-authority' && hostFieldMatches(entry.hosts, name));
  const revoked = mine.find((entry) => entry.marker === 'revoked' && entry.key === key);
  if (revoked) return { status: 'revoked', entry: revoked };
  const trusted = mine.filter((entry) => entry.marker === undefined);
  const same = trusted.find((entry) => entry.keyType === keyType && entry.key === key);
  if (same) return { status: 'known', entry: same };
  // A different key of the same type is the classic man-in-the-middle sign. A key of another type
  // while some key is recorded is refused too: connect() asks for the recorded types first, so a
  // host that cannot offer them is not the host we know.
  const other = trusted.find((entry) => entry.keyType === keyType) ?? trusted[0];
  if (other) return { status: 'changed', entry: other };
  return { status: 'unknown' };
}

const ALGORITHMS_FOR_KEY_TYPE: Record<string, string[]> = {
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

/**
 * Host key algorithms to offer, recorded types first (as OpenSSH orders them), so a host with
 * several keys presents the one we know. `defaults` is the client's full list.
 */
export function preferredHostKeyAlgorithms(entries: KnownHostEntry[], name: string, defaults: string[]): string[] {
  const known = entries
    .filter((entry) => entry.marker === undefined && hostFieldMatches(entry.hosts, name))
    .flatMap((entry) => ALGORITHMS_FOR_KEY_TYPE[entry.keyType] ?? [entry.keyType])
    .filter((algorithm) => defaults.includes(algorithm));
  return [...new Set([...known, ...defaults])];
}

/** The key type named inside an SSH public key blob (its first string). */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const length = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + length).toString('latin1');
}

/** OpenSSH's fingerprint: `SHA256:` and unpadded base64 of the blob's SHA-256. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

export async function readKnownHosts(file: string): Promise<KnownHostEntry[]> {
  try {
    return parseKnownHosts(await readFile(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

const appendQueues = new Map<string, Promise<void>>();

/**
 * Appends `name keyType key` to the file, creating it 0600 (and its directory 0700) when missing.
 * Appends to one file are serialized, so hosts accepted in parallel do not interleave.
 */
export function appendKnownHost(file: string, name: string, keyType: string, key: string): Promise<void> {
  const previous = appendQueues.get(file) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(async () => {
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    let existing = '';
    try {
      existing = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      await writeFile(file, '', { mode: 0o600, flag: 'wx' }).catch(() => undefined);
      await chmod(file, 0o600);
    }
    const separator = existing === '' || existing.endsWith('\n') ? '' : '\n';
    await appendFile(file, `${separator}${name} ${keyType} ${key}\n`);
  });
  appendQueues.set(file, next);
  return next;
}

export interface VerifyTarget {
  /** Inventory name, for messages. */
  host: string;
  address: string;
  port: number;
  file: string;
  acceptNew: boolean;
}

/**
 * Checks a presented host key blob; resolves when it is trusted (recording it first when new keys
 * are accepted), throws HostKeyError otherwise.
 */
export async function verifyHostKey(target: VerifyTarget, blob: Buffer, entries?: KnownHostEntry[]): Promise<void> {
  const name = knownHostName(target.address, target.port);
  const keyType = keyTypeOf(blob);
  const key = blob.toString('base64');
  const presented = `${keyType} ${fingerprint(blob)}`;
  const where = `host ${target.host} (${target.address}:${target.port})`;
  const result = checkHostKey(entries ?? (await readKnownHosts(target.file)), name, keyType, key);
  switch (result.status) {
    case 'known':
      return;
    case 'revoked':
      throw new HostKeyError(
        `${where}: the presented host key (${presented}) is marked @revoked in ${target.file} line ${result.entry.line}; refusing to connect`,
        { host: target.host, file: target.file },
      );
    case 'changed': {
      const expected = `${result.entry.keyType} ${fingerprintOfBase64(result.entry.key)}`;
      throw new HostKeyError(
        `${where}: HOST KEY CHANGED: expected ${expected} (${target.file} line ${result.entry.line}), presented ${presented}. ` +
          `Someone may be intercepting the connection; refusing to connect. If the host was reinstalled, ` +
          `remove line ${result.entry.line} from ${target.file} after checking the new key.`,
        { host: target.host, file: target.file },
      );
    }
    case 'unknown':
      if (!target.acceptNew) {
        throw new HostKeyError(
          `${where}: unknown host key (${presented}); verify it and re-run with --accept-new-host-keys, or add it to ${target.file}`,
          { host: target.host, file: target.file },
        );
      }
      await appendKnownHost(target.file, name, keyType, key);
  }
}

function fingerprintOfBase64(key: string): string {
  return fingerprint(Buffer.from(key, 'base64'));
}
