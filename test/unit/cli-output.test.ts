/**
 * The CLI's output reaches a slow reader whole, and a reader that goes away early costs no stack
 * trace: the bin exits as soon as a command is done, so it must first wait for a pipe to take
 * everything (a 256 KiB JSON line was once cut at 219264 bytes, the most a pipe took at once).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const CLI = path.resolve('bin/shipshape.js');
const dir = mkdtempSync(path.join(tmpdir(), 'shipshape-cli-output-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const big = 'y'.repeat(1 << 20);
const inventory = path.join(dir, 'inventory.json');
writeFileSync(inventory, JSON.stringify({ hosts: { web: { address: '127.0.0.1', vars: { big } } } }));

function runCli(args: string[], reader: (child: ReturnType<typeof spawn>) => void) {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  reader(child);
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
}

describe('-v', () => {
  it("stack traces name shipshape's source files, not the bundle", async () => {
    const result = await runCli(['apply', path.join(dir, 'missing.ts'), '-i', inventory, '-v'], () => {});
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('playbook file not found');
    expect(result.stderr).toMatch(/at loadPlaybook \(.*src\/playbook\/load\.ts:\d+:\d+\)/);
  });
});

describe('CLI output through a pipe', () => {
  it('a slow reader gets all of a 1 MiB output', async () => {
    const result = await runCli(['inventory', '-i', inventory, '--json'], (child) => {
      // Read nothing for a while: the CLI is done long before the pipe is drained.
      child.stdout!.pause();
      setTimeout(() => child.stdout!.resume(), 1500);
    });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).hosts.web.vars.big).toBe(big);
  });

  it("a reader that closes early: no stack trace, the exit code is the command's own", async () => {
    const result = await runCli(['inventory', '-i', inventory, '--json'], (child) => {
      child.stdout!.once('data', () => child.stdout!.destroy());
    });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
  });
});
