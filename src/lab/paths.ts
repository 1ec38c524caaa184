/**
 * Where the lab keeps its state. Default: `.lab/` at the root of this checkout, so the committed
 * inventory/lab.ts finds it whatever the current directory is. SHIPSHAPE_LAB_DIR moves it (two labs
 * side by side, or a read-only checkout). An installed package keeps it in the user's cache directory.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isInsideNodeModules, userCacheDir } from '../util/cache-dir.ts';

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function labDir(): string {
  if (process.env.SHIPSHAPE_LAB_DIR) return resolve(process.env.SHIPSHAPE_LAB_DIR);
  // An installed package writes nothing into node_modules: its lab lives in the user's cache.
  return isInsideNodeModules(PROJECT_ROOT) ? resolve(userCacheDir(), 'lab') : resolve(PROJECT_ROOT, '.lab');
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
