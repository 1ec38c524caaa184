/**
 * Compiles a user's playbook or TypeScript inventory, with the local files it imports, into one
 * ES module with esbuild, and caches the result beside shipshape's own build. Loading it then costs
 * one import of plain JavaScript: no loader hooks thread, no per-file transform (tsx's hooks are a
 * cost paid on every run), and a cached compile is reused until one of its input files changes.
 *
 * What stays outside the compiled file, imported at run time:
 * - `shipshape` and `shipshape/lab`: the very build that is running (one instance of every module,
 *   whichever copy of shipshape a project has installed);
 * - npm packages, by the absolute path esbuild resolves from the importing file (so they load from
 *   the user's project, as Node would, and are never copied);
 * - Node's built-in modules.
 * `import.meta.url`, `.dirname` and `.filename` keep each source file's own values (IMPORT_META), so
 * a playbook can still find files next to itself.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Message, Plugin } from 'esbuild';
import { importDynamic } from './dynamic-import.ts';

/** What `shipshape` and `shipshape/lab` resolve to (file URLs of the running build's entries). */
export type ShipshapeEntries = Record<'shipshape' | 'shipshape/lab', string>;

interface CacheManifest {
  entry: string;
  /** Every local file compiled in, with what it looked like: [absolute path, size, mtimeMs]. */
  inputs: Array<[string, number, number]>;
}

/** A syntax or resolution error, located: `file:line:col: ERROR: text` per line, paths as the user sees them. */
export class UserModuleCompileError extends Error {
  readonly errors: Array<{ text: string; location?: { file: string; line: number; column: number } }>;

  constructor(messages: Message[], workingDir: string, inserted: InsertedText = new Map()) {
    const errors = messages.map(({ text, location }) => {
      if (!location) return { text };
      const file = path.resolve(workingDir, location.file);
      // Columns as in the user's file, without the import.meta declarations in front.
      const insert = inserted.get(file);
      const shift = insert && insert.line === location.line && location.column >= insert.length ? insert.length : 0;
      return { text, location: { file: displayPath(file), line: location.line, column: location.column - shift } };
    });
    super(
      errors.map((e) => (e.location ? `${e.location.file}:${e.location.line}:${e.location.column}: ERROR: ${e.text}` : `ERROR: ${e.text}`)).join('\n'),
    );
    this.name = 'UserModuleCompileError';
    this.errors = errors;
  }
}

/** Relative to the working directory when the file is under it, else absolute. */
function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}

/**
 * The compiled module for `file` (absolute): a file URL in `cacheDir`, or a data: URL when the cache
 * cannot be written (a read-only installation). Compiles only when an input changed.
 */
export async function compileUserModule(file: string, entries: ShipshapeEntries, cacheDir: string): Promise<string> {
  const key = createHash('sha256').update(file).digest('hex').slice(0, 16);
  const output = path.join(cacheDir, `${key}.mjs`);
  const manifestFile = path.join(cacheDir, `${key}.json`);
  if (isFresh(manifestFile, file)) return pathToFileURL(output).href;

  const { build } = await importDynamic<typeof import('esbuild')>('esbuild');
  const workingDir = path.dirname(file);
  const inserted: InsertedText = new Map();
  let result;
  try {
    result = await build({
      entryPoints: [file],
      absWorkingDir: workingDir,
      outfile: output,
      bundle: true,
      write: false,
      metafile: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      // Inline, so a failing task's stack trace points into the user's own file (user-module.ts).
      sourcemap: 'inline',
      logLevel: 'silent',
      define: IMPORT_META_DEFINE,
      plugins: [userModulePlugin(entries, inserted)],
    });
  } catch (error) {
    const messages = (error as { errors?: Message[] }).errors;
    if (Array.isArray(messages) && messages.length > 0) throw new UserModuleCompileError(messages, workingDir, inserted);
    throw error;
  }
  const code = result.outputFiles[0].text;
  const inputs = Object.keys(result.metafile.inputs).map((input) => {
    const absolute = path.resolve(workingDir, input);
    const info = statSync(absolute);
    return [absolute, info.size, info.mtimeMs] as [string, number, number];
  });
  try {
    mkdirSync(cacheDir, { recursive: true });
    writeAtomically(output, code);
    writeAtomically(manifestFile, JSON.stringify({ entry: file, inputs } satisfies CacheManifest));
    return pathToFileURL(output).href;
  } catch {
    return `data:text/javascript;base64,${Buffer.from(code).toString('base64')}`;
  }
}

/** True when the cached compile of `file` exists and none of its inputs changed since. */
function isFresh(manifestFile: string, file: string): boolean {
  let manifest: CacheManifest;
  try {
    manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as CacheManifest;
  } catch {
    return false;
  }
  if (manifest.entry !== file) return false;
  return manifest.inputs.every(([input, size, mtimeMs]) => {
    try {
      const info = statSync(input);
      return info.size === size && info.mtimeMs === mtimeMs;
    } catch {
      return false;
    }
  });
}

/** Temp file, then rename: a concurrent run reads the old compile or the new one, never half of one. */
function writeAtomically(target: string, text: string): void {
  const temporary = `${target}.tmp-${process.pid}`;
  writeFileSync(temporary, text);
  renameSync(temporary, target);
}

const LOADERS = { '.ts': 'ts', '.mts': 'ts', '.cts': 'ts', '.tsx': 'tsx', '.js': 'js', '.mjs': 'js', '.cjs': 'js', '.jsx': 'jsx' } as const;

/**
 * `import.meta.url`, `.dirname` and `.filename` of each source file: esbuild's define turns them
 * into identifiers, and each file declares those identifiers with its own values. esbuild binds a
 * file's identifiers to its own declarations (renaming them apart in the bundle) and parses as it
 * goes, so the same words inside a string or a comment stay as they are.
 */
const IMPORT_META = { url: '__shipshape_import_meta_url', dirname: '__shipshape_import_meta_dirname', filename: '__shipshape_import_meta_filename' };
const IMPORT_META_DEFINE = Object.fromEntries(Object.entries(IMPORT_META).map(([name, identifier]) => [`import.meta.${name}`, identifier]));

/** Per source file: on which line (1-based) text was put in front, and how long it is. */
type InsertedText = Map<string, { line: number; length: number }>;

/**
 * `source` with its import.meta declarations in front, on its first line (after a #! line), so
 * line numbers stay; `inserted` records the shift, for the columns of compile errors.
 */
function withImportMeta(source: string, file: string, inserted: InsertedText): string {
  const values = { url: pathToFileURL(file).href, dirname: path.dirname(file), filename: file };
  const declarations = `var ${Object.entries(IMPORT_META)
    .map(([name, identifier]) => `${identifier} = ${JSON.stringify(values[name as keyof typeof values])}`)
    .join(', ')};`;
  const shebang = source.startsWith('#!');
  const start = shebang ? source.indexOf('\n') + 1 || source.length : 0;
  inserted.set(file, { line: shebang ? 2 : 1, length: Buffer.byteLength(declarations) }); // esbuild counts columns in bytes
  return `${source.slice(0, start)}${declarations}${source.slice(start)}`;
}

function userModulePlugin(entries: ShipshapeEntries, inserted: InsertedText): Plugin {
  return {
    name: 'shipshape-user-module',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData === 'resolving') return undefined;
        if (args.path === 'shipshape' || args.path === 'shipshape/lab') return { path: entries[args.path], external: true };
        if (isBuiltin(args.path)) return { path: args.path, external: true };
        const resolved = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: 'resolving' });
        if (resolved.errors.length > 0) return { errors: resolved.errors };
        return { path: pathToFileURL(resolved.path).href, external: true };
      });
      // Every source file must get its import.meta declarations (define refers to them), whatever
      // the case of its extension (esbuild's filters take no flags).
      build.onLoad({ filter: /\.[cCmM]?[jJtT][sS][xX]?$/ }, (args) => {
        return {
          contents: withImportMeta(readFileSync(args.path, 'utf8'), args.path, inserted),
          loader: LOADERS[path.extname(args.path).toLowerCase() as keyof typeof LOADERS] ?? 'ts',
        };
      });
    },
  };
}

/** The directory of the running build (dist/<stamp>/) when shipshape runs bundled, else undefined. */
export function runningBuildDir(moduleUrl: string): string | undefined {
  if (!moduleUrl.startsWith('file:') || moduleUrl.endsWith('.ts')) return undefined;
  return path.dirname(fileURLToPath(moduleUrl));
}
