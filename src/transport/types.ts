import type { Readable } from 'node:stream';

/** What the engine and modules need from a connection to one host. */
export interface ExecOptions {
  /** Bytes fed to the command's standard input (secrets and file contents travel here, never in argv). */
  stdin?: string | Buffer;
  /** Run as root through sudo (the session's become shell). */
  become?: boolean;
  /** Fail with TimeoutError, and kill the command, after this long. */
  timeoutMs?: number;
}

export interface ExecResult {
  command: string;
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Raw bytes of stdout, for binary output. */
  stdoutBytes: Buffer;
  durationMs: number;
}

/**
 * The one word for what runs commands on a host: `Exec` is the function (HostConnection.exec,
 * TaskContext.exec), an `Executor` anything that has one (a HostConnection, a TaskContext).
 * Connections come from a Connector (engine/run.ts).
 */
export type Exec = (command: string, options?: ExecOptions) => Promise<ExecResult>;

export interface Executor {
  exec: Exec;
  /** HostConnection.host, or TaskContext.host: names the host in errors. */
  readonly host?: string | { name: string };
}

export interface HostConnection {
  /** Inventory name of the host. */
  readonly host: string;
  /** Runs one shell command (bash syntax) in the host's persistent session. Never throws on a non-zero exit. */
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  /**
   * Runs one command on a channel of its own with its stdin and stdout as streams, for data too big
   * to hold in memory (a database dump going from one host to another). Optional: only real
   * connections have it.
   */
  stream?(command: string, options?: StreamOptions): Promise<StreamedCommand>;
  /** How many SSH channels this connection has opened (for benchmarks). */
  readonly channelsOpened: number;
  /** Connections the server dropped before its banner (MaxStartups) and that were made again. */
  readonly connectRetries?: number;
  close(): Promise<void>;
}

export interface StreamOptions {
  /** Run as root through sudo (on a channel of its own: the sessions stay free). */
  become?: boolean;
  /** Bytes for the command's standard input, piped with backpressure; without it, stdin is empty. */
  stdin?: Readable;
}

export interface StreamedCommand {
  /** The command's standard output, as it comes: reading slowly slows the command (SSH window), so memory stays bounded. */
  stdout: Readable;
  /** Settles once the command ended: its exit status and the last part of its stderr. */
  done: Promise<{ exitCode: number; stderr: string }>;
}
