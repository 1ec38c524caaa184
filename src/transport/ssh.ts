/**
 * The SSH HostConnection: one connection per host, and at most two persistent shell sessions on it,
 * opened on first use: the login user's, and root's through sudo (entered once, not per command).
 * Every command runs in one of those sessions (session.ts), so a command costs a round trip, not a
 * new channel. Only a timeout kill, the run lock (`startChannel`) or `execChannel` (benchmarks) opens an extra channel.
 */
import type { ClientChannel } from 'ssh2';
import { CommandError, ConnectionError } from '../errors.ts';
import type { ConnectionSettings } from '../inventory/types.ts';
import { revealed } from '../secrets/secret.ts';
import { launchCommand, newNonce } from './framing.ts';
import { SUDO_PROMPT, sudoPasswordLine, viaSudo } from './sudo.ts';
import { traceEvent } from '../util/trace.ts';
import { ShellSession, type KillSignal } from './session.ts';
import { openClient, type OpenedClient } from './ssh-connect.ts';
import type { RetryPolicy } from './connect-retry.ts';
import { runStreamed, streamWrapper } from './stream-exec.ts';
import type { ExecOptions, ExecResult, HostConnection, StreamedCommand, StreamOptions } from './types.ts';

export interface ConnectOptions {
  /** Record unknown host keys instead of refusing them (OpenSSH's accept-new). */
  acceptNewHostKeys?: boolean;
  /** ssh_config file to honour (default ~/.ssh/config); false to ignore it. */
  sshConfigPath?: string | false;
  /** A silent host is declared lost after about interval × (countMax + 1) (default 5 s × 3). */
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  /** How long a timed-out command gets after SIGTERM, then after SIGKILL (default 2 s). */
  killGraceMs?: number;
  /** Most bytes one command may print per stream (default 64 MiB); more fails that task. */
  maxOutputBytes?: number;
  /** How connections sshd drops before its banner are retried (default: connect-retry.ts). */
  retryPolicy?: RetryPolicy;
}

type Role = 'user' | 'root';


export class SshConnection implements HostConnection {
  readonly host: string;
  #channelsOpened = 0;
  readonly #opened: OpenedClient;
  readonly #options: ConnectOptions;
  readonly #sessions = new Map<Role, Promise<ShellSession>>();
  #lost: ConnectionError | null = null;
  #lastError: Error | null = null;

  constructor(host: string, opened: OpenedClient, options: ConnectOptions) {
    this.host = host;
    this.#opened = opened;
    this.#options = options;
    // node-ssh drops its error listener once connected; without ours a late error (keepalive
    // timeout, reset) would be an uncaught exception.
    opened.client.on('error', (error: Error) => (this.#lastError = error));
    opened.client.on('close', () => {
      const reason = this.#lastError ? `: ${this.#lastError.message}` : '';
      this.#markLost(new ConnectionError(`host ${host}: connection lost${reason}`, { host, cause: this.#lastError ?? undefined }));
    });
  }

  /** Settings in effect after ssh_config (address, port, user actually used). */
  get settings(): ConnectionSettings {
    return this.#opened.settings;
  }

  get channelsOpened(): number {
    return this.#channelsOpened;
  }

  /** Connections sshd dropped before its banner (MaxStartups) and that were made again. */
  get connectRetries(): number {
    return this.#opened.connectRetries;
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const session = await this.#session(options.become === true && this.#opened.settings.user !== 'root' ? 'root' : 'user');
    return session.exec(command, { stdin: options.stdin, timeoutMs: options.timeoutMs });
  }

  /**
   * Runs a command on a new exec channel, the way most tools do for every command. Kept for the
   * benchmark that compares it with the persistent session; modules use exec().
   */
  async execChannel(command: string, stdin?: string | Buffer): Promise<ExecResult> {
    const started = performance.now();
    const channel = await this.#openChannel(command);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    channel.on('data', (chunk: Buffer) => out.push(chunk));
    channel.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    channel.end(stdin);
    const exitCode = await new Promise<number>((resolve, reject) => {
      let code = -1;
      channel.on('exit', (status: number | null, signal?: string) => (code = status ?? (signal ? 128 : -1)));
      channel.on('close', () => (this.#lost ? reject(this.#lost) : resolve(code)));
    });
    const stdoutBytes = Buffer.concat(out);
    return {
      command,
      exitCode,
      stdout: stdoutBytes.toString('utf8'),
      stderr: Buffer.concat(err).toString('utf8'),
      stdoutBytes,
      durationMs: performance.now() - started,
    };
  }

  /** HostConnection.stream: a command on a channel of its own, stdin and stdout as streams with backpressure. */
  async stream(command: string, options: StreamOptions = {}): Promise<StreamedCommand> {
    const settings = this.#opened.settings;
    const asRoot = options.become === true && settings.user !== 'root';
    const wrapped = streamWrapper(command, { withStdin: options.stdin !== undefined });
    const channel = await this.#openChannel(asRoot ? viaSudo(wrapped, settings, SUDO_PROMPT) : wrapped);
    const closed = new Promise<number>((resolve, reject) => {
      let code = -1;
      channel.on('exit', (status: number | null, signal?: string) => (code = status ?? (signal ? 128 : -1)));
      channel.on('close', () => (this.#lost ? reject(this.#lost) : resolve(code)));
    });
    closed.catch(() => undefined);
    return runStreamed(
      { stdin: channel, stdout: channel, stderr: channel.stderr, closed, close: () => channel.close() },
      {
        host: this.host,
        command,
        prompt: asRoot && settings.becomePassword ? SUDO_PROMPT : undefined,
        password: asRoot && settings.becomePassword ? revealed(settings.becomePassword) : undefined,
        stdin: options.stdin,
      },
    );
  }

  /**
   * Opens an exec channel that lives until its caller ends it or the connection closes; the run
   * lock (run-lock.ts) holds its flock through one, so the lock dies with the connection.
   */
  startChannel(command: string): Promise<ClientChannel> {
    return this.#openChannel(command);
  }

  async close(): Promise<void> {
    const sessions = [...this.#sessions.values()];
    this.#sessions.clear();
    await Promise.all(sessions.map((pending) => pending.then((session) => session.close(1000)).catch(() => undefined)));
    this.#markLost(new ConnectionError(`host ${this.host}: the connection was closed`, { host: this.host }));
    this.#opened.ssh.dispose();
    for (const jump of this.#opened.jumps.reverse()) jump.dispose();
  }

  #markLost(error: ConnectionError): void {
    if (this.#lost) return;
    this.#lost = error;
    for (const pending of this.#sessions.values()) pending.then((session) => session.fail(error)).catch(() => undefined);
  }

  #session(role: Role): Promise<ShellSession> {
    if (this.#lost) return Promise.reject(this.#lost);
    const existing = this.#sessions.get(role);
    if (existing) {
      // A session broken by an unkillable command is replaced; the connection itself is fine.
      return existing.then(
        (session) => (session.broken && !this.#lost ? this.#replace(role) : session),
        () => this.#replace(role),
      );
    }
    return this.#replace(role);
  }

  #replace(role: Role): Promise<ShellSession> {
    if (this.#lost) return Promise.reject(this.#lost);
    const opening = this.#startSession(role);
    this.#sessions.set(role, opening);
    return opening;
  }

  async #startSession(role: Role): Promise<ShellSession> {
    const nonce = newNonce();
    const settings = this.#opened.settings;
    const password = role === 'root' && settings.becomePassword ? revealed(settings.becomePassword) : undefined;
    // Fixed text: sudo's argv is world-readable in ps and logged, so nothing secret goes in it
    // (the nonce travels on stdin). Distinct enough to tell sudo asking from anything else on stderr.
    const prompt = SUDO_PROMPT;
    const launch = launchCommand();
    const command = `exec ${role === 'user' ? launch : viaSudo(launch, settings, prompt)}`;
    traceEvent({ host: this.host, event: `${role} session: opening channel` });
    const channel = await this.#openChannel(command);
    traceEvent({ host: this.host, event: `${role} session: channel open` });
    const label = role === 'user' ? `${settings.user}` : 'root (sudo)';
    const session = new ShellSession(
      { stdin: channel, stdout: channel, stderr: channel.stderr },
      {
        host: this.host,
        label,
        nonce,
        killGraceMs: this.#options.killGraceMs,
        maxOutputBytes: this.#options.maxOutputBytes,
        killProcessGroup: (pgid, signal) => this.#kill(role, pgid, signal),
        destroy: () => {
          channel.close();
          channel.destroy();
        },
      },
    );
    // bash can be gone while a child it started still holds the channel's pipes open; give output
    // already on its way a moment to arrive first.
    // unref: at the end of a run this grace timer must not hold the process open (it would add
    // its delay to every run's wall time); a live run has the connection's own handles keeping it up.
    channel.on('exit', () => setTimeout(() => session.ended('the shell exited'), 300).unref());
    try {
      await session.start({ prompt: password === undefined ? undefined : prompt, password, timeoutMs: Math.max(20_000, settings.connectTimeout * 1000) });
    } catch (error) {
      if (this.#lost) throw this.#lost;
      if (role === 'root' && error instanceof ConnectionError) {
        // The connection is fine; sudo said no. That is a failure of this host's tasks, not reachability.
        const message = error.message.replace(/^host [^:]+: /, '');
        throw new CommandError(`host ${this.host}: cannot become root with sudo: ${message}`, {
          command,
          exitCode: 1,
          stdout: '',
          stderr: message,
          durationMs: 0,
        }, { host: this.host, cause: error });
      }
      throw error;
    }
    traceEvent({ host: this.host, event: `${role} session: ready` });
    return session;
  }

  #openChannel(command: string): Promise<ClientChannel> {
    if (this.#lost) return Promise.reject(this.#lost);
    return new Promise((resolve, reject) => {
      this.#opened.client.exec(command, { pty: false }, (error, channel) => {
        if (error) {
          reject(this.#lost ?? new ConnectionError(`host ${this.host}: cannot open a channel: ${error.message}`, { host: this.host, cause: error }));
          return;
        }
        this.#channelsOpened++;
        resolve(channel);
      });
    });
  }

  /** Kills a timed-out command's process group from outside its (busy) session. */
  async #kill(role: Role, pgid: number, signal: KillSignal): Promise<void> {
    const kill = `kill -s ${signal.replace('SIG', '')} -- -${pgid}`;
    if (role === 'user') {
      await this.execChannel(kill);
      return;
    }
    const settings = this.#opened.settings;
    await this.execChannel(viaSudo(kill, settings), sudoPasswordLine(settings));
  }
}

/** Connects to one host: ssh_config, ProxyJump, host key verification, then the connection object. */
export async function connect(hostName: string, settings: ConnectionSettings, options: ConnectOptions = {}): Promise<SshConnection> {
  const opened = await openClient(hostName, settings, {
    acceptNewHostKeys: options.acceptNewHostKeys ?? false,
    sshConfigPath: options.sshConfigPath,
    keepaliveIntervalMs: options.keepaliveIntervalMs ?? 5000,
    keepaliveCountMax: options.keepaliveCountMax ?? 3,
    retryPolicy: options.retryPolicy,
  });
  return new SshConnection(hostName, opened, options);
}
