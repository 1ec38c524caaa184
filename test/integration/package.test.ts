/**
 * shipshape as a new user meets it: `npm pack`, the tarball installed into an empty directory
 * outside this checkout with `npm install --offline`, and the installed bin run by Node alone (no
 * TypeScript loader, no src/). Nothing may be written into node_modules at run time.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
});
