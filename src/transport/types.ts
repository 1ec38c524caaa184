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

export interface HostConnection {
  /** Inventory name of the host. */
  readonly host: string;
  /** Runs one shell command (bash syntax) in the host's persistent session. Never throws on a non-zero exit. */
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  /** How many SSH channels this connection has opened (for benchmarks). */
  readonly channelsOpened: number;
  close(): Promise<void>;
}
