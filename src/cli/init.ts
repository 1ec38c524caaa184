/**
 * `shipshape init [DIR]`: a new project from the scaffold shipped with the package (scaffold/):
 * a playbook with a small role, an inventory in TypeScript and in YAML, a template, a test on
 * `shipshape/testing`, tsconfig.json, and package.json scripts. Existing files are left alone and
 * named (nothing is written then) unless --force; an existing package.json is merged into, never
 * replaced: only what it lacks is added.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { ConfigError } from '../errors.ts';
import { PROJECT_ROOT } from '../lab/paths.ts';

/** npm leaves `.gitignore` out of packages, so the scaffold ships it without the dot. */
const RENAMED: Record<string, string> = { gitignore: '.gitignore' };

const SCRIPTS = {
  plan: 'shipshape plan playbooks/site.ts -i inventory/hosts.ts',
  apply: 'shipshape apply playbooks/site.ts -i inventory/hosts.ts',
  test: 'vitest run',
};

/** What the scaffold's type check and test need (the versions shipshape itself is built and tested with). */
function devDependencies(): Record<string, string> {
  const own = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { devDependencies?: Record<string, string> };
  const pick = (name: string, fallback: string) => own.devDependencies?.[name] ?? fallback;
  return { typescript: pick('typescript', '5.9.3'), '@types/node': pick('@types/node', '20.19.43'), vitest: pick('vitest', '4.1.12') };
}

function scaffoldFiles(root: string, under = ''): string[] {
  return readdirSync(path.join(root, under), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(under, entry.name);
    return entry.isDirectory() ? scaffoldFiles(root, relative) : [relative];
  });
}

export interface InitResult {
  written: string[];
  packageJson: 'created' | 'merged' | 'unchanged';
}

export function initProject(dir: string, options: { force?: boolean } = {}): InitResult {
  const scaffold = path.join(PROJECT_ROOT, 'scaffold');
  const files = scaffoldFiles(scaffold).map((from) => ({ from, to: RENAMED[from] ?? from }));
  const existing = files.filter(({ to }) => existsSync(path.join(dir, to))).map(({ to }) => to);
  const packageFile = path.join(dir, 'package.json');
  const pkg = existsSync(packageFile) ? (JSON.parse(readFileSync(packageFile, 'utf8')) as Record<string, any>) : undefined;
  const clashingScripts = Object.entries(SCRIPTS)
    .filter(([name, command]) => pkg?.scripts?.[name] !== undefined && pkg.scripts[name] !== command && !/no test specified/.test(pkg.scripts[name]))
    .map(([name]) => `package.json scripts.${name}`);
  const clashes = [...existing, ...clashingScripts];
  if (clashes.length > 0 && !options.force) {
    throw new ConfigError(`${dir}: would overwrite ${clashes.join(', ')} (nothing was written; --force overwrites)`, { file: dir });
  }

  mkdirSync(dir, { recursive: true });
  for (const { from, to } of files) {
    mkdirSync(path.dirname(path.join(dir, to)), { recursive: true });
    copyFileSync(path.join(scaffold, from), path.join(dir, to));
  }

  const before = pkg === undefined ? undefined : JSON.stringify(pkg);
  const merged: Record<string, any> = pkg ?? { name: path.basename(path.resolve(dir)), private: true };
  // Playbooks are ES modules: tsc checks their imports as such only in a "type": "module" package.
  merged.type ??= 'module';
  merged.scripts = { ...merged.scripts, ...SCRIPTS };
  merged.devDependencies = { ...devDependencies(), ...merged.devDependencies };
  if (!merged.dependencies?.shipshape) merged.dependencies = { ...merged.dependencies, shipshape: `^${ownVersion()}` };
  const after = JSON.stringify(merged);
  if (after !== before) writeFileSync(packageFile, `${JSON.stringify(merged, null, 2)}\n`);
  return { written: files.map(({ to }) => to), packageJson: pkg === undefined ? 'created' : after === before ? 'unchanged' : 'merged' };
}

function ownVersion(): string {
  return (JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

export function registerInitCommand(program: Command, run: (code: Promise<number>) => Promise<void>): void {
  program
    .command('init [dir]')
    .description('scaffold a project: a playbook, an inventory, a template, a test, tsconfig.json and package.json scripts')
    .option('--force', 'overwrite files that exist')
    .action((dir: string | undefined, options: { force?: boolean }) =>
      run(
        (async () => {
          const target = dir ?? '.';
          const result = initProject(target, options);
          for (const file of result.written) process.stdout.write(`wrote ${path.join(target, file)}\n`);
          process.stdout.write(`package.json: ${result.packageJson}\n`);
          process.stdout.write(`\nnext: npm install, then npx tsc --noEmit, npm run plan, npm test\n`);
          return 0;
        })(),
      ),
    );
}
