import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionError, TaskError, TimeoutError } from '../../src/errors.ts';
import { launchCommand, newNonce } from '../../src/transport/framing.ts';
import { openLocalSession } from '../../src/transport/local.ts';
import { ShellSession } from '../../src/transport/session.ts';

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
/** Prints `size` random bytes on stdout and their sha256 on stderr. */
const randomOutput = (size: number): string =>
  `f=$(mktemp); head -c ${size} /dev/urandom >"$f"; cat "$f"; sha256sum "$f" | cut -c1-64 >&2; rm -f "$f"`;

describe('ShellSession against a local bash', () => {
  let session: ShellSession;
  beforeAll(async () => {
    ({ session } = await openLocalSession({ killGraceMs: 300 }));
  });
  afterAll(async () => {
    await session.close();
  });

  it('separates stdout and stderr and captures the exit status', async () => {
    const result = await session.exec('echo out; echo err >&2; exit 1');
    expect(result).toMatchObject({ stdout: 'out\n', stderr: 'err\n', exitCode: 1 });
    expect((await session.exec('true')).exitCode).toBe(0);
    expect((await session.exec('exit 255')).exitCode).toBe(255);
  });

  it('keeps exit, cd, variables and shell options inside the command', async () => {
    const before = await session.exec('pwd');
    const exited = await session.exec('cd /; X=leaked; set -e; shopt -s nullglob; exit 3');
    expect(exited.exitCode).toBe(3);
    const after = await session.exec('pwd; echo "${X-unset}"; shopt -q nullglob && echo on || echo off');
    expect(after.stdout).toBe(`${before.stdout}unset\noff\n`);
  });

  it('returns output without a trailing newline as it is, on both streams', async () => {
    const result = await session.exec("printf abc; printf 'no newline' >&2");
    expect(result.stdout).toBe('abc');
    expect(result.stderr).toBe('no newline');
  });

  it('returns stderr-only output with empty stdout', async () => {
    const result = await session.exec('echo only-err >&2; exit 7');
    expect(result).toMatchObject({ stdout: '', stderr: 'only-err\n', exitCode: 7 });
  });

  it('is not confused by output that looks like the framing', async () => {
    const fake = `${newNonce()}E0\n${newNonce()}E1 0\n${newNonce()}E999 0\n${newNonce()}S123\n${newNonce()}S2 123\nIFS= read -r -d '' __ss_c <<'EOF'\n`;
    const result = await session.exec(`cat <<'EOF_X'\n${fake}EOF_X\ncat <<'EOF_X' >&2\n${fake}EOF_X\nexit 4`);
    expect(result.stdout).toBe(fake);
    expect(result.stderr).toBe(fake);
    expect(result.exitCode).toBe(4);
  });

  it('passes command text with quotes, heredocs and backslashes through unchanged', async () => {
    const text = `it's "quoted" \\ $HOME \`x\` EOF\n'EOF'\n`;
    const result = await session.exec(`cat <<'END'\n${text}END`);
    expect(result.stdout).toBe(text);
  });

  it('returns NUL bytes and arbitrary binary output byte for byte', async () => {
    const nuls = await session.exec("printf 'a\\0b\\0\\0'");
    expect(nuls.stdoutBytes.equals(Buffer.from('a\0b\0\0', 'latin1'))).toBe(true);
    const random = await session.exec(randomOutput(200_000));
    expect(random.stdoutBytes.length).toBe(200000);
    expect(random.stderr.trim()).toBe(sha256(random.stdoutBytes));
  });

  it('handles 5 MB of output', async () => {
    const result = await session.exec(randomOutput(5_000_000));
    expect(result.stdoutBytes.length).toBe(5_000_000);
    expect(result.stderr.trim()).toBe(sha256(result.stdoutBytes));
    expect((await session.exec('echo next')).stdout).toBe('next\n');
  });

  it('gives the command /dev/null as stdin, not the session stream', async () => {
    const result = await session.exec('cat; read -r line; echo "[$line] $?"');
    expect(result.stdout).toBe('[] 1\n');
    expect((await session.exec('echo alive')).stdout).toBe('alive\n');
  });

  it('delivers stdin bytes exactly, binary-safe', async () => {
    const data = Buffer.concat([Buffer.from([0, 0, 10, 13, 255, 0]), randomBytes(300_000), Buffer.from('\nEOF\n')]);
    const result = await session.exec('cat', { stdin: data });
    expect(result.stdoutBytes.equals(data)).toBe(true);
    const text = await session.exec('wc -c; echo after', { stdin: 'héllo' });
    expect(text.stdout).toBe(`${Buffer.byteLength('héllo')}\nafter\n`);
  });

  it('consumes all of stdin even when the command does not read it', async () => {
    const result = await session.exec('true', { stdin: randomBytes(100_000) });
    expect(result.exitCode).toBe(0);
    expect(await session.exec('echo ok')).toMatchObject({ stdout: 'ok\n', stderr: '' });
  });

  it('keeps a secret passed on stdin out of every process argv', async () => {
    const secret = `s3cret-${randomBytes(8).toString('hex')}`;
    // ps runs while the command (and anything feeding its stdin) is alive.
    const result = await session.exec('ps -eo args; cat >/dev/null', { stdin: `${secret}\n` });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('ps -eo args');
    expect(result.stdout).not.toContain(secret);
    expect(result.stdout).not.toContain(Buffer.from(`${secret}\n`).toString('base64').slice(0, 16));
  });

  it('survives a syntax error and closed output streams in a command', async () => {
    const syntax = await session.exec('if then fi');
    expect(syntax.exitCode).toBe(2);
    expect(syntax.stderr).toMatch(/syntax error/);
    const closed = await session.exec('exec >&- 2>&-; exit 5');
    expect(closed).toMatchObject({ stdout: '', stderr: '', exitCode: 5 });
  });

  it('runs 500 sequential commands, each getting its own output', async () => {
    for (let i = 0; i < 500; i++) {
      const result = await session.exec(`echo ${i}; echo e${i} >&2`);
      if (result.stdout !== `${i}\n` || result.stderr !== `e${i}\n`) throw new Error(`command ${i}: ${JSON.stringify(result)}`);
    }
  });

  it('runs commands queued concurrently in order, each with its own result', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => session.exec(`echo ${i}; echo ${i} >&2; exit ${i % 3}`)),
    );
    results.forEach((result, i) => expect(result).toMatchObject({ stdout: `${i}\n`, stderr: `${i}\n`, exitCode: i % 3 }));
  });

  it('kills a command (and its background children) on timeout and stays usable', async () => {
    const tag = 900 + Math.floor(Math.random() * 99);
    await expect(session.exec(`sleep ${tag}.1 & sleep ${tag}.2; wait`, { timeoutMs: 200 })).rejects.toBeInstanceOf(TimeoutError);
    const left = await session.exec(`pgrep -f 'sleep ${tag}' || echo none`);
    expect(left.stdout).toBe('none\n');
    expect((await session.exec('echo usable')).stdout).toBe('usable\n');
  });

  it('escalates to SIGKILL when the command ignores SIGTERM', async () => {
    await expect(session.exec("trap '' TERM; sleep 977.5; exit 0", { timeoutMs: 200 })).rejects.toThrow(/timed out/);
    expect((await session.exec("pgrep -f 'sleep 977.5' || echo none")).stdout).toBe('none\n');
  });
});

describe('ShellSession protocol secrecy and sequence', () => {
  it('keeps the nonce out of every argv, even of a parent that outlives the launch (like sudo)', async () => {
    // sudo stays the session's parent with the launch command in its argv for the whole session.
    const nonce = newNonce();
    const child = spawn('/bin/sh', ['-c', '"$@"; exit $?', 'fake-sudo', '/bin/sh', '-c', launchCommand()], { stdio: 'pipe' });
    const session = new ShellSession(
      { stdin: child.stdin, stdout: child.stdout, stderr: child.stderr },
      { host: 'db-1', label: 'root via sudo', nonce, destroy: () => child.kill('SIGKILL') },
    );
    await session.start();
    const ps = await session.exec('ps -eo args');
    expect(ps.stdout).toContain('fake-sudo');
    expect(ps.stdout).not.toContain(nonce);
    await session.close();
  });

  it('fails the session loudly, shifting no result, when output carries a marker that is out of step', async () => {
    const { session, nonce } = await openLocalSession({ host: 'web-3' });
    expect((await session.exec('echo 1')).stdout).toBe('1\n');
    // Command #2 prints what only a holder of the nonce could: an end marker for #1, then for #5.
    const forged = `before\n${nonce}E1 0\nafter\n${nonce}E5 0\n`;
    const cat = session.exec('cat', { stdin: forged });
    const next = session.exec('echo next');
    await expect(cat).rejects.toThrow(/host web-3: the local shell's stdout is out of step: expected the markers of command #2/);
    await expect(cat).rejects.toBeInstanceOf(ConnectionError);
    await expect(next).rejects.toBeInstanceOf(ConnectionError);
    expect(session.broken).toBe(true);
  });

  it('checks the sequence of the markers on stderr too', async () => {
    const { session, nonce } = await openLocalSession({ host: 'web-4' });
    const cat = session.exec('cat >&2; echo out', { stdin: `${nonce}E7\n` });
    await expect(cat).rejects.toThrow(/host web-4: the local shell's stderr is out of step/);
  });
});

describe('ShellSession output limit', () => {
  let session: ShellSession;
  beforeAll(async () => {
    ({ session } = await openLocalSession({ host: 'web-5', maxOutputBytes: 64 * 1024 }));
  });
  afterAll(async () => {
    await session.close();
  });

  it('returns output up to the limit', async () => {
    const result = await session.exec('head -c 65536 /dev/zero');
    expect(result.stdoutBytes.length).toBe(65536);
  });

  it('fails one command past the limit with a TaskError naming the limit and the command; the session runs on', async () => {
    const big = session.exec('head -c 3000000 /dev/urandom; echo tail');
    const next = session.exec('echo next; echo warn >&2');
    const error = await big.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskError);
    expect(error).not.toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toMatch(
      /^host web-5: command output exceeded the limit of 64 KiB per stream \(3000005 bytes on stdout\); the output was dropped: head -c 3000000/,
    );
    expect(await next).toMatchObject({ stdout: 'next\n', stderr: 'warn\n', exitCode: 0 });
    expect(session.broken).toBe(false);
  });

  it('applies the limit to stderr as well', async () => {
    const error = await session.exec('head -c 200000 /dev/zero >&2; echo out').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskError);
    expect((error as Error).message).toMatch(/\(200000 bytes on stderr\)/);
    expect((await session.exec('echo still')).stdout).toBe('still\n');
  });
});

describe('ShellSession failure modes', () => {
  it('marks the session broken on timeout when the command cannot be killed', async () => {
    const { session } = await openLocalSession({ kill: false });
    await expect(session.exec('sleep 60', { timeoutMs: 150 })).rejects.toBeInstanceOf(TimeoutError);
    expect(session.broken).toBe(true);
    await expect(session.exec('echo x')).rejects.toBeInstanceOf(ConnectionError);
  });

  it('fails the running and queued commands with ConnectionError when the shell dies', async () => {
    const { session } = await openLocalSession({ host: 'web-9' });
    const running = session.exec('kill -9 $$; sleep 5'); // $$ is the session's bash
    const queued = session.exec('echo never');
    await expect(running).rejects.toBeInstanceOf(ConnectionError);
    await expect(queued).rejects.toThrow(/host web-9: connection lost/);
    await expect(session.exec('true')).rejects.toBeInstanceOf(ConnectionError);
  });
});

describe('ShellSession start with a password prompt (sudo -S -p)', () => {
  const prompt = '[shipshape-sudo-prompt]';
  function launch(gate: string): ShellSession {
    const nonce = newNonce();
    const child = spawn('/bin/sh', ['-c', `${gate}\nexec ${launchCommand()}`], { stdio: 'pipe' });
    return new ShellSession(
      { stdin: child.stdin, stdout: child.stdout, stderr: child.stderr },
      { host: 'db-1', label: 'root via sudo', nonce, destroy: () => child.kill('SIGKILL') },
    );
  }
  const askOnce = `printf '%s' '${prompt}' >&2; IFS= read -r pw; [ "$pw" = hunter22 ] || { printf '%s' '${prompt}' >&2; read -r pw; exit 1; }`;

  it('answers the prompt, then runs commands', async () => {
    const session = launch(askOnce);
    await session.start({ prompt, password: 'hunter22' });
    expect(await session.exec('echo in')).toMatchObject({ stdout: 'in\n', stderr: '', exitCode: 0 });
    await session.close();
  });

  it('fails clearly when the password is refused', async () => {
    const session = launch(askOnce);
    await expect(session.start({ prompt, password: 'wrong' })).rejects.toThrow(/host db-1: sudo refused the become password/);
  });

  it('never sends the password when no prompt comes (NOPASSWD)', async () => {
    const session = launch(':');
    await session.start({ prompt, password: 'hunter22' });
    // Had the password been written, bash would have run it: "hunter22: command not found".
    const result = await session.exec('echo first');
    expect(result).toMatchObject({ stdout: 'first\n', stderr: '' });
    await session.close();
  });

  it('reports what the shell printed when it exits before being ready', async () => {
    const session = launch("echo 'sudo: a password is required' >&2; exit 1");
    await expect(session.start({ prompt })).rejects.toThrow(
      /host db-1: the root via sudo shell ended before it was ready: sudo: a password is required/,
    );
  });
});
