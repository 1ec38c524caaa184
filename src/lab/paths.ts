/**
 * Where the lab keeps its state. Default: `.lab/` at the root of this checkout, so the committed
 * inventory/lab.ts finds it whatever the current directory is. SHIPSHAPE_LAB_DIR moves it (two labs
 * side by side, or a read-only checkout).
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function labDir(): string {
  return resolve(process.env.SHIPSHAPE_LAB_DIR ?? resolve(PROJECT_ROOT, '.lab'));
}

export const labPaths = {
  state: () => resolve(labDir(), 'state.json'),
  privateKey: () => resolve(labDir(), 'id_ed25519'),
  knownHosts: () => resolve(labDir(), 'known_hosts'),
  dockerdPid: () => resolve(labDir(), 'dockerd.pid'),
  dockerdLog: () => resolve(labDir(), 'dockerd.log'),
  acmeCaBundle: () => resolve(labDir(), 'acme-ca.pem'),
  secrets: () => resolve(labDir(), 'secrets.json'),
};
