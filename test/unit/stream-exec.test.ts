import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConnectionError } from '../../src/errors.ts';
import { runStreamed, streamWrapper, type StreamChannel } from '../../src/transport/stream-exec.ts';

const PROMPT = '[test sudo]';
/** A stand-in for `sudo -S -p PROMPT -- <wrapped>` behind a login banner, on a local process. */
function channel(gate: string, command: string, withStdin = true): StreamChannel {
  const child = spawn('/bin/sh', ['-c', `echo login-banner; ${gate}\nexec ${streamWrapper(command, { withStdin })}`], { stdio: 'pipe' });
  const closed = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  // Like an SSH channel's close: the far side loses its pipes (a writer gets SIGPIPE) and its process.
  const close = (): void => {
    child.stdout.destroy();
    child.stdin.destroy();
    child.kill('SIGKILL');
  };
  return { stdin: child.stdin, stdout: child.stdout, stderr: child.stderr, closed, close };
}
const askOnce = `printf '%s' '${PROMPT}' >&2; IFS= read -r pw; [ "$pw" = hunter22 ] || { printf '%s' '${PROMPT}' >&2; read -r pw; exit 1; }`;

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('runStreamed', () => {
  it('answers the password prompt, drops the banner, then pipes stdin byte for byte', async () => {
    const data = randomBytes(3_000_000);
    const run = runStreamed(channel(askOnce, 'cat; echo err >&2'), { host: 'db-1', command: 'cat', prompt: PROMPT, password: 'hunter22', stdin: Readable.from([data]) });
    const [out, end] = await Promise.all([collect(run.stdout), run.done]);
    expect(out.equals(data)).toBe(true);
    expect(end).toEqual({ exitCode: 0, stderr: 'err\n' });
  });

  it('never sends stdin before the command is ready, nor the password without a prompt', async () => {
    const run = runStreamed(channel(':', 'cat'), { host: 'db-1', command: 'cat', prompt: PROMPT, password: 'hunter22', stdin: Readable.from([Buffer.from('data\n')]) });
    const [out, end] = await Promise.all([collect(run.stdout), run.done]);
    expect(out.toString()).toBe('data\n');
    expect(end.exitCode).toBe(0);
  });

  it('fails clearly when sudo refuses the password', async () => {
    const run = runStreamed(channel(askOnce, 'cat'), { host: 'db-1', command: 'cat', prompt: PROMPT, password: 'wrong', stdin: Readable.from([Buffer.from('secret data\n')]) });
    run.stdout.resume();
    const error = await run.done.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toMatch(/^host db-1: cat: sudo refused the become password/);
  });

  it('reports what was printed when the command never starts', async () => {
    const run = runStreamed(channel("echo 'sudo: a password is required' >&2; exit 1", 'cat', false), { host: 'db-1', command: 'cat' });
    run.stdout.resume();
    await expect(run.done).rejects.toThrow(/host db-1: cat: the command ended before it started: sudo: a password is required/);
  });

  it('stops the command when the reader gives up', async () => {
    const run = runStreamed(channel(':', 'yes', false), { host: 'db-1', command: 'yes' });
    for await (const _chunk of run.stdout) break; // destroys the stream
    // Stopped, whichever arrives first: the kill (-1) or the broken pipe (yes exits 1). Left
    // running, `yes` would block on its full pipe and `done` would never settle.
    expect((await run.done).exitCode).not.toBe(0);
  });
});
