/**
 * Where an installed shipshape keeps what it makes at run time (compiled playbooks, the test key):
 * the user's cache directory, never node_modules, which may be read-only and which `npm ci` wipes.
 */
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import path from 'node:path';

/** `$XDG_CACHE_HOME/shipshape` or `~/.cache/shipshape`. */
export function userCacheDir(): string {
  return path.join(process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'shipshape');
}

/** True when `file` lies inside a node_modules directory (shipshape runs as an installed package). */
export function isInsideNodeModules(file: string): boolean {
  return file.split(/[\\/]/).includes('node_modules');
}

/** A cache directory of its own for an installed build directory (one per installation). */
export function cacheDirFor(buildDir: string): string {
  return path.join(userCacheDir(), createHash('sha256').update(buildDir).digest('hex').slice(0, 16));
}
