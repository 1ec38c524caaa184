/**
 * The vault: AES-256-GCM with a key derived by scrypt from the vault password. One encrypted value
 * is one ASCII line, `$shipshape-vault;1;<salt>;<iv>;<ciphertext+tag>` (base64 parts), so it can be
 * pasted into YAML, JSON or a TypeScript string as it is; an encrypted file holds that one line.
 */
import { createCipheriv, createDecipheriv, randomBytes, scrypt as scryptCallback, type ScryptOptions } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { VaultError } from '../errors.ts';

export const VAULT_PREFIX = '$shipshape-vault;1;';

/**
 * Version 1 parameters. N=2^16, r=8 costs ~64 MiB and ~0.2 s per value: slow enough to make
 * guessing expensive, fast enough for an inventory with a handful of secrets (they are derived in
 * parallel). A stronger setting would need a new version number, never a silent change.
 */
const SCRYPT: ScryptOptions = { N: 2 ** 16, r: 8, p: 1, maxmem: 128 * 1024 * 1024 };
const KEY_BYTES = 32;
const SALT_BYTES = 16;
const IV_BYTES = 12;
const TAG_BYTES = 16;

function deriveKey(password: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCallback(password.normalize('NFC'), salt, KEY_BYTES, SCRYPT, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** True when the text (a value or a whole file's content) is a vault line. */
export function isVaultText(text: string): boolean {
  return text.trimStart().startsWith(VAULT_PREFIX);
}

export async function encryptValue(plaintext: string, password: string): Promise<string> {
  if (password === '') throw new VaultError('the vault password is empty');
  const salt = randomBytes(SALT_BYTES);
  const iv = randomBytes(IV_BYTES);
  const key = await deriveKey(password, salt);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  // The header is authenticated too, so a value cannot be relabelled as another version.
  cipher.setAAD(Buffer.from(VAULT_PREFIX));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${VAULT_PREFIX}${salt.toString('base64')};${iv.toString('base64')};${body.toString('base64')}`;
}

/** Where a value came from, for the message when it cannot be decrypted. */
export interface VaultPlace {
  file?: string;
  field?: string;
}

function damaged(place: VaultPlace): VaultError {
  const where = [place.file, place.field].filter((part) => part !== undefined && part !== '').join(', ');
  return new VaultError(`wrong vault password or damaged value${where === '' ? '' : ` (${where})`}`, place);
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export async function decryptValue(line: string, password: string, place: VaultPlace = {}): Promise<string> {
  const text = line.trim();
  if (!text.startsWith(VAULT_PREFIX)) throw damaged(place);
  const parts = text.slice(VAULT_PREFIX.length).split(';');
  if (parts.length !== 3 || !parts.every((part) => BASE64.test(part))) throw damaged(place);
  const [salt, iv, body] = parts.map((part) => Buffer.from(part, 'base64'));
  if (salt.length !== SALT_BYTES || iv.length !== IV_BYTES || body.length < TAG_BYTES) throw damaged(place);
  const key = await deriveKey(password, salt);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(Buffer.from(VAULT_PREFIX));
  decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw damaged(place);
  }
}

export interface VaultPasswordOptions {
  /** `--vault-password-file F`. */
  passwordFile?: string;
  env?: NodeJS.ProcessEnv;
}

/** Which source will supply the password, or undefined when none is configured. */
export function vaultPasswordSource(options: VaultPasswordOptions = {}): string | undefined {
  const env = options.env ?? process.env;
  if (options.passwordFile) return `--vault-password-file ${options.passwordFile}`;
  if (env.SHIPSHAPE_VAULT_PASSWORD_FILE) return `SHIPSHAPE_VAULT_PASSWORD_FILE (${env.SHIPSHAPE_VAULT_PASSWORD_FILE})`;
  if (env.SHIPSHAPE_VAULT_PASSWORD !== undefined) return 'SHIPSHAPE_VAULT_PASSWORD';
  return undefined;
}

/**
 * Reads the vault password from `--vault-password-file`, then $SHIPSHAPE_VAULT_PASSWORD_FILE, then
 * $SHIPSHAPE_VAULT_PASSWORD. Never from a command-line value: argv is visible to every user of the
 * machine in the process list.
 */
export async function readVaultPassword(options: VaultPasswordOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const file = options.passwordFile ?? env.SHIPSHAPE_VAULT_PASSWORD_FILE;
  let password: string;
  if (file) {
    try {
      password = await readFile(file, 'utf8');
    } catch (error) {
      throw new VaultError(`cannot read the vault password file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
        file,
        cause: error,
      });
    }
    // Editors and `echo` leave a final newline that is not part of the password.
    password = password.replace(/\r?\n$/, '');
  } else if (env.SHIPSHAPE_VAULT_PASSWORD !== undefined) {
    password = env.SHIPSHAPE_VAULT_PASSWORD;
  } else {
    throw new VaultError(
      'a vault password is needed: set SHIPSHAPE_VAULT_PASSWORD_FILE (a file holding it), SHIPSHAPE_VAULT_PASSWORD, or pass --vault-password-file FILE',
    );
  }
  if (password === '') throw new VaultError(`the vault password from ${vaultPasswordSource(options)} is empty`);
  return password;
}

/** A password getter that asks its source once, however many values need it. */
export function cachedPassword(get: () => Promise<string> | string): () => Promise<string> {
  let pending: Promise<string> | undefined;
  return () => (pending ??= Promise.resolve().then(get));
}
