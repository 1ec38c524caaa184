import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { cacheDirFor, isInsideNodeModules } from './cache-dir.ts';
import { compileUserModule, runningBuildDir } from './compile-user-module.ts';
import { importDynamic } from './dynamic-import.ts';
import { esmHint } from './esm-hint.ts';

/**
 * Imports a user's module (a playbook or a TypeScript inventory).
 *
 * Bundled (bin/shipshape.js runs dist/<stamp>/shipshape.cjs): compiled with esbuild into one cached ES module
 * (compile-user-module.ts), so TypeScript costs nothing on a re-run and a project needs no
 * `"type": "module"`. From source (SHIPSHAPE_FROM_SOURCE=1 under tsx, or vitest), whatever loads
 * shipshape's own .ts files loads the user's too.
 */
export async function importUserModule(file: string): Promise<{ default?: unknown }> {
  const buildDir = runningBuildDir(import.meta.url);
  if (!buildDir) return (await import(pathToFileURL(file).href)) as { default?: unknown };
  // The ES module faces of the bundle (bin/build.js).
  const entry = (name: string) => pathToFileURL(path.join(buildDir, `${name}.mjs`)).href;
  const url = await compileUserModule(file, { shipshape: entry('index'), 'shipshape/lab': entry('lab') }, path.join(cacheDir(buildDir), 'user-modules'));
  // Only now, so the user's (small, inline) source map is read and not the whole build's: a task
  // that throws points at the playbook's own line.
  process.setSourceMapsEnabled(true);
  return importDynamic<{ default?: unknown }>(url);
}

/**
 * What to do about a user module that failed to load, when the failure is a known trap (esm-hint.ts).
 * The trap exists only from source: bundled, the module is compiled whatever its package.json says,
 * and a similar error then comes from one of the user's npm packages, which the hint would misname.
 */
export function userModuleLoadHint(error: unknown, display: string): string | undefined {
  return runningBuildDir(import.meta.url) ? undefined : esmHint(error, display);
}

/** Where bin/shipshape.js keeps this build's caches (outside node_modules when installed), else beside the build. */
function cacheDir(buildDir: string): string {
  const lent = (globalThis as Record<symbol, string | undefined>)[Symbol.for('shipshape.cacheDir')];
  if (lent) return lent;
  // Loaded without the bin (shipshape/testing in a test runner): still never into node_modules.
  return isInsideNodeModules(buildDir) ? cacheDirFor(buildDir) : buildDir;
}
