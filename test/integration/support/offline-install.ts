/**
 * Installs a packed shipshape into an empty project without the network: a package-lock.json made
 * from this checkout's (whose packages `npm ci` here put in npm's cache),
 * then `npm install --offline`. Without a lock npm would need each package's registry metadata,
 * which the cache does not hold.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

interface LockEntry {
  version?: string;
  [key: string]: unknown;
}

/** What a project adds for its type check and tests (`npm i -D typescript @types/node vitest`). */
const DEV_TOOLS = ['typescript', '@types/node', 'vitest'];

/** Writes package.json and package-lock.json into `dir`, depending on the tarball alone. */
export function writeOfflineProject(dir: string, tarball: string, lockOfShipshape = path.resolve('package-lock.json')): void {
  const own = JSON.parse(readFileSync(path.resolve('package.json'), 'utf8')) as { version: string; dependencies: Record<string, string>; engines: unknown; bin: unknown };
  const lock = JSON.parse(readFileSync(lockOfShipshape, 'utf8')) as { packages: Record<string, LockEntry> };
  const relativeTarball = `file:${path.relative(dir, tarball)}`;
  const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
  const packages: Record<string, LockEntry> = {
    '': { name: 'my-infra', dependencies: { shipshape: relativeTarball } },
    'node_modules/shipshape': {
      version: own.version,
      resolved: relativeTarball,
      integrity,
      license: 'MIT',
      dependencies: own.dependencies,
      bin: own.bin,
      engines: own.engines,
    },
  };
  // The checkout's whole tree: shipshape's dependencies and the development tools a project adds
  // (typescript, @types/node, vitest) at the versions shipshape is built with. npm leaves out what
  // the project does not need (shipshape's other development tools).
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (key.startsWith('node_modules/')) packages[key] = entry;
  }
  const devDependencies = Object.fromEntries(DEV_TOOLS.map((tool) => [tool, (lock.packages[`node_modules/${tool}`] as LockEntry).version!]));
  (packages[''] as Record<string, unknown>).devDependencies = devDependencies;
  writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({ name: 'my-infra', private: true, dependencies: { shipshape: relativeTarball }, devDependencies }, null, 2)}\n`);
  writeFileSync(path.join(dir, 'package-lock.json'), `${JSON.stringify({ name: 'my-infra', lockfileVersion: 3, requires: true, packages }, null, 2)}\n`);
}
