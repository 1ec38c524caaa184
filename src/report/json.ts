import type { Recap } from '../engine/result.ts';
import type { TaskResult } from '../task/types.ts';
import type { Reporter, TaskEvent } from '../engine/reporter.ts';
import { mask, maskDeep } from '../secrets/mask.ts';
import { sealSensitive } from '../task/sensitive.ts';
import type { TaskConflict } from '../engine/conflicts.ts';
import { withoutStacks } from '../error-info.ts';

/**
 * One JSON object per line, for machines. Every line is masked. A change carries its file's before
 * and after text only with --diff, as Ansible's JSON does: a run that writes a large file should
 * not print it whole unless asked.
 */
export class JsonReporter implements Reporter {
  constructor(
    private readonly write: (line: string) => void,
    private readonly options: { diff: boolean; shard?: string } = { diff: false },
  ) {}

  private emit(value: unknown): void {
    // Masked before encoding (the encoder escapes a value once more) and after (a value spread
    // over two strings).
    this.write(mask(JSON.stringify(maskDeep(value))));
  }

  runStart(info: { playbook: string; check: boolean; hosts: string[] }): void {
    // The shard lets `recap merge` check that every job of a matrix is there.
    this.emit({ type: 'start', ...info, ...(this.options.shard ? { shard: this.options.shard } : {}) });
  }
  warning(conflict: TaskConflict): void {
    const { first, second, ...rest } = conflict;
    this.emit({ type: 'warning', kind: 'conflict', ...rest, tasks: [first, second] });
  }
  hostUnreachable(host: string, reason: string): void {
    this.emit({ type: 'unreachable', host, error: reason });
  }
  playStart(play: { name: string; hosts: string[] }): void {
    this.emit({ type: 'play', play: play.name, hosts: play.hosts });
  }
  taskStart(): void {}
  taskResult(event: TaskEvent & { result: TaskResult }): void {
    const { result } = event;
    const changes = sealSensitive(result.changes);
    this.emit({
      type: 'task',
      play: event.play,
      host: event.host,
      task: event.task,
      ...(event.handler ? { handler: true } : {}),
      status: result.status,
      // A sensitive file's change says so, with or without --diff (and never has text).
      changes: this.options.diff ? changes : changes.map(({ description, sensitive }) => ({ description, ...(sensitive ? { sensitive } : {}) })),
      ...(result.notes ? { notes: result.notes } : {}),
      ...(result.ignored ? { ignored: true } : {}),
      ...(result.afterEarlierChanges ? { afterEarlierChanges: true } : {}),
      ...(result.error ? { error: result.error } : {}),
      // The failure as data (class, command, exitCode, stderrTail, cause); stacks only with -v.
      ...(result.errorInfo ? { errorInfo: withoutStacks(result.errorInfo) } : {}),
      ...(result.output ? { output: result.output } : {}),
      durationMs: result.durationMs,
    });
  }
  hostDone(): void {}
  playEnd(): void {}
  recap(recap: Recap): void {
    this.emit({ type: 'recap', hosts: recap.hosts, durationMs: recap.durationMs, check: recap.check, interrupted: recap.interrupted, ...(recap.notStarted ? { notStarted: recap.notStarted } : {}), ...(recap.connectRetries ? { connectRetries: recap.connectRetries } : {}) });
  }
}
