/**
 * Unit-level pieces of issue 5: the JSON spelling of a secret is masked too, and the run lock's
 * holder script (run with a local bash on a temporary lock file) excludes a second holder, names
 * the first, and lets go when its input ends, as it does when the SSH connection closes.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mask } from '../../src/secrets/mask.ts';
import { Secret } from '../../src/secrets/secret.ts';
import { lockCommand, lockScript, ownerLine } from '../../src/transport/run-lock.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'shipshape-lock-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('mask', () => {
  it('masks a secret in its raw and its JSON-escaped spelling', () => {
    const value = 'pa"ss\\word-unit-1';
    new Secret(value, 'test');
    expect(mask(`raw ${value}`)).toBe('raw ********');
    expect(mask(JSON.stringify({ after: `x=${value}` }))).toBe('{"after":"x=********"}');
  });
});

function holder(file: string, timeoutS: number, owner: string) {
  const child = spawn('bash', ['-c', lockScript(timeoutS, owner, file)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const line = (prefix: string) =>
    new Promise<string>((resolve) => {
      const check = () => {
        const found = out.split('\n').find((l) => l.startsWith(prefix));
        if (found !== undefined) resolve(found);
        else child.stdout.once('data', check);
      };
      check();
    });
  const exit = new Promise<number | null>((resolve) => child.on('close', resolve));
  return { child, line, exit };
}

describe('run lock holder script', () => {
  it('excludes a second run, which names the holder and exits 75; the lock goes when the input ends', async () => {
    const file = path.join(dir, 'shipshape.lock');
    const first = holder(file, 1, 'pid 1 on ctl-a');
    await first.line('SHIPSHAPE-LOCK-TAKEN');
    expect(readFileSync(file, 'utf8')).toBe('pid 1 on ctl-a\n');

    const second = holder(file, 1, 'pid 2 on ctl-b');
    expect(await second.line('SHIPSHAPE-LOCK-WAIT')).toBe('SHIPSHAPE-LOCK-WAIT pid 1 on ctl-a');
    expect(await second.line('SHIPSHAPE-LOCK-HELD')).toBe('SHIPSHAPE-LOCK-HELD pid 1 on ctl-a');
    expect(await second.exit).toBe(75);

    first.child.stdin.end(); // what sshd does when the connection closes
    expect(await first.exit).toBe(0);
    const third = holder(file, 1, 'pid 3 on ctl-c');
    await third.line('SHIPSHAPE-LOCK-TAKEN');
    third.child.stdin.end();
    expect(await third.exit).toBe(0);
  });

  it('runs through sudo only when the host becomes root, and names who holds it', () => {
    expect(lockCommand({ become: true, user: 'deploy' }, 'S')).toBe("sudo -n -- bash -c S");
    expect(lockCommand({ become: false, user: 'deploy' }, 'S')).toBe('bash -c S');
    expect(lockCommand({ become: true, user: 'root' }, 'S')).toBe('bash -c S');
    expect(ownerLine('playbook site.ts', new Date('2025-01-02T03:04:05Z'))).toMatch(
      new RegExp(`^pid ${process.pid} on .+ \\(user .+\\), since 2025-01-02T03:04:05.000Z, playbook site.ts$`),
    );
  });
});
