#!/usr/bin/env node
// The bin. Runs shipshape's bundled build (bin/build.js keeps it in step with src/) and registers
// tsx so users' .ts playbooks and inventories load with no build step of their own.
// SHIPSHAPE_FROM_SOURCE=1 runs src/ through tsx instead (development, debugging).
import { register as registerHooks } from 'node:module';
import { pathToFileURL } from 'node:url';

const fromSource = process.env.SHIPSHAPE_FROM_SOURCE === '1';
let dist;
if (!fromSource) {
  try {
    dist = await (await import('./build.js')).ensureBuilt();
  } catch (error) {
    // A read-only checkout or a missing esbuild: run from source, which always works.
    if (process.env.SHIPSHAPE_DEBUG) console.error(`shipshape: running from source: ${error.message}`);
  }
}

// The heavy plain-JS dependencies are imported first, by Node's own loader: once tsx's hooks are
// registered every module load is a round trip to its hooks thread. Same module instances: later
// imports of these specifiers resolve to the already loaded files.
await Promise.all(['zod', 'ssh2', 'node-ssh', 'commander', 'listr2', 'ejs', 'yaml', 'diff'].map((name) => import(name)));
const { register } = await import('tsx/esm/api');
register();

if (dist) {
  if (process.argv.includes('-v') || process.argv.includes('--verbose')) process.setSourceMapsEnabled(true);
  const url = (name) => pathToFileURL(`${dist}/${name}.js`).href;
  // Registered after tsx, so it is asked first.
  registerHooks('./resolve-hooks.js', import.meta.url, { data: { entries: { shipshape: url('index'), 'shipshape/lab': url('lab') } } });
  const { main } = await import(url('cli'));
  await main(process.argv);
} else {
  await import('../src/cli/index.ts');
}
