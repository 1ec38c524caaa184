import type { Recap } from '../engine/result.ts';
import type { Reporter, TaskEvent } from '../engine/reporter.ts';
import type { TaskResult } from '../task/types.ts';
import { renderDiff } from './diff.ts';
import { color, recapText, statusWord } from './format.ts';
import { mask, maskDeep } from '../secrets/mask.ts';
import { sealSensitive } from '../task/sensitive.ts';
import type { TaskConflict } from '../engine/conflicts.ts';
import { stackLines } from '../error-info.ts';

export interface TextOptions {
  check: boolean;
  diff: boolean;
  verbose: boolean;
  write: (text: string) => void;
}

/** Lines for one task result: the status line, then each change and diff. */
export function taskLines(event: TaskEvent & { result: TaskResult }, options: TextOptions): string[] {
  const { result } = event;
  const label = event.handler ? `handler: ${event.task}` : event.task;
  const lines = [`${event.host.padEnd(12)} ${statusWord(result, options.check)}  ${label}`];
  if (result.status === 'changed' || (result.status === 'failed' && result.changes.length > 0)) {
    // The engine sealed its results; a result that reached here another way is sealed too.
    for (const change of sealSensitive(result.changes)) {
      lines.push(`${' '.repeat(14)}${color.yellow('~')} ${change.description}`);
      if (options.diff) {
        const diff = renderDiff(change);
        if (diff) lines.push(diff.split('\n').map((line) => `${' '.repeat(16)}${line}`).join('\n'));
      }
    }
  }
  for (const note of result.notes ?? []) lines.push(`${' '.repeat(14)}${color.cyan('i')} ${note}`);
  if (result.status === 'failed' && result.error) {
    lines.push(result.error.split('\n').map((line) => `${' '.repeat(14)}${color.red(line)}`).join('\n'));
    if (options.verbose && result.errorInfo) lines.push(stackLines(result.errorInfo).map((line) => color.dim(`${' '.repeat(14)}${line}`)).join('\n'));
  }
  if (options.verbose && result.output && result.status !== 'skipped') {
    lines.push(color.dim(`${' '.repeat(14)}${JSON.stringify(maskDeep(result.output))}`));
  }
  return lines.map(mask);
}

/** Plain lines, for logs and pipes (no terminal). */
export class PlainReporter implements Reporter {
  constructor(private readonly options: TextOptions) {}

  runStart(info: { playbook: string; check: boolean; hosts: string[] }): void {
    const mode = info.check ? ' (check: nothing will be changed)' : '';
    this.options.write(color.bold(`${info.playbook}${mode}: ${info.hosts.length} host(s)`));
  }
  warning(conflict: TaskConflict): void {
    this.options.write(mask(color.yellow(`warning: ${conflict.message}`)));
  }
  hostUnreachable(host: string, reason: string): void {
    this.options.write(mask(`${host.padEnd(12)} ${color.red('unreachable')}  ${reason}`));
  }
  playStart(play: { name: string; hosts: string[] }): void {
    this.options.write(`\n${color.bold(`PLAY ${play.name}`)} ${color.dim(`[${play.hosts.join(', ')}]`)}`);
  }
  taskStart(): void {}
  taskResult(event: TaskEvent & { result: TaskResult }): void {
    this.options.write(taskLines(event, this.options).join('\n'));
  }
  hostDone(): void {}
  playEnd(): void {}
  recap(recap: Recap): void {
    this.options.write(`\n${recapText(recap)}`);
  }
}
