/**
 * The controller itself as a host (`connection: 'local'`, Ansible's `ansible_connection=local`):
 * the same persistent shell sessions as over SSH (session.ts), fed through bash child processes
 * instead of SSH channels. `become` runs a second session through `sudo` (non-interactive, or with
 * the inventory's become password on stdin), except when shipshape already runs as root: then the
 * one session serves both. The run lock's channel is a child process living as long as the
 * connection, so the lock dies with the run exactly as over SSH.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import os from 'node:os';
import { Duplex, type Readable } from 'node:stream';
import { CommandError, ConnectionError } from '../errors.ts';
import type { ConnectionSettings } from '../inventory/types.ts';
import { revealed } from '../secrets/secret.ts';
import { launchCommand, newNonce } from './framing.ts';
import { ShellSession, type KillSignal } from './session.ts';
import { SUDO_PROMPT, sudoPasswordLine, viaSudo } from './sudo.ts';
import type { ExecOptions, ExecResult, HostConnection } from './types.ts';

export type Role = 'user' | 'root';

/** A child process seen as a channel: stdout/stdin as one duplex, stderr beside it (like ssh2's ClientChannel). */
export class ChildChannel extends Duplex {
  readonly stderr: Readable;
  readonly #child: ChildProcessWithoutNullStreams;

  constructor(child: ChildProcessWithoutNullStreams) {
    super();
    this.#child = child;
    this.stderr = child.stderr;
    // A child that exits before reading its input must not turn our write into an uncaught EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdout.on('data', (chunk: Buffer) => this.push(chunk));
    child.stdout.on('end', () => this.push(null));
    child.once('close', () => this.destroy());
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.#child.stdin.destroyed) callback();
    else this.#child.stdin.write(chunk, () => callback());
  }

  override _final(callback: () => void): void {
    this.#child.stdin.end(callback);
  }

  /** Ends the child: closed input first (a holder reading stdin lets go), then SIGKILL if it lingers. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 1000);
    await exited;
    clearTimeout(timer);
  }
}

export function startChild(command: string): ChildProcessWithoutNullStreams {
  return spawn('/bin/sh', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'] });
}

function currentUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return String(process.getuid?.() ?? 'root');
  }
}

export class LocalConnection implements HostConnection {
  readonly host: string;
  /** The inventory's settings with the account shipshape actually runs as (the inventory's `user` has no meaning here). */
  readonly settings: ConnectionSettings;
  #channelsOpened = 0;
  readonly #sessions = new Map<Role, Promise<ShellSession>>();
  readonly #channels = new Set<ChildChannel>();
  readonly #killGraceMs?: number;
  #closed = false;

  constructor(host: string, settings: ConnectionSettings, options: { killGraceMs?: number } = {}) {
    this.host = host;
    this.settings = this.effectiveSettings(settings);
    this.#killGraceMs = options.killGraceMs;
  }

  /** The settings as they apply here: the controller's own account, whatever the inventory says. */
  protected effectiveSettings(settings: ConnectionSettings): ConnectionSettings {
    return { ...settings, address: 'localhost', user: currentUser() };
  }

  /** Starts `command` (sh syntax) as the connection's account. */
  protected spawnAsUser(command: string): ChildProcessWithoutNullStreams {
    return startChild(command);
  }

  /** The shell that launches a root session, and whether it asks sudo for a password first. */
  protected spawnRootSession(launch: string): { child: ChildProcessWithoutNullStreams; throughSudo: boolean } {
    return { child: startChild(`exec ${viaSudo(launch, this.settings, SUDO_PROMPT)}`), throughSudo: true };
  }

  /** What the sessions are called in messages. */
  protected sessionLabel(role: Role): string {
    return role === 'user' ? `${this.settings.user} (local)` : 'root (sudo, local)';
  }

  get channelsOpened(): number {
    return this.#channelsOpened;
  }

  /** True when become needs sudo: shipshape is not already root. */
  get becomeThroughSudo(): boolean {
    return this.settings.user !== 'root';
  }

  /** True when become needs a root session of its own (the connection's account is not root). */
  get becomeSeparately(): boolean {
    return this.becomeThroughSudo;
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const session = await this.#session(options.become === true && this.becomeSeparately ? 'root' : 'user');
    return session.exec(command, { stdin: options.stdin, timeoutMs: options.timeoutMs });
  }

  /** A child process that lives until its caller ends it or the connection closes (the run lock's holder). */
  async startChannel(command: string): Promise<ChildChannel> {
    return this.adoptChannel(this.spawnAsUser(command));
  }

  /** Makes a started child one of this connection's channels: counted, and ended by close(). */
  protected async adoptChannel(child: ChildProcessWithoutNullStreams): Promise<ChildChannel> {
    if (this.#closed) {
      child.kill('SIGKILL');
      throw this.#closedError();
    }
    const channel = new ChildChannel(child);
    this.#channelsOpened++;
    this.#channels.add(channel);
    channel.once('close', () => this.#channels.delete(channel));
    return channel;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const sessions = [...this.#sessions.values()];
    this.#sessions.clear();
    await Promise.all(sessions.map((pending) => pending.then((session) => session.close(1000)).catch(() => undefined)));
    // Waited for, so the run lock is free once close() returns.
    await Promise.all([...this.#channels].map((channel) => channel.stop()));
  }

  #closedError(): ConnectionError {
    return new ConnectionError(`host ${this.host}: the connection was closed`, { host: this.host });
  }

  #session(role: Role): Promise<ShellSession> {
    if (this.#closed) return Promise.reject(this.#closedError());
    const existing = this.#sessions.get(role);
    if (existing) {
      return existing.then(
        (session) => (session.broken ? this.#replace(role) : session),
        () => this.#replace(role),
      );
    }
    return this.#replace(role);
  }

  #replace(role: Role): Promise<ShellSession> {
    const opening = this.#startSession(role);
    this.#sessions.set(role, opening);
    return opening;
  }

  async #startSession(role: Role): Promise<ShellSession> {
    const nonce = newNonce();
    const settings = this.settings;
    const launch = launchCommand();
    const started = role === 'user' ? { child: this.spawnAsUser(`exec ${launch}`), throughSudo: false } : this.spawnRootSession(launch);
    const child = started.child;
    const command = child.spawnargs.join(' ');
    const password = started.throughSudo && settings.becomePassword ? revealed(settings.becomePassword) : undefined;
    const prompt = SUDO_PROMPT;
    if (child.pid === undefined) {
      const error = await new Promise<Error>((resolve) => child.once('error', resolve));
      throw new ConnectionError(`host ${this.host}: cannot start a shell (${this.sessionLabel(role)}): ${error.message}`, { host: this.host, cause: error });
    }
    this.#channelsOpened++;
    const session = new ShellSession(
      { stdin: child.stdin, stdout: child.stdout, stderr: child.stderr },
      {
        host: this.host,
        label: this.sessionLabel(role),
        nonce,
        killGraceMs: this.#killGraceMs,
        killProcessGroup: (pgid, signal) => this.killGroup(role, pgid, signal),
        destroy: () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        },
      },
    );
    // The shell can die while a command it started still holds the pipes open.
    child.once('exit', (code, signal) => setTimeout(() => session.ended(`the shell exited (${signal ?? code})`), 300).unref());
    try {
      await session.start({ prompt: password === undefined ? undefined : prompt, password, timeoutMs: Math.max(20_000, settings.connectTimeout * 1000) });
    } catch (error) {
      if (role === 'root' && started.throughSudo && error instanceof ConnectionError) {
        // The controller is fine; sudo said no. That fails this host's tasks, as over SSH.
        const message = error.message.replace(/^host [^:]+: /, '');
        throw new CommandError(
          `host ${this.host}: cannot become root with sudo: ${message}`,
          { command, exitCode: 1, stdout: '', stderr: message, durationMs: 0 },
          { host: this.host, cause: error },
        );
      }
      throw error;
    }
    return session;
  }

  /** Kills a timed-out command's process group; a root one through sudo, since we are not root. */
  protected async killGroup(role: Role, pgid: number, signal: KillSignal): Promise<void> {
    if (role === 'user') {
      try {
        process.kill(-pgid, signal);
      } catch {
        // Already gone.
      }
      return;
    }
    const child = startChild(viaSudo(`kill -s ${signal.replace('SIG', '')} -- -${pgid}`, this.settings));
    child.stdin.on('error', () => undefined);
    child.stdin.end(sudoPasswordLine(this.settings));
    await new Promise((resolve) => child.once('close', resolve));
  }
}

/** The controller as a host: nothing to reach, so this only checks that a shell starts. */
export async function connectLocal(hostName: string, settings: ConnectionSettings, options: { killGraceMs?: number } = {}): Promise<LocalConnection> {
  const conn = new LocalConnection(hostName, settings, options);
  await conn.exec('true');
  return conn;
}
