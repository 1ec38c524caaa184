import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compileUserModule, runningBuildDir, UserModuleCompileError, type ShipshapeEntries } from '../../src/util/compile-user-module.ts';

let dir: string;
let cacheDir: string;
let entries: ShipshapeEntries;

function write(relative: string, text: string): string {
  const file = path.join(dir, relative);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'shipshape-compile-'));
  cacheDir = path.join(dir, 'cache');
  // Stand-ins for the running build's entries.
  entries = {
    shipshape: pathToFileURL(write('build/index.mjs', 'export const whoAmI = "the running build";\n')).href,
    'shipshape/lab': pathToFileURL(write('build/lab.mjs', 'export const lab = "lab entry";\n')).href,
  };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('compileUserModule', () => {
  it('compiles a TypeScript entry with its local imports into one module that imports the running build', async () => {
    write('project/roles/base.ts', 'export const where: string = import.meta.url;\nexport const folder: string = import.meta.dirname;\n');
    const entry = write(
      'project/site.ts',
      "#!/usr/bin/env shipshape\nimport { whoAmI } from 'shipshape';\nimport { lab } from 'shipshape/lab';\nimport { where, folder } from './roles/base.ts';\n" +
        'interface Shape { a: number }\nconst shape: Shape = { a: 1 };\n' +
        "// import.meta.url in a comment\nconst words = 'import.meta.url stays words';\n" +
        'export default { whoAmI, lab, where, folder, shape, self: import.meta.filename, words };\n',
    );
    const url = await compileUserModule(entry, entries, cacheDir);
    expect(fileURLToPath(url).startsWith(cacheDir)).toBe(true);
    const code = readFileSync(fileURLToPath(url), 'utf8');
    expect(code).toContain(entries.shipshape);
    expect(code).not.toContain('interface Shape');
    const loaded = (await import(url)).default;
    expect(loaded).toEqual({
      whoAmI: 'the running build',
      lab: 'lab entry',
      // Each file keeps its own location, not the cache file's.
      where: pathToFileURL(path.join(dir, 'project/roles/base.ts')).href,
      folder: path.join(dir, 'project/roles'),
      shape: { a: 1 },
      self: entry,
      words: 'import.meta.url stays words',
    });
  });

  it('imports npm packages from where the user file is, by absolute path, without copying them in', async () => {
    write('project/node_modules/greeting/package.json', JSON.stringify({ name: 'greeting', type: 'module', exports: './main.js' }));
    write('project/node_modules/greeting/main.js', 'export const hello = "hi from the project";\n');
    const entry = write('project/site.ts', "import { hello } from 'greeting';\nimport { join } from 'node:path';\nexport default join('a', hello);\n");
    const url = await compileUserModule(entry, entries, cacheDir);
    const code = readFileSync(fileURLToPath(url), 'utf8');
    expect(code).toContain(pathToFileURL(path.join(dir, 'project/node_modules/greeting/main.js')).href);
    expect(code).not.toContain('hi from the project');
    expect((await import(url)).default).toBe('a/hi from the project');
  });

  it('reuses the cached compile until an input file changes', async () => {
    const helper = write('project/helper.ts', 'export const n = 1;\n');
    const entry = write('project/site.ts', "import { n } from './helper.ts';\nexport default n;\n");
    const first = await compileUserModule(entry, entries, cacheDir);
    const compiledAt = statSync(fileURLToPath(first)).mtimeMs;
    // An unchanged tree: not compiled again (the output file is untouched).
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await compileUserModule(entry, entries, cacheDir)).toBe(first);
    expect(statSync(fileURLToPath(first)).mtimeMs).toBe(compiledAt);
    // An edited import (same size, new mtime): compiled again, with the new content.
    writeFileSync(helper, 'export const n = 2;\n');
    utimesSync(helper, new Date(), new Date(Date.now() + 5000));
    await compileUserModule(entry, entries, cacheDir);
    expect(readFileSync(fileURLToPath(first), 'utf8')).toMatch(/n = 2/);
  });

  it('reports a syntax error with the file, line and column as the user sees them', async () => {
    const entry = write('project/site.ts', "export default {\n  tasks: [ call('x' ) ]]\n};\n");
    const error = await compileUserModule(entry, entries, cacheDir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserModuleCompileError);
    // Outside the working directory: the absolute path.
    expect((error as UserModuleCompileError).message).toMatch(new RegExp(`^${entry.replace(/[.]/g, '\\.')}:2:\\d+: ERROR: `));
  });

  it('reports columns on the first line as in the user file (before the import.meta declarations)', async () => {
    for (const [text, line] of [['export default ];\n', 1], ['#!/usr/bin/env shipshape\nexport default ];\n', 2]] as const) {
      const entry = write('project/first-line.ts', text);
      const error = (await compileUserModule(entry, entries, cacheDir).catch((e: unknown) => e)) as UserModuleCompileError;
      expect(error.errors[0].location).toMatchObject({ line, column: 15 });
    }
  });

  it('gives a local file with an upper-case extension its own import.meta too', async () => {
    write('project/Helper.TS', 'export const where: string = import.meta.url;\n');
    const entry = write('project/upper.ts', "import { where } from './Helper.TS';\nexport default where;\n");
    const url = await compileUserModule(entry, entries, cacheDir);
    expect((await import(url)).default).toBe(pathToFileURL(path.join(dir, 'project/Helper.TS')).href);
  });

  it('names an import that cannot be resolved', async () => {
    const entry = write('project/site.ts', "import { x } from './missing.ts';\nexport default x;\n");
    const error = (await compileUserModule(entry, entries, cacheDir).catch((e: unknown) => e)) as UserModuleCompileError;
    expect(error.errors[0]).toMatchObject({ text: 'Could not resolve "./missing.ts"', location: { line: 1 } });
  });
});

describe('runningBuildDir', () => {
  it('is the directory of a bundled build, and undefined when running from TypeScript source', () => {
    expect(runningBuildDir('file:///opt/shipshape/dist/abc/chunk-X.js')).toBe('/opt/shipshape/dist/abc');
    expect(runningBuildDir('file:///opt/shipshape/src/util/user-module.ts')).toBeUndefined();
  });
});
