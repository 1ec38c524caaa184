/**
 * Local commands the lab runs on the controller (docker, debootstrap, apt-get, ssh-keygen).
 * Arguments go as an argv array, never through a shell, so nothing needs quoting.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { CommandError, ConfigError } from '../errors.ts';

export interface LocalResult {
  command: string;
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface LocalRunOptions {
  /** Text or bytes written to the command's stdin. */
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  /** Return the result instead of throwing when the exit code is not 0. */
  allowFailure?: boolean;
}

/** Runs a local command to completion and collects its output. */
export function runLocal(file: string, args: string[], options: LocalRunOptions = {}): Promise<LocalResult> {
  const command = [file, ...args].join(' ');
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') reject(new ConfigError(`${file} is not installed (needed to run: ${command})`, { cause: error }));
      else reject(error);
    });
    // A command that does not read stdin closes it early; that is not an error of ours.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
    child.on('close', (code, signal) => {
      const result: LocalResult = {
        command,
        exitCode: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        durationMs: Date.now() - started,
      };
      if (result.exitCode !== 0 && !options.allowFailure) {
        const detail = result.stderr.trim() || result.stdout.trim();
        reject(new CommandError(`${command} failed with exit code ${result.exitCode}${detail ? `: ${lastLines(detail, 20)}` : ''}`, result));
      } else resolve(result);
    });
  });
}

function lastLines(text: string, count: number): string {
  return text.split('\n').slice(-count).join('\n');
}

/** Finds an executable on PATH, or in the sbin folders a non-login root shell may lack. */
export function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}
