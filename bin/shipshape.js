#!/usr/bin/env node
// The bin. Runs shipshape's bundled build (bin/build.js keeps it in step with src/). Users' .ts
// playbooks and inventories are compiled on demand by esbuild (src/util/compile-user-module.ts),
// which also points their `shipshape` imports at this build: no loader hooks at all.
// SHIPSHAPE_FROM_SOURCE=1 runs src/ through tsx instead (development, debugging).
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import vm from 'node:vm';

/** Resolves with the `shipshape-source` export condition too (Node's --conditions, set from inside). */
const SOURCE_CONDITION_HOOK = `export function resolve(specifier, context, next) {
  return next(specifier, { ...context, conditions: [...context.conditions, 'shipshape-source'] });
}`;

let dist;
let build;
if (process.env.SHIPSHAPE_FROM_SOURCE !== '1') {
  try {
    build = await import('./build.js');
    dist = await build.ensureBuilt();
  } catch (error) {
    // A read-only checkout or a missing esbuild: run from source, which always works.
    if (process.env.SHIPSHAPE_DEBUG) console.error(`shipshape: running from source: ${error.message}`);
  }
}

if (dist) {
  const file = join(dist, build.BUNDLE);
  const cacheDir = build.cacheDirOf(dist);
  // Compiled playbooks go there too (src/util/user-module.ts).
  globalThis[Symbol.for('shipshape.cacheDir')] = cacheDir;
  const bundle = verbose() ? loadBundleMapped(file) : loadBundle(file, join(cacheDir, `${build.BUNDLE}.v8-cache`));
  globalThis[Symbol.for('shipshape.bundle')] = bundle.exports;
  // The bundle's own import() does not survive V8's code cache in Node 20 (src/util/dynamic-import.ts).
  globalThis[Symbol.for('shipshape.import')] = (specifier) => import(specifier);
  await bundle.exports.main(process.argv);
  bundle.saveCodeCache(process.argv[2]);
  // The command is done: do not wait for SSH sockets to finish closing (~30-50 ms per run). But a
  // pipe takes only what fits in its buffer at once and Node queues the rest (a 256 KiB JSON line
  // was cut at 219264 bytes), so exit only once stdout and stderr have written everything.
  await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write('', resolve))));
  process.exit();
} else {
  // From source everything goes through tsx's hooks: import the heavy plain-JS dependencies first,
  // by Node's own loader (each module load through the hooks is a round trip to their thread).
  await Promise.all(['zod', 'ssh2', 'node-ssh', 'commander', 'listr2', 'ejs', 'yaml', 'diff'].map((name) => import(name)));
  const { register } = await import('tsx/esm/api');
  register();
  // `shipshape` imported by a playbook resolves to src/ (package.json's `shipshape-source` condition).
  const { register: registerHooks } = await import('node:module');
  registerHooks(`data:text/javascript,${encodeURIComponent(SOURCE_CONDITION_HOOK)}`);
  await import('../src/cli/index.ts');
}

function verbose() {
  return process.argv.includes('-v') || process.argv.includes('--verbose');
}

/**
 * -v: stack traces name shipshape's own source files. Node maps the frames of a required module
 * (with its .map beside it) but not those of a vm.Script, so the bundle is required, without the
 * code cache: a verbose run costs ~60 ms more to start.
 */
function loadBundleMapped(file) {
  process.setSourceMapsEnabled(true);
  return { exports: createRequire(file)(file), saveCodeCache() {} };
}

/**
 * Evaluates the CommonJS bundle as Node's require would, but compiled through vm.Script with V8's
 * code cache (Node 20 caches no compiled code by itself): about 60 ms less of every start. The
 * cache is made after a command has run, so it holds the functions that command compiled too; it
 * is made once after a run that connects to hosts (the common case), else once after anything.
 */
function loadBundle(file, cacheFile) {
  const fullMarker = `${cacheFile}.after-run`;
  let cached;
  let full = false;
  try {
    cached = readFileSync(cacheFile);
    full = readFileSync(fullMarker, 'utf8') !== '';
  } catch {
    // no cache yet, or only a partial one
  }
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${readFileSync(file, 'utf8')}\n})`, {
    filename: file,
    cachedData: cached,
  });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
  return {
    exports: module.exports,
    saveCodeCache(command) {
      const afterRun = ['apply', 'plan', 'run', 'facts'].includes(command);
      if (cached && !script.cachedDataRejected && (full || !afterRun)) return;
      try {
        // Temp file and rename: a concurrent run reads a whole cache or none (V8 also checks it).
        mkdirSync(dirname(cacheFile), { recursive: true });
        writeFileSync(`${cacheFile}.tmp-${process.pid}`, script.createCachedData());
        renameSync(`${cacheFile}.tmp-${process.pid}`, cacheFile);
        writeFileSync(fullMarker, afterRun ? command : '');
      } catch {
        // a read-only installation: run without the cache
      }
    },
  };
}
