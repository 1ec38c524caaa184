import { CommandError, type ErrorContext } from '../errors.ts';
import type { ExecResult } from './types.ts';

const TAIL_LINES = 20;

function tail(text: string): string {
  const lines = text.trimEnd().split('\n');
  return lines.length > TAIL_LINES ? ['…', ...lines.slice(-TAIL_LINES)].join('\n') : lines.join('\n');
}

/** "command `x` exited 2: <stderr tail>" — enough to act on without -v. */
export function describeCommandFailure(result: ExecResult): string {
  const shown = result.command.length > 200 ? `${result.command.slice(0, 200)}…` : result.command;
  // Tools like apt print the cause on stdout and only a summary on stderr: show both when stderr
  // alone is too short to act on.
  const stderr = result.stderr.trim();
  const output = stderr.split('\n').length >= 3 || result.stdout.trim() === '' ? stderr : `${tail(result.stdout)}\n${stderr}`;
  const detail = output.trim() === '' ? '' : `:\n${tail(output)}`;
  return `command \`${shown}\` exited ${result.exitCode}${detail}`;
}

/** The result when the command succeeded; else a CommandError describing it (ctx.run's rule). */
export function throwIfFailed(result: ExecResult, context: ErrorContext = {}): ExecResult {
  if (result.exitCode !== 0) throw new CommandError(describeCommandFailure(result), { ...result }, context);
  return result;
}
