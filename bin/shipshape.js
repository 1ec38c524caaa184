#!/usr/bin/env node
// The bin. Runs shipshape's bundled build (bin/build.js keeps it in step with src/). Users' .ts
// playbooks and inventories are compiled on demand by esbuild (src/util/compile-user-module.ts),
// which also points their `shipshape` imports at this build: no loader hooks at all.
// SHIPSHAPE_FROM_SOURCE=1 runs src/ through tsx instead (development, debugging).
import { pathToFileURL } from 'node:url';

let dist;
if (process.env.SHIPSHAPE_FROM_SOURCE !== '1') {
  try {
    dist = await (await import('./build.js')).ensureBuilt();
  } catch (error) {
    // A read-only checkout or a missing esbuild: run from source, which always works.
    if (process.env.SHIPSHAPE_DEBUG) console.error(`shipshape: running from source: ${error.message}`);
  }
}

if (dist) {
  if (process.argv.includes('-v') || process.argv.includes('--verbose')) process.setSourceMapsEnabled(true);
  const { main } = await import(pathToFileURL(`${dist}/cli.js`).href);
  await main(process.argv);
  // The command is done and its output written (stdout and stderr are synchronous for files and
  // pipes on Linux): do not wait for SSH sockets to finish closing (~30-50 ms per run).
  process.exit();
} else {
  // From source everything goes through tsx's hooks: import the heavy plain-JS dependencies first,
  // by Node's own loader (each module load through the hooks is a round trip to their thread).
  await Promise.all(['zod', 'ssh2', 'node-ssh', 'commander', 'listr2', 'ejs', 'yaml', 'diff'].map((name) => import(name)));
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/index.ts');
}
