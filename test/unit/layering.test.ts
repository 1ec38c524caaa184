/**
 * The layers of src/ (README, Development): an import only ever points down or sideways within its
 * own layer. Every relative import of every file under src/ is read with TypeScript's own
 * pre-processor (static, type-only, re-exports and dynamic `import()` alike).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');

/** Bottom to top. A name is a folder of src/ or a file directly in it (without `.ts`). */
const LAYERS: string[][] = [
  ['util', 'errors', 'error-info'],
  ['secrets'],
  ['inventory'],
  ['transport'],
  ['facts'],
  ['task'],
  ['template'],
  ['modules'],
  ['playbook'],
  ['engine'],
  ['report'],
  ['lab'],
  ['cli'],
  ['testing'],
  ['index', 'bundle'],
];

const rank = new Map(LAYERS.flatMap((names, level) => names.map((name) => [name, level] as const)));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** The top-level name under src/ that a path belongs to: `modules` for src/modules/apt/plan.ts. */
function area(file: string): string {
  const [first, ...rest] = path.relative(SRC, file).split(path.sep);
  return rest.length === 0 ? first.replace(/\.ts$/, '') : first;
}

interface Import {
  file: string;
  specifier: string;
  from: string;
  to: string;
}

function relativeImports(): Import[] {
  return sourceFiles(SRC).flatMap((file) => {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    return importedFiles
      .map((imported) => imported.fileName)
      .filter((specifier) => specifier.startsWith('.'))
      .map((specifier) => ({ file: path.relative(SRC, file), specifier, from: area(file), to: area(path.resolve(path.dirname(file), specifier)) }));
  });
}

describe('layering of src/', () => {
  const imports = relativeImports();

  it('reads the imports of every file', () => {
    // A parser that read nothing would pass the next test vacuously.
    expect(imports.length).toBeGreaterThan(500);
    expect(imports.some((i) => i.file === path.join('engine', 'run.ts') && i.to === 'task')).toBe(true);
  });

  it('places every folder and top-level file of src/ in a layer', () => {
    const unplaced = [...new Set(sourceFiles(SRC).map(area))].filter((name) => !rank.has(name));
    expect(unplaced, 'add each to LAYERS in this test and to the diagram in README (Development)').toEqual([]);
  });

  it('has no import that points up a layer', () => {
    const upward = imports
      .filter((i) => (rank.get(i.to) ?? -1) > (rank.get(i.from) ?? Infinity))
      .map((i) => `src/${i.file} imports '${i.specifier}' (${i.from} must not depend on ${i.to}, a layer above it)`);
    expect(upward).toEqual([]);
  });
});
