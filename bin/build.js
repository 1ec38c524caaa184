// Bundles shipshape's own TypeScript (src/) and most of its dependencies into plain ESM under
// dist/<stamp>/ with esbuild, so a run starts without compiling ~170 files through a loader's hooks
// (about 0.4 s of every run) or resolving each package's files. The stamp is a hash of src's file
// names, sizes and mtimes and of package-lock.json: an edited source or an updated dependency makes
// a new build on the next run (about 0.3 s), so the bundle is never stale. Users' playbooks and
// inventories are compiled on demand into dist/<stamp>/user-modules (src/util/compile-user-module.ts).
// Plain JavaScript: it runs before anything can compile TypeScript.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'src');
const DIST = join(ROOT, 'dist');
/** The entry points: the CLI, the public API (`shipshape`) and the lab's (`shipshape/lab`). */
const ENTRIES = { cli: 'src/cli/main.ts', index: 'src/index.ts', lab: 'src/lab/public.ts' };
const KEEP_BUILDS = 3;

function sourceStamp() {
  const hash = createHash('sha256');
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) {
        const info = statSync(path);
        hash.update(`${path}\0${info.size}\0${info.mtimeMs}\n`);
      }
    }
  };
  walk(SRC);
  // How the bundle is made: a changed build script must rebuild too.
  const self = statSync(fileURLToPath(import.meta.url));
  hash.update(`build\0${self.size}\0${self.mtimeMs}\n`);
  // Bundled dependencies: a changed install must rebuild too.
  try {
    const lock = statSync(join(ROOT, 'node_modules', '.package-lock.json'));
    hash.update(`lock\0${lock.size}\0${lock.mtimeMs}\n`);
  } catch {
    // no node_modules metadata (an unusual install): src alone decides
  }
  return hash.digest('hex').slice(0, 16);
}

/** Removes all but the newest few builds (a running process may still use a recent one). */
function pruneOldBuilds(current) {
  let builds;
  try {
    builds = readdirSync(DIST, { withFileTypes: true }).filter((e) => e.isDirectory() && e.name !== current);
  } catch {
    return;
  }
  const byAge = builds.map((e) => ({ name: e.name, mtime: statSync(join(DIST, e.name)).mtimeMs })).sort((a, b) => b.mtime - a.mtime);
  for (const old of byAge.slice(KEEP_BUILDS - 1)) {
    if (Date.now() - old.mtime > 60_000) rmSync(join(DIST, old.name), { recursive: true, force: true });
  }
}

/**
 * zod re-exports its ~50 message locales (a quarter of the whole bundle's bytes, parsed at every
 * start) as `z.locales`; shipshape's messages are English and it never switches locale, so the
 * bundle keeps English only. (A playbook that imports zod itself gets the whole package, from
 * node_modules.)
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer) ? { path: 'zod-locales', namespace: 'shipshape-zod-locales', pluginData: args.resolveDir } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'shipshape-zod-locales' }, (args) => ({
      contents: "export { default as en } from '../locales/en.js';\n",
      resolveDir: args.pluginData,
      loader: 'js',
    }));
  },
};

/** The directory of an up-to-date build, building it first when needed. */
export async function ensureBuilt() {
  const stamp = sourceStamp();
  const out = join(DIST, stamp);
  if (existsSync(join(out, 'cli.js'))) return out;
  const { build } = await import('esbuild');
  // Build beside the final place, then rename: a concurrent run sees a complete build or none.
  const temporary = `${out}.tmp-${process.pid}`;
  mkdirSync(DIST, { recursive: true });
  await build({
    entryPoints: ENTRIES,
    outdir: temporary,
    bundle: true,
    splitting: true, // shared chunks: the CLI and the `shipshape` API share module instances
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Dependencies are bundled too: resolving and reading each package's many files cost about
    // 0.15 s per run. Kept external: ssh2 (a native addon; node-ssh wraps it), and what is only
    // imported on demand (esbuild compiles playbooks, testcontainers runs the lab, tsx the source).
    external: ['ssh2', 'node-ssh', 'esbuild', 'testcontainers', 'tsx', 'tsx/*'],
    // Bundled CommonJS dependencies call require() for Node's built-in modules.
    banner: { js: "import { createRequire as __shipshapeCreateRequire } from 'node:module'; const require = __shipshapeCreateRequire(import.meta.url);" },
    sourcemap: true,
    logLevel: 'silent',
    plugins: [zodEnglishOnly],
  });
  try {
    renameSync(temporary, out);
  } catch (error) {
    // Another run finished the same build first: use it.
    rmSync(temporary, { recursive: true, force: true });
    if (!existsSync(join(out, 'cli.js'))) throw error;
  }
  pruneOldBuilds(stamp);
  return out;
}
