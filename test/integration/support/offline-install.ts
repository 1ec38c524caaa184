/**
 * Installs a packed shipshape into an empty project without the network: a package-lock.json made
 * from this checkout's (the package's own dependencies, which `npm ci` here put in npm's cache),
 * then `npm install --offline`. Without a lock npm would need each package's registry metadata,
 * which the cache does not hold.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

interface LockEntry {
  version?: string;
  dev?: boolean;
  devOptional?: boolean;
  [key: string]: unknown;
}

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
  // The production part of the checkout's tree: every installed package that is not only for development.
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (key === '' || !key.startsWith('node_modules/') || entry.dev) continue;
    const { devOptional: _devOptional, ...rest } = entry;
    packages[key] = rest;
  }
  writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({ name: 'my-infra', private: true, dependencies: { shipshape: relativeTarball } }, null, 2)}\n`);
  writeFileSync(path.join(dir, 'package-lock.json'), `${JSON.stringify({ name: 'my-infra', lockfileVersion: 3, requires: true, packages }, null, 2)}\n`);
}
