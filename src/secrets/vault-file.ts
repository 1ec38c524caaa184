/**
 * Whole-file vault operations behind `shipshape vault`. Every file that will hold a secret (the
 * encrypted file, a decrypted one, the editor's temporary copy) is created with mode 0600 before
 * any content is written, and replaced atomically so an interrupted write leaves the old file.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { ConfigError, VaultError } from '../errors.ts';
import { decryptValue, encryptValue, isVaultText } from './vault.ts';

/** Writes `content` to a new 0600 file next to `path`, then renames it over `path`. */
export async function writePrivateFile(path: string, content: string): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  // 'wx' + mode: the file is born 0600 (umask can only remove bits), and never follows a planted link.
  const handle = await open(temporary, 'wx', 0o600);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
    await handle.close();
    await rename(temporary, path);
  } catch (error) {
    await handle.close().catch(() => {});
    await rm(temporary, { force: true });
    throw error;
  }
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(`${path}: ${code === 'ENOENT' ? 'file not found' : `cannot read (${code ?? String(error)})`}`, { file: path, cause: error });
  }
}

export async function encryptFile(path: string, password: string): Promise<void> {
  const text = await readText(path);
  if (isVaultText(text)) throw new VaultError(`${path}: already vault-encrypted`, { file: path });
  await writePrivateFile(path, `${await encryptValue(text, password)}\n`);
}

export async function decryptFile(path: string, password: string): Promise<void> {
  await writePrivateFile(path, await viewFile(path, password));
}

export async function viewFile(path: string, password: string): Promise<string> {
  const text = await readText(path);
  if (!isVaultText(text)) throw new VaultError(`${path}: not vault-encrypted`, { file: path });
  return decryptValue(text, password, { file: path });
}

/** Runs $VISUAL / $EDITOR (default vi) on a file and waits for it. */
export function runEditor(file: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const editor = (env.VISUAL || env.EDITOR || 'vi').trim();
  // EDITOR may carry arguments ("code --wait"), as git and Ansible allow.
  const [command, ...args] = editor.split(/\s+/);
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args, file], { stdio: 'inherit' });
    child.on('error', (error) => reject(new ConfigError(`cannot start the editor "${editor}": ${error.message}`, { cause: error })));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new ConfigError(`the editor "${editor}" exited with status ${code}; nothing was changed`))));
  });
}

/**
 * Decrypts to a 0600 file in a private temporary directory, lets the editor change it, re-encrypts
 * when the content changed, and removes the plain copy whatever happens. A missing file starts empty.
 */
export async function editFile(path: string, password: string, edit: (file: string) => Promise<void> = runEditor): Promise<boolean> {
  const exists = await stat(path).then(
    () => true,
    () => false,
  );
  const before = exists ? await viewFile(path, password) : '';
  const directory = await mkdtemp(join(tmpdir(), 'shipshape-vault-'));
  const plain = join(directory, basename(path));
  try {
    const handle = await open(plain, 'wx', 0o600);
    await handle.writeFile(before, 'utf8');
    await handle.close();
    await edit(plain);
    const after = await readFile(plain, 'utf8');
    if (after === before && exists) return false;
    await writePrivateFile(path, `${await encryptValue(after, password)}\n`);
    return true;
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}
