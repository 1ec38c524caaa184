/**
 * shipshape as a new user meets it: `npm pack`, the tarball installed into an empty directory
 * outside this checkout with `npm install --offline`, and the installed bin run by Node alone (no
 * TypeScript loader, no src/). Nothing may be written into node_modules at run time. Then the
 * README's "In your own project": `npx shipshape init`, `npx tsc --noEmit` (which must catch a
 * misspelled module argument and a wrong value type, naming the playbook's line), and the
 * scaffold's `plan` against a host started through the installed `shipshape/testing`.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeOfflineProject } from './support/offline-install.ts';

const run = promisify(execFile);

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion and returns its exit code and output (never throws on a non-zero exit). */
async function sh(command: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(command, args, { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** Every file under `dir` with its mtime, to see that a run wrote nothing there. */
function snapshot(dir: string): Map<string, number> {
  const files = new Map<string, number>();
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const full = path.join(at, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.set(full, statSync(full).mtimeMs);
    }
  };
  walk(dir);
  return files;
}

const numbers: Record<string, string> = {};
let work: string;
let project: string;
let tarball: string;
/** The user's cache directory for this test alone (code cache, compiled playbooks, test key). */
let cache: string;
let env: Record<string, string>;

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'shipshape-package-'));
  project = path.join(work, 'my-infra');
  cache = path.join(work, 'cache');
  env = { XDG_CACHE_HOME: cache, npm_config_update_notifier: 'false' };
});

afterAll(() => {
  console.log(`[package] ${Object.entries(numbers).map(([k, v]) => `${k}: ${v}`).join(', ')}`);
  rmSync(work, { recursive: true, force: true });
});

describe('the npm package', () => {
  it('packs compiled JavaScript, types and the schema, without sources', async () => {
    const packed = await sh('npm', ['pack', '--json', '--pack-destination', work], process.cwd(), env);
    expect(packed.code, packed.stderr).toBe(0);
    const [info] = JSON.parse(packed.stdout) as Array<{ filename: string; size: number; files: Array<{ path: string }> }>;
    tarball = path.join(work, info.filename);
    numbers['tarball'] = `${(info.size / 1024 / 1024).toFixed(2)} MB`;
    const files = info.files.map((f) => f.path);
    for (const needed of [
      'bin/shipshape.js',
      'dist/package/shipshape.cjs',
      'dist/package/index.mjs',
      'dist/package/lab.mjs',
      'dist/package/testing.mjs',
      'dist/types/index.d.ts',
      'dist/types/lab/public.d.ts',
      'dist/types/testing/index.d.ts',
      'schema/inventory.schema.json',
    ]) {
      expect(files).toContain(needed);
    }
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/'))).toEqual([]);
  });

  it('installs offline into an empty directory, and its bin runs with nothing written into node_modules', async () => {
    mkdirSync(project);
    writeOfflineProject(project, tarball);
    const started = performance.now();
    const installed = await sh('npm', ['install', '--offline', '--no-audit', '--no-fund'], project, env);
    numbers['install'] = `${((performance.now() - started) / 1000).toFixed(1)} s`;
    expect(installed.code, installed.stderr).toBe(0);

    const before = snapshot(path.join(project, 'node_modules', 'shipshape'));
    const help = await sh('npx', ['shipshape', '--help'], project, env);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toContain('Usage: shipshape');
    writeFileSync(path.join(work, 'one.json'), JSON.stringify({ hosts: { 'web-01': { address: '127.0.0.1' } } }));
    const listed = await sh('npx', ['shipshape', 'inventory', '-i', path.join(work, 'one.json')], project, env);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain('web-01');
    expect(snapshot(path.join(project, 'node_modules', 'shipshape'))).toEqual(before);
    // The code cache went to the user's cache directory instead.
    expect(readdirSync(path.join(cache, 'shipshape')).length).toBeGreaterThan(0);
  });

  it('init scaffolds a project and refuses to overwrite it', async () => {
    const init = await sh('npx', ['shipshape', 'init'], project, env);
    expect(init.code, init.stderr).toBe(0);
    for (const file of ['playbooks/site.ts', 'playbooks/roles/base.ts', 'inventory/hosts.ts', 'inventory/hosts.example.yaml', 'templates/motd.ejs', 'test/site.test.ts', 'tsconfig.json', '.gitignore']) {
      expect(statSync(path.join(project, file)).isFile(), file).toBe(true);
    }
    const pkg = JSON.parse(readFileSync(path.join(project, 'package.json'), 'utf8'));
    expect(Object.keys(pkg.scripts)).toEqual(expect.arrayContaining(['plan', 'apply', 'test']));
    expect(pkg.dependencies.shipshape).toMatch(/^file:/); // merged into, not replaced
    expect(readFileSync(path.join(project, 'inventory/hosts.example.yaml'), 'utf8')).toContain('$schema=../node_modules/shipshape/schema/inventory.schema.json');
    // The YAML example is a valid inventory as it stands.
    const listed = await sh('npx', ['shipshape', 'inventory', '-i', 'inventory/hosts.example.yaml'], project, env);
    expect(listed.code, listed.stderr).toBe(0);

    writeFileSync(path.join(project, 'playbooks/site.ts'), '// mine\n');
    const again = await sh('npx', ['shipshape', 'init'], project, env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('would overwrite');
    expect(again.stderr).toContain('playbooks/site.ts');
    expect(readFileSync(path.join(project, 'playbooks/site.ts'), 'utf8')).toBe('// mine\n');
    const forced = await sh('npx', ['shipshape', 'init', '--force'], project, env);
    expect(forced.code, forced.stderr).toBe(0);
    expect(readFileSync(path.join(project, 'playbooks/site.ts'), 'utf8')).toContain('definePlaybook');
  });

  it('tsc passes on the scaffold, and fails naming the line of a misspelled argument and of a wrong value type', async () => {
    const clean = await sh('npx', ['tsc', '--noEmit'], project, env);
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);

    const site = path.join(project, 'playbooks/site.ts');
    const original = readFileSync(site, 'utf8');
    const line = original.split('\n').findIndex((l) => l.includes('file.directory(')) + 1;
    expect(line).toBeGreaterThan(0);
    try {
      writeFileSync(site, original.replace("owner: 'root'", "ownr: 'root'"));
      const typo = await sh('npx', ['tsc', '--noEmit'], project, env);
      expect(typo.code).not.toBe(0);
      expect(typo.stdout).toMatch(new RegExp(`playbooks/site\\.ts\\(${line},\\d+\\): error TS\\d+:.*'ownr'`));

      writeFileSync(site, original.replace("mode: '0755'", "mode: '0755', recurse: 'yes'"));
      const wrongType = await sh('npx', ['tsc', '--noEmit'], project, env);
      expect(wrongType.code).not.toBe(0);
      expect(wrongType.stdout).toMatch(new RegExp(`playbooks/site\\.ts\\(${line},\\d+\\): error TS2322: Type 'string' is not assignable to type 'boolean`));
    } finally {
      writeFileSync(site, original);
    }
  });

  it("plans the scaffold against a host started with the installed shipshape/testing: exit 2 on a fresh host, which it leaves alone", async () => {
    // A user's script, resolving `shipshape/testing` from the project as Node does.
    writeFileSync(
      path.join(project, 'plan-on-lab.mjs'),
      `import { spawnSync } from 'node:child_process';
import { startLab } from 'shipshape/testing';
const lab = await startLab(['web-01']);
try {
  const inventory = lab.writeInventory();
  const started = performance.now();
  const plan = spawnSync('npx', ['shipshape', 'plan', 'playbooks/site.ts', '-i', inventory], { encoding: 'utf8' });
  const ms = performance.now() - started;
  const host = await lab.host('web-01').shell('test -e /etc/motd && cat /etc/motd; test -e /opt/scripts && echo SCRIPTS; true');
  console.log(JSON.stringify({ code: plan.status, stdout: plan.stdout, stderr: plan.stderr, ms, host: host.stdout }));
} finally {
  await lab.stop();
}
`,
    );
    const before = snapshot(path.join(project, 'node_modules', 'shipshape'));
    const ran = await sh(process.execPath, ['plan-on-lab.mjs'], project, env);
    expect(ran.code, ran.stderr).toBe(0);
    const outcome = JSON.parse(ran.stdout.trim().split('\n').pop()!) as { code: number; stdout: string; stderr: string; ms: number; host: string };
    numbers['first plan'] = `${(outcome.ms / 1000).toFixed(1)} s`;
    expect(outcome.code, outcome.stdout + outcome.stderr).toBe(2);
    expect(outcome.stdout).toContain('/etc/motd');
    expect(outcome.stdout).toContain('/opt/scripts');
    // Checked on the host itself: planning changed nothing there.
    expect(outcome.host).not.toContain('managed by shipshape');
    expect(outcome.host).not.toContain('SCRIPTS');
    expect(snapshot(path.join(project, 'node_modules', 'shipshape'))).toEqual(before);
  });
});
