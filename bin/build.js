// Bundles shipshape's own TypeScript (src/) and its dependencies into one CommonJS file under
// dist/<stamp>/ with esbuild, so a run starts without compiling ~170 files through a loader's hooks
// (about 0.4 s of every run) or resolving each package's files. The stamp is a hash of src's file
// names, sizes and mtimes and of package-lock.json: an edited source or an updated dependency makes
// a new build on the next run (about 0.3 s), so the bundle is never stale. Users' playbooks and
// inventories are compiled on demand into dist/<stamp>/user-modules (src/util/compile-user-module.ts).
// Plain JavaScript: it runs before anything can compile TypeScript.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'src');
const DIST = join(ROOT, 'dist');
/**
 * The build an installed package runs: made once by `npm pack` (prepack, `node bin/build.js
 * --package`) and shipped, since an installation has no src/ to build from and node_modules is
 * no place to write into at run time.
 */
export const PACKAGED = join(DIST, 'package');
/** Not builds of the checkout: pruning leaves them alone. */
const NOT_STAMPS = new Set(['package', 'types']);
/** The one entry: the CLI, the public API (`shipshape`) and the lab's (`shipshape/lab`) together. */
const ENTRY = 'src/bundle.ts';
export const BUNDLE = 'shipshape.cjs';
/** What a playbook's `shipshape` and `shipshape/lab` imports resolve to: ES module faces of the bundle. */
const FACES = { index: 'api', lab: 'lab', testing: 'testing' };
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
    builds = readdirSync(DIST, { withFileTypes: true }).filter((e) => e.isDirectory() && e.name !== current && !NOT_STAMPS.has(e.name));
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

/**
 * An ES module re-exporting one part of the bundle (`api` or `lab`) under its own names, taken from
 * the instance the bin loaded (globalThis, so a playbook shares the CLI's classes and secrets), or
 * loaded here when something imports it on its own.
 */
function faceModule(part, names) {
  return [
    "import { createRequire } from 'node:module';",
    `const bundle = globalThis[Symbol.for('shipshape.bundle')] ?? createRequire(import.meta.url)('./${BUNDLE}');`,
    `export const { ${names.join(', ')} } = bundle.${part};`,
    '',
  ].join('\n');
}

/** True in an installed package: no sources, only the build prepack made. */
export function isInstalled() {
  return !existsSync(SRC);
}

/** The directory of an up-to-date build, building it first when needed. */
export async function ensureBuilt() {
  if (isInstalled()) {
    if (existsSync(join(PACKAGED, 'index.mjs'))) return PACKAGED;
    throw new Error(`${PACKAGED} is missing: this installation of shipshape was not packed with its build`);
  }
  const stamp = sourceStamp();
  const out = join(DIST, stamp);
  if (existsSync(join(out, 'index.mjs'))) return out;
  await buildInto(out);
  pruneOldBuilds(stamp);
  return out;
}

/**
 * Where a build's V8 code cache and compiled user modules go. A checkout's build keeps them beside
 * itself; an installed package's go to the user's cache directory ($XDG_CACHE_HOME/shipshape or
 * ~/.cache/shipshape): outside node_modules (which may be read-only, and which `npm ci` wipes),
 * shared by every project using the same version, and never something to .gitignore in a project.
 */
export function cacheDirOf(dist) {
  if (dist !== PACKAGED) return dist;
  const root = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  const info = statSync(join(PACKAGED, BUNDLE));
  const stamp = createHash('sha256').update(`${PACKAGED}\0${info.size}\0${info.mtimeMs}`).digest('hex').slice(0, 16);
  return join(root, 'shipshape', stamp);
}

/** Builds the bundle and its faces into `out` (replacing what is there). */
async function buildInto(out) {
  const { build } = await import('esbuild');
  // Build beside the final place, then rename: a concurrent run sees a complete build or none.
  const temporary = `${out}.tmp-${process.pid}`;
  mkdirSync(DIST, { recursive: true });
  await build({
    entryPoints: [join(ROOT, ENTRY)],
    outfile: join(temporary, BUNDLE),
    bundle: true,
    // CommonJS, one file: the bin compiles it through vm.Script with V8's code cache (Node 20 has
    // no compile cache for ES modules); what loads on demand (import()) is still only evaluated then.
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    // Dependencies are bundled too (resolving and reading each package's many files cost ~0.15 s
    // per run), ssh2's native crypto addon copied beside the bundle. Kept external: what is only
    // imported on demand (esbuild compiles playbooks, testcontainers runs the lab, tsx the source)
    // and ssh2's optional cpu-features.
    external: ['esbuild', 'testcontainers', 'tsx', 'tsx/*', 'cpu-features'],
    loader: { '.node': 'copy' },
    define: { 'import.meta.url': '__shipshapeModuleUrl' },
    banner: { js: "const __shipshapeModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
    sourcemap: true,
    logLevel: 'silent',
    plugins: [zodEnglishOnly],
  });
  const bundle = createRequire(import.meta.url)(join(temporary, BUNDLE));
  for (const [face, part] of Object.entries(FACES)) writeFileSync(join(temporary, `${face}.mjs`), faceModule(part, Object.keys(bundle[part])));
  if (out === PACKAGED) rmSync(out, { recursive: true, force: true });
  try {
    renameSync(temporary, out);
  } catch (error) {
    // Another run finished the same build first: use it.
    rmSync(temporary, { recursive: true, force: true });
    if (!existsSync(join(out, 'index.mjs'))) throw error;
  }
}

// `node bin/build.js --package` (prepack): the build an installed package runs.
if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes('--package')) {
  await buildInto(PACKAGED);
}
