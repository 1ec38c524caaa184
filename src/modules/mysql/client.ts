/**
 * Runs SQL through the `mysql` client on a host, as root over the local socket (Debian's and
 * Ubuntu's root account authenticates by auth_socket, so `sudo mysql` needs no password), or as
 * the task's `login` says. The SQL text always travels on stdin: passwords in it never reach a
 * command line, `ps`, or a shell history; a login password stays in an option file on the host.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { TaskError, type ErrorContext } from '../../errors.ts';
import type { Coalescable, Exec } from '../../task/coalesce.ts';
import { sh } from '../../transport/quote.ts';
import type { ExecResult } from '../../transport/types.ts';
import type { TaskContext } from '../../task/types.ts';
import { parseBatch, type Row } from './batch.ts';
import { SESSION_PRELUDE, sqlString } from './sql.ts';

/** The client could not reach the server (2002: socket, 2003: TCP). */
const SERVER_DOWN_CODES = new Set([2002, 2003]);

/** Whether `error` says mysqld is not running (rather than refusing a statement). */
export function isServerDown(error: unknown): boolean {
  return error instanceof SqlError && error.code !== undefined && SERVER_DOWN_CODES.has(error.code);
}

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


export const MYSQL_COMMAND = sh`mysql --batch --default-character-set=utf8mb4`;

const absolutePath = z.string().regex(/^\/[^\0\n]*$/, 'an absolute path on the host');

/**
 * How a mysql task logs in. Omitted: `sudo mysql`, the OS user root as MySQL's root over the
 * local socket (auth_socket). A host whose root account has a password needs an option file
 * (`[client]` user and password, mode 0600, e.g. written by file.copy from a Secret): the
 * password is never a command-line argument.
 */
export const loginSchema = z
  .strictObject({
    /** An option file on the host, read first (`--defaults-extra-file`). */
    defaultsFile: absolutePath.optional(),
    /** The MySQL account to log in as (default: the option file's, else root). */
    user: z.string().min(1).max(32).optional(),
    /** The server's socket, when not the client's default. */
    socket: absolutePath.optional(),
  })
  .optional();

export type Login = z.output<typeof loginSchema>;

/** The mysql client command for a login (options are shell-quoted; --defaults-extra-file must come first). */
export function mysqlCommand(login: Login): string {
  if (!login || (!login.defaultsFile && !login.user && !login.socket)) return MYSQL_COMMAND;
  const options = [
    ...(login.defaultsFile ? [`--defaults-extra-file=${login.defaultsFile}`] : []),
    '--batch',
    '--default-character-set=utf8mb4',
    ...(login.user ? [`--user=${login.user}`] : []),
    ...(login.socket ? [`--socket=${login.socket}`] : []),
  ];
  return sh`mysql ${options}`;
}

/** The MySQL account a login uses, as far as the controller knows (an option file may name another). */
export function loginAccount(login: Login): { name: string; host: string } | undefined {
  if (login?.defaultsFile && !login.user) return undefined;
  return { name: login?.user ?? 'root', host: 'localhost' };
}

/** Replaces each secret (raw, and as it appears quoted inside SQL) in a message. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret === '') continue;
    for (const form of new Set([secret, sqlString(secret).slice(1, -1)])) out = out.split(form).join('********');
  }
  return out;
}

interface Query {
  sql: string;
  timeoutMs?: number;
}

const queryInput = (sql: string) => `${SESSION_PRELUDE}\n${sql}\n`;

/**
 * Read queries that several tasks of a host send at once (prefetched plans: the database, each
 * account) go to one mysql client: each query's statements are followed by a marker SELECT, and
 * the output is cut at the markers. The client runs with --force, so a failing statement (SHOW
 * GRANTS for an account not created yet) stops nothing: its error names its line, the query
 * holding that line runs again alone (its error is then its own, line number and all), and every
 * other query keeps its answer. Queries merge only with those of the same client command (login).
 */
function queriesThrough(command: string): Coalescable<Query, ExecResult> {
  return {
    kind: `mysql query ${command}`,
    runOne: (exec, query) => exec(command, { stdin: queryInput(query.sql), become: true, timeoutMs: query.timeoutMs }),
    async runMany(exec, queries) {
      const marker = `shipshape_part_${randomBytes(8).toString('hex')}`;
      const texts = queries.map((query, i) => `${query.sql}\nSELECT '${marker}:${i}' AS shipshape_part;`);
      const result = await exec(`${command} --force`, { stdin: queryInput(texts.join('\n')), become: true, timeoutMs: queries[0].timeoutMs });
      const parts = partsBeforeMarkers(result.stdout, marker);
      if (parts.length !== queries.length) return undefined;
      // Which query each error belongs to, by its line (after the prelude's one line). Read whatever
      // the exit status: with --force, MySQL 9's client exits 0 after a refused statement.
      const errorLines = [...result.stderr.matchAll(STATEMENT_ERROR)].map((match) => Number(match[1]));
      const failed = new Set<number>();
      if (result.exitCode !== 0 && errorLines.length === 0) return undefined; // the client never ran
      if (errorLines.length > 0) {
        const firstLines: number[] = [];
        let line = 2;
        for (const text of texts) {
          firstLines.push(line);
          line += text.split('\n').length;
        }
        // An error in the prelude, or past the end: the batch cannot stand for anything.
        if (errorLines.some((at) => at < 2 || at >= line)) return undefined;
        for (const at of errorLines) {
          let index = 0;
          while (index + 1 < firstLines.length && firstLines[index + 1] <= at) index++;
          failed.add(index);
        }
      }
      return parts.map((stdout, i) => (failed.has(i) ? undefined : { ...result, exitCode: 0, stderr: '', stdout, stdoutBytes: Buffer.from(stdout) }));
    },
  };
}

const byCommand = new Map<string, Coalescable<Query, ExecResult>>();

export function mysqlQueriesThrough(command: string): Coalescable<Query, ExecResult> {
  let kind = byCommand.get(command);
  if (!kind) byCommand.set(command, (kind = queriesThrough(command)));
  return kind;
}

export const mysqlQueries = mysqlQueriesThrough(MYSQL_COMMAND);

const STATEMENT_ERROR = /^ERROR \d+ \([0-9A-Z]+\) at line (\d+)/gm;

/** The output of each query that reached its marker SELECT ('<marker>:<i>'), in order. */
function partsBeforeMarkers(stdout: string, marker: string): string[] {
  const parts: string[] = [];
  let current: string[] = [];
  const lines = stdout.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] === 'shipshape_part' && lines[i + 1] === `${marker}:${parts.length}`) {
      parts.push(current.length ? `${current.join('\n')}\n` : '');
      current = [];
      i++;
    } else if (lines[i] !== '' || i < lines.length - 1) current.push(lines[i]);
  }
  return parts;
}

type Coalesce = TaskContext['coalesce'];

export class MysqlClient {
  constructor(
    private readonly exec: Exec,
    private readonly context: ErrorContext,
    /** Lets concurrent read queries of the host share one client (TaskContext.coalesce). */
    private readonly coalesce?: Coalesce,
    /** The client invocation (mysqlCommand(login)). */
    private readonly command: string = MYSQL_COMMAND,
  ) {}

  /** Runs statements; returns the rows of the last result set (with column names). */
  async query(sql: string, options: { secrets?: readonly string[]; timeoutMs?: number } = {}): Promise<Row[]> {
    if (!this.coalesce) return parseBatch((await this.raw(this.command, sql, options)).stdout);
    const result = await this.coalesce(mysqlQueriesThrough(this.command), { sql, timeoutMs: options.timeoutMs });
    if (result.exitCode !== 0) throw this.failure(result, options.secrets ?? []);
    return parseBatch(result.stdout);
  }

  /** Runs statements for their effect. */
  async execute(sql: string, options: { secrets?: readonly string[]; timeoutMs?: number } = {}): Promise<void> {
    await this.raw(this.command, sql, options);
  }

  /** Runs `command` (a mysql client invocation) with the SQL script on stdin. */
  async raw(command: string, sql: string | Buffer, options: { secrets?: readonly string[]; timeoutMs?: number; prelude?: boolean } = {}): Promise<ExecResult> {
    const script = typeof sql === 'string' && options.prelude !== false ? queryInput(sql) : sql;
    const result = await this.exec(command, { stdin: script, become: true, timeoutMs: options.timeoutMs });
    if (result.exitCode !== 0) throw this.failure(result, options.secrets ?? []);
    return result;
  }

  private failure(result: ExecResult, secrets: readonly string[]): TaskError {
    const stderr = scrub(result.stderr.trim(), secrets);
    if (result.exitCode === 127 || /command not found/.test(stderr)) {
      return new TaskError('the mysql client is not installed on this host (is mysql-server installed?)', this.context);
    }
    const code = /ERROR (\d+)/.exec(stderr);
    if (code && SERVER_DOWN_CODES.has(Number(code[1]))) {
      return new SqlError(`MySQL is not running on this host: ${stderr}`, Number(code[1]), this.context);
    }
    return new SqlError(`mysql: ${stderr || `exit status ${result.exitCode}`}`, code ? Number(code[1]) : undefined, this.context);
  }
}

export function clientFor(ctx: TaskContext, login?: Login): MysqlClient {
  return new MysqlClient(ctx.exec, { host: ctx.host.name, task: ctx.task }, ctx.coalesce, mysqlCommand(login));
}

export type { Row };
