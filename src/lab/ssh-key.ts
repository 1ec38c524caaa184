/**
 * The key pair the controller uses to log in to lab hosts, made once and reused. ssh2 (node-ssh's
 * engine) writes it in OpenSSH's own format, so `ssh -i` and shipshape read the same file and the
 * controller needs no ssh-keygen.
 */
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import ssh2 from 'ssh2';

export interface KeyPairPaths {
  privateKey: string;
  publicKey: string;
}

/** Creates `path` and `path.pub` unless they exist; safe when several processes race for it. */
export function ensureKeyPair(privateKeyPath: string, comment = 'shipshape-lab'): KeyPairPaths {
  const publicKeyPath = `${privateKeyPath}.pub`;
  if (!existsSync(privateKeyPath)) {
    mkdirSync(dirname(privateKeyPath), { recursive: true, mode: 0o700 });
    const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment });
    const temporary = `${privateKeyPath}.${process.pid}.tmp`;
    writeFileSync(temporary, pair.private, { mode: 0o600 });
    writeFileSync(`${temporary}.pub`, `${pair.public}\n`, { mode: 0o644 });
    try {
      // link() fails if the target exists: whoever links first wins, the others use that key.
      linkSync(`${temporary}.pub`, publicKeyPath);
      linkSync(temporary, privateKeyPath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      rmSync(temporary, { force: true });
      rmSync(`${temporary}.pub`, { force: true });
    }
  }
  return { privateKey: privateKeyPath, publicKey: publicKeyPath };
}

export function readPublicKey(paths: KeyPairPaths): string {
  return readFileSync(paths.publicKey, 'utf8').trim();
}
