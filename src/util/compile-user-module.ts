/**
 * Compiles a user's playbook or TypeScript inventory, with the local files it imports, into one
 * ES module with esbuild, and caches the result beside shipshape's own build. Loading it then costs
 * one import of plain JavaScript: no loader hooks thread, no per-file transform (tsx's hooks cost
 * about 0.3 s of every run), and a cached compile is reused until one of its input files changes.
 *
 * What stays outside the compiled file, imported at run time:
 * - `shipshape` and `shipshape/lab`: the very build that is running (one instance of every module,
 *   whichever copy of shipshape a project has installed);
 * - npm packages, by the absolute path esbuild resolves from the importing file (so they load from
 *   the user's project, as Node would, and are never copied);
 * - Node's built-in modules.
 * `import.meta.url`, `.dirname` and `.filename` are replaced by each source file's own values, so a
 * playbook can still find files next to itself.
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

  constructor(messages: Message[], workingDir: string) {
    const errors = messages.map((m) => ({
      text: m.text,
      location: m.location ? { file: displayPath(path.resolve(workingDir, m.location.file)), line: m.location.line, column: m.location.column } : undefined,
    }));
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
      plugins: [userModulePlugin(entries)],
    });
  } catch (error) {
    const messages = (error as { errors?: Message[] }).errors;
    if (Array.isArray(messages) && messages.length > 0) throw new UserModuleCompileError(messages, workingDir);
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
const IMPORT_META = /\bimport\.meta\.(url|dirname|filename)\b/g;

function userModulePlugin(entries: ShipshapeEntries): Plugin {
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
      build.onLoad({ filter: /\.[cm]?[jt]sx?$/ }, (args) => {
        const source = readFileSync(args.path, 'utf8');
        const url = pathToFileURL(args.path).href;
        const values = { url, filename: args.path, dirname: path.dirname(args.path) };
        return {
          contents: source.replace(IMPORT_META, (_match, name: keyof typeof values) => JSON.stringify(values[name])),
          loader: LOADERS[path.extname(args.path) as keyof typeof LOADERS] ?? 'ts',
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
