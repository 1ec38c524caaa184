import type { ExecResult } from '../transport/types.ts';

const TAIL_LINES = 20;

function tail(text: string): string {
  const lines = text.trimEnd().split('\n');
  return lines.length > TAIL_LINES ? ['…', ...lines.slice(-TAIL_LINES)].join('\n') : lines.join('\n');
}

/** "command `x` exited 2: <stderr tail>" — enough to act on without -v. */
export function describeCommandFailure(result: ExecResult): string {
  const shown = result.command.length > 200 ? `${result.command.slice(0, 200)}…` : result.command;
  const output = result.stderr.trim() !== '' ? result.stderr : result.stdout;
  const detail = output.trim() === '' ? '' : `:\n${tail(output)}`;
  return `command \`${shown}\` exited ${result.exitCode}${detail}`;
}
