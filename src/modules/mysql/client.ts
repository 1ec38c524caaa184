/**
 * Runs SQL through the `mysql` client on a host, as root over the local socket (Debian's root
 * account authenticates by auth_socket, so `sudo mysql` needs no password). The SQL text always
 * travels on stdin: passwords in it never reach a command line, `ps`, or a shell history.
 */
import { TaskError, type ErrorContext } from '../../errors.ts';
import { sh } from '../../transport/quote.ts';
import type { ExecOptions, ExecResult } from '../../transport/types.ts';
import type { TaskContext } from '../types.ts';
import { parseBatch, type Row } from './batch.ts';
import { SESSION_PRELUDE, sqlString } from './sql.ts';

/** The server refused a statement; `code` is MySQL's error number (1238: read-only variable...). */
export class SqlError extends TaskError {
  constructor(
    message: string,
    readonly code: number | undefined,
    context: ErrorContext,
  ) {
    super(message, context);
  }
}

type Exec = (command: string, options?: ExecOptions) => Promise<ExecResult>;

export const MYSQL_COMMAND = sh`mysql --batch --default-character-set=utf8mb4`;

/** Replaces each secret (raw, and as it appears quoted inside SQL) in a message. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret === '') continue;
    for (const form of new Set([secret, sqlString(secret).slice(1, -1)])) out = out.split(form).join('********');
  }
  return out;
}

export class MysqlClient {
  constructor(
    private readonly exec: Exec,
    private readonly context: ErrorContext,
  ) {}

  /** Runs statements; returns the rows of the last result set (with column names). */
  async query(sql: string, options: { secrets?: readonly string[]; timeoutMs?: number } = {}): Promise<Row[]> {
    const result = await this.raw(MYSQL_COMMAND, sql, options);
    return parseBatch(result.stdout);
  }

  /** Runs statements for their effect. */
  async execute(sql: string, options: { secrets?: readonly string[]; timeoutMs?: number } = {}): Promise<void> {
    await this.raw(MYSQL_COMMAND, sql, options);
  }

  /** Runs `command` (a mysql client invocation) with the SQL script on stdin. */
  async raw(command: string, sql: string | Buffer, options: { secrets?: readonly string[]; timeoutMs?: number; prelude?: boolean } = {}): Promise<ExecResult> {
    const script = typeof sql === 'string' && options.prelude !== false ? `${SESSION_PRELUDE}\n${sql}\n` : sql;
    const result = await this.exec(command, { stdin: script, become: true, timeoutMs: options.timeoutMs });
    if (result.exitCode !== 0) throw this.failure(result, options.secrets ?? []);
    return result;
  }

  private failure(result: ExecResult, secrets: readonly string[]): TaskError {
    const stderr = scrub(result.stderr.trim(), secrets);
    if (result.exitCode === 127 || /command not found/.test(stderr)) {
      return new TaskError('the mysql client is not installed on this host (is mysql-server installed?)', this.context);
    }
    if (/ERROR 200[23]\b/.test(stderr)) {
      return new TaskError(`MySQL is not running on this host: ${stderr}`, this.context);
    }
    const code = /ERROR (\d+)/.exec(stderr);
    return new SqlError(`mysql: ${stderr || `exit status ${result.exitCode}`}`, code ? Number(code[1]) : undefined, this.context);
  }
}

export function clientFor(ctx: TaskContext): MysqlClient {
  return new MysqlClient(ctx.exec, { host: ctx.host.name, task: ctx.task });
}

export type { Row };
