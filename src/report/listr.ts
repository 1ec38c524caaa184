import { Listr, type ListrTaskWrapper } from 'listr2';
import type { Recap } from '../engine/result.ts';
import type { TaskResult } from '../task/types.ts';
import type { Reporter, TaskEvent } from '../engine/reporter.ts';
import { renderDiff } from './diff.ts';
import { color, recapText, statusWord } from './format.ts';
import { mask } from '../secrets/mask.ts';
import { sealSensitive } from '../task/sensitive.ts';
import type { TaskConflict } from '../engine/conflicts.ts';
import { stackLines } from '../error-info.ts';
import type { TextOptions } from './plain.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type HostTask = ListrTaskWrapper<any, any, any>;

interface HostLive {
  task?: HostTask;
  title: string;
  /** Lines not yet handed to listr (it keeps every output it was given: give each line once). */
  pending: string[];
  changed: number;
  done: { resolve: () => void; reject: (error: Error) => void };
  promise: Promise<void>;
}

/**
 * The live terminal view: a listr2 tree per play (play → host → task lines). The engine drives the
 * run; each host's listr task just mirrors the engine's events and settles when the host is done.
 */
export class ListrReporter implements Reporter {
  private hosts = new Map<string, HostLive>();
  private running?: Promise<unknown>;
  private diffs: string[] = [];
  private check = false;

  constructor(private readonly options: TextOptions) {}

  runStart(info: { playbook: string; check: boolean; hosts: string[] }): void {
    this.check = info.check;
    const mode = info.check ? ' (check: nothing will be changed)' : '';
    this.options.write(color.bold(`${info.playbook}${mode}: ${info.hosts.length} host(s)`));
  }

  warning(conflict: TaskConflict): void {
    this.options.write(mask(color.yellow(`warning: ${conflict.message}`)));
  }
  hostUnreachable(host: string, reason: string): void {
    this.options.write(mask(`${color.red('✖')} ${host}: unreachable: ${reason}`));
  }

  playStart(play: { name: string; hosts: string[] }): void {
    this.hosts.clear();
    this.diffs = [];
    for (const host of play.hosts) {
      let done!: HostLive['done'];
      const promise = new Promise<void>((resolve, reject) => (done = { resolve, reject }));
      this.hosts.set(host, { title: host, pending: [], changed: 0, done, promise });
    }
    const listr = new Listr(
      [
        {
          title: `PLAY ${play.name}`,
          task: (_ctx, playTask) =>
            playTask.newListr(
              play.hosts.map((host) => ({
                title: host,
                task: async (_c: unknown, hostTask: HostTask) => {
                  const live = this.hosts.get(host)!;
                  live.task = hostTask;
                  this.refresh(live);
                  await live.promise;
                },
                rendererOptions: { persistentOutput: true, outputBar: Infinity },
              })),
              { concurrent: true, exitOnError: false },
            ),
        },
      ],
      { exitOnError: false, rendererOptions: { collapseSubtasks: false, collapseErrors: false } },
    );
    this.running = listr.run().catch(() => undefined);
  }

  private refresh(live: HostLive): void {
    if (!live.task) return;
    live.task.title = live.title;
    if (live.pending.length > 0) {
      live.task.output = live.pending.join('\n');
      live.pending = [];
    }
  }

  taskStart(event: TaskEvent): void {
    const live = this.hosts.get(event.host);
    if (!live) return;
    live.title = `${event.host} ${color.dim('›')} ${event.handler ? 'handler: ' : ''}${event.task}`;
    this.refresh(live);
  }

  taskResult(event: TaskEvent & { result: TaskResult }): void {
    const live = this.hosts.get(event.host);
    const { result } = event;
    const changes = sealSensitive(result.changes);
    const label = `${event.handler ? 'handler: ' : ''}${event.task}`;
    const notes = result.notes ?? [];
    if (live && ((result.status !== 'ok' && result.status !== 'skipped') || notes.length > 0)) {
      if (result.status === 'changed') live.changed++;
      live.pending.push(mask(`${statusWord(result, this.check)} ${label}`));
      for (const change of changes) live.pending.push(mask(`  ~ ${change.description}`));
      for (const note of notes) live.pending.push(mask(`  i ${note}`));
      if (result.error) live.pending.push(...mask(result.error).split('\n').map((l) => color.red(`  ${l}`)));
      if (result.error && this.options.verbose && result.errorInfo) live.pending.push(...stackLines(result.errorInfo).map((l) => color.dim(mask(`  ${l}`))));
      this.refresh(live);
    }
    if (this.options.diff) {
      for (const change of changes) {
        const diff = renderDiff(change);
        if (diff) this.diffs.push(`${color.bold(`${event.host}: ${label}`)}\n${diff}`);
      }
    }
  }

  hostDone(_play: string, host: string, outcome: { failed: boolean }): void {
    const live = this.hosts.get(host);
    if (!live) return;
    live.title = live.changed > 0 ? `${host} ${color.yellow(`(${live.changed} ${this.check ? 'would change' : 'changed'})`)}` : host;
    this.refresh(live);
    if (outcome.failed) live.done.reject(new Error(`${host} failed`));
    else live.done.resolve();
  }

  async playEnd(): Promise<void> {
    await this.running;
    for (const diff of this.diffs) this.options.write(diff);
  }

  recap(recap: Recap): void {
    this.options.write(`\n${recapText(recap)}`);
  }
}
