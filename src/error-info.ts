import { CommandError, ShipshapeError } from './errors.ts';

/**
 * A failure as data: what `--json` prints and what reporters read, so a machine gets the failed
 * command, its exit code and the end of its stderr without parsing a message. Plain JSON values
 * only (the JSON reporter masks every string of it).
 */
export interface ErrorInfo {
  /** The error's class: `CommandError`, `TaskError`, `ConnectionError`, … (`Error` for a bug). */
  class: string;
  message: string;
  host?: string;
  task?: string;
  file?: string;
  field?: string;
  /** A CommandError's remote command, its exit code and the last lines of its stderr. */
  command?: string;
  exitCode?: number;
  stderrTail?: string;
  /** What caused it, innermost last (error.cause, followed). */
  cause?: ErrorInfo;
  /** For -v only; never in --json. */
  stack?: string;
}

const STDERR_TAIL_LINES = 20;
/** A cause chain longer than this is cut: a cycle or a runaway wrapper, not something to print. */
const MAX_CAUSES = 8;

function stderrTail(stderr: string): string {
  const lines = stderr.trimEnd().split('\n');
  return lines.slice(-STDERR_TAIL_LINES).join('\n');
}

/** Describes any thrown value as ErrorInfo, following its cause chain. */
export function errorInfo(error: unknown, depth = 0): ErrorInfo {
  if (!(error instanceof Error)) return { class: typeof error, message: String(error) };
  const info: ErrorInfo = { class: error.name || error.constructor.name, message: error.message };
  if (error instanceof ShipshapeError) {
    for (const key of ['host', 'task', 'file', 'field'] as const) if (error[key] !== undefined) info[key] = error[key];
  }
  if (error instanceof CommandError) {
    info.command = error.command;
    info.exitCode = error.exitCode;
    if (error.stderr.trim() !== '') info.stderrTail = stderrTail(error.stderr);
  }
  if (error.cause !== undefined && depth < MAX_CAUSES) info.cause = errorInfo(error.cause, depth + 1);
  if (error.stack) info.stack = error.stack;
  return info;
}

/** The same without any stack, for output that is not -v (--json). */
export function withoutStacks(info: ErrorInfo): ErrorInfo {
  const { stack: _stack, cause, ...rest } = info;
  return cause ? { ...rest, cause: withoutStacks(cause) } : rest;
}

/** Stack traces of the error and each cause, for -v. */
export function stackLines(info: ErrorInfo): string[] {
  const lines: string[] = [];
  for (let at: ErrorInfo | undefined = info, first = true; at; at = at.cause, first = false) {
    const text = at.stack ?? `${at.class}: ${at.message}`;
    lines.push(...(first ? text : `caused by: ${text}`).split('\n'));
  }
  return lines;
}

/**
 * Names the host and task on an error that does not name them yet: the engine does this once for
 * every failing task, so modules need not pass `{ host, task }` with each error they raise. An
 * error that already names a host (a peer's) keeps it.
 */
export function attachTaskContext(error: unknown, context: { host: string; task: string }): void {
  if (!(error instanceof ShipshapeError)) return;
  const fields = error as { host?: string; task?: string };
  fields.host ??= context.host;
  fields.task ??= context.task;
}
