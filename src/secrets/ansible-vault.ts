/**
 * Decrypts values and files in Ansible Vault's own format, so Ansible inventories bring their secrets
 * along without Ansible installed. Format 1.1 (`$ANSIBLE_VAULT;1.1;AES256`) and 1.2 (with a vault id,
 * `$ANSIBLE_VAULT;1.2;AES256;prod`): the body is hex of `hex(salt)\nhex(hmac)\nhex(ciphertext)`; the
 * keys come from PBKDF2-HMAC-SHA256 (10000 iterations, 80 bytes: AES-256-CTR key, HMAC-SHA256 key,
 * counter); the plaintext is PKCS#7 padded. The HMAC is checked (in constant time) before decrypting.
 * Passwords come as Ansible takes them: `--vault-id label@file`, `--vault-password-file file`,
 * $ANSIBLE_VAULT_PASSWORD_FILE, $ANSIBLE_VAULT_IDENTITY_LIST. shipshape's own vault is vault.ts.
 */
import { execFile } from 'node:child_process';
import { createDecipheriv, createHmac, pbkdf2, timingSafeEqual } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { VaultError } from '../errors.ts';

export const ANSIBLE_VAULT_PREFIX = '$ANSIBLE_VAULT;';

const ITERATIONS = 10_000;
const KEY_BYTES = 32;
const IV_BYTES = 16;

/** One password with the vault id it was given for (`default` without a label, as in Ansible). */
export interface AnsibleVaultSecret {
  id: string;
  password: string;
  /** Where it came from (the file), for messages. */
  source: string;
}

export interface AnsibleVaultEnvelope {
  version: '1.1' | '1.2';
  vaultId?: string;
  salt: Buffer;
  hmac: Buffer;
  ciphertext: Buffer;
}

/** Where a value came from, for the message when it cannot be decrypted. */
export interface AnsibleVaultPlace {
  file?: string;
  field?: string;
}

function where(place: AnsibleVaultPlace): string {
  return [place.file, place.field].filter((part) => part !== undefined && part !== '').join(': ');
}

export function isAnsibleVaultText(text: string): boolean {
  return text.trimStart().startsWith(ANSIBLE_VAULT_PREFIX);
}

const HEX = /^(?:[0-9a-fA-F]{2})+$/;

/** Splits the header and the hex body; throws a VaultError naming the place when it is not one. */
export function parseAnsibleVault(text: string, place: AnsibleVaultPlace = {}): AnsibleVaultEnvelope {
  const lines = text.trim().split(/\r?\n/);
  const header = lines[0].trim().split(';');
  const damaged = (why: string) => new VaultError(`${where(place)}: not a readable Ansible Vault value (${why})`, place);
  if (header[0] !== '$ANSIBLE_VAULT') throw damaged('no $ANSIBLE_VAULT header');
  const version = header[1];
  if (version !== '1.1' && version !== '1.2') throw damaged(`format ${version ?? '?'}: only 1.1 and 1.2 are known`);
  if (header[2] !== 'AES256') throw damaged(`cipher ${header[2] ?? '?'}: only AES256 is known`);
  const vaultId = version === '1.2' ? header[3] : undefined;
  const body = lines.slice(1).join('').replace(/\s+/g, '');
  if (!HEX.test(body)) throw damaged('the body is not hexadecimal');
  const parts = Buffer.from(body, 'hex').toString('latin1').split('\n');
  if (parts.length !== 3 || !parts.every((part) => HEX.test(part))) throw damaged('the body is not salt, HMAC and ciphertext');
  const [salt, hmac, ciphertext] = parts.map((part) => Buffer.from(part, 'hex'));
  if (hmac.length !== 32 || ciphertext.length === 0 || ciphertext.length % 16 !== 0) throw damaged('wrong lengths');
  return { version, vaultId, salt, hmac, ciphertext };
}

const pbkdf2Async = promisify(pbkdf2);

/** The plaintext, or undefined when this password does not open the value (HMAC mismatch). */
async function tryPassword(envelope: AnsibleVaultEnvelope, password: string): Promise<Buffer | undefined> {
  const derived = await pbkdf2Async(Buffer.from(password, 'utf8'), envelope.salt, ITERATIONS, 2 * KEY_BYTES + IV_BYTES, 'sha256');
  const cipherKey = derived.subarray(0, KEY_BYTES);
  const hmacKey = derived.subarray(KEY_BYTES, 2 * KEY_BYTES);
  const iv = derived.subarray(2 * KEY_BYTES);
  const expected = createHmac('sha256', hmacKey).update(envelope.ciphertext).digest();
  if (!timingSafeEqual(expected, envelope.hmac)) return undefined;
  const decipher = createDecipheriv('aes-256-ctr', cipherKey, iv);
  const padded = Buffer.concat([decipher.update(envelope.ciphertext), decipher.final()]);
  const pad = padded[padded.length - 1];
  if (pad < 1 || pad > 16 || !padded.subarray(padded.length - pad).every((byte) => byte === pad)) return undefined;
  return padded.subarray(0, padded.length - pad);
}

/**
 * Decrypts one vault text with the first password that opens it: those given for its vault id first,
 * then the others (Ansible's default, which does not require ids to match).
 */
export async function decryptAnsibleVault(text: string, secrets: readonly AnsibleVaultSecret[], place: AnsibleVaultPlace = {}): Promise<string> {
  const envelope = parseAnsibleVault(text, place);
  const label = envelope.vaultId === undefined ? '' : ` (vault id "${envelope.vaultId}")`;
  if (secrets.length === 0) {
    throw new VaultError(
      `${where(place)}: holds an Ansible Vault value${label} but no vault password was given: pass --vault-password-file FILE or --vault-id LABEL@FILE, or set ANSIBLE_VAULT_PASSWORD_FILE`,
      place,
    );
  }
  const ordered = [...secrets.filter((secret) => secret.id === envelope.vaultId), ...secrets.filter((secret) => secret.id !== envelope.vaultId)];
  for (const secret of ordered) {
    const plain = await tryPassword(envelope, secret.password);
    if (plain) return plain.toString('utf8');
  }
  const tried = [...new Set(ordered.map((secret) => secret.source))].join(', ');
  throw new VaultError(`${where(place)}: the Ansible Vault value${label} does not open with the password from ${tried}: wrong password`, place);
}

export interface AnsibleVaultPasswordOptions {
  /** `--vault-id [label@]file`, repeatable. */
  vaultIds?: readonly string[];
  /** `--vault-password-file file`, repeatable in Ansible (id `default`). */
  passwordFiles?: readonly string[];
  env?: NodeJS.ProcessEnv;
}

/** Parses `label@file` or `file` (label `default`), as Ansible's --vault-id does. */
export function parseVaultId(spec: string): { id: string; file: string } {
  const at = spec.indexOf('@');
  return at > 0 ? { id: spec.slice(0, at), file: spec.slice(at + 1) } : { id: 'default', file: spec };
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Reads one password file as Ansible does: an executable is run and its output used; either way surrounding whitespace is stripped. */
async function readPasswordFile(file: string, id: string): Promise<string> {
  let text: string;
  try {
    text = isExecutable(file) ? (await promisify(execFile)(file, [], { encoding: 'utf8' })).stdout : await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new VaultError(`cannot read the Ansible vault password file ${file}: ${code ?? (error as Error).message}`, { file, cause: error });
  }
  const password = text.trim();
  if (password === '') throw new VaultError(`the Ansible vault password file ${file} (vault id "${id}") is empty`, { file });
  return password;
}

/** The configured sources, without reading them: --vault-id, --vault-password-file, then the environment. */
export function ansibleVaultSources(options: AnsibleVaultPasswordOptions = {}): Array<{ id: string; file: string }> {
  const env = options.env ?? process.env;
  const sources = [...(options.vaultIds ?? []).map(parseVaultId), ...(options.passwordFiles ?? []).map((file) => ({ id: 'default', file }))];
  for (const spec of (env.ANSIBLE_VAULT_IDENTITY_LIST ?? '').split(',').map((part) => part.trim()).filter(Boolean)) sources.push(parseVaultId(spec));
  if (env.ANSIBLE_VAULT_PASSWORD_FILE) sources.push({ id: 'default', file: env.ANSIBLE_VAULT_PASSWORD_FILE });
  return sources;
}

/** Reads every configured password (call it only when a vault value is met). */
export async function readAnsibleVaultSecrets(options: AnsibleVaultPasswordOptions = {}): Promise<AnsibleVaultSecret[]> {
  return Promise.all(
    ansibleVaultSources(options).map(async ({ id, file }) => ({ id, password: await readPasswordFile(file, id), source: file })),
  );
}
