/**
 * The live view for large fleets: a row per host (listr) stops being readable past a screenful, so
 * above SUMMARY_VIEW_HOSTS hosts each play shows one status line of counts, rewritten in place,
 * and prints only what needs a human: failures (with their error), unreachable hosts, and at the
 * end of the play how many hosts changed and which. The recap names only hosts that are not clean.
 */
import type { Recap } from '../engine/result.ts';
import type { TaskResult } from '../task/types.ts';
import type { Reporter, TaskEvent } from '../engine/reporter.ts';
import { color, recapText } from './format.ts';
import { mask } from '../secrets/mask.ts';
import type { TextOptions } from './plain.ts';

/** Above this many hosts the terminal gets the summary view instead of a row per host. */
export const SUMMARY_VIEW_HOSTS = 50;

/** Hosts named in a list before "and N more". */
const NAMED = 10;

export interface SummaryOptions extends TextOptions {
  /** Rewrites the status line in place (a terminal); undefined: status lines are not shown. */
  status?: (text: string) => void;
  /** Least time between two status lines (default 200 ms). */
  statusIntervalMs?: number;
}

interface PlayCounts {
  name: string;
  hosts: number;
  done: number;
  ok: number;
  changed: number;
  failed: number;
  skipped: number;
  changedHosts: Set<string>;
  failedHosts: Set<string>;
}

function named(hosts: string[]): string {
  const shown = hosts.slice(0, NAMED).join(', ');
  return hosts.length > NAMED ? `${shown} and ${hosts.length - NAMED} more` : shown;
}

export class SummaryReporter implements Reporter {
  private play?: PlayCounts;
  private lastStatus = 0;
  private check = false;

  constructor(private readonly options: SummaryOptions) {}

  runStart(info: { playbook: string; check: boolean; hosts: string[] }): void {
    this.check = info.check;
    const mode = info.check ? ' (check: nothing will be changed)' : '';
    this.options.write(color.bold(`${info.playbook}${mode}: ${info.hosts.length} host(s)`));
  }

  hostUnreachable(host: string, reason: string): void {
    this.print(mask(`${color.red('✖')} ${host}: unreachable: ${reason}`));
  }

  playStart(play: { name: string; hosts: string[] }): void {
    this.play = { name: play.name, hosts: play.hosts.length, done: 0, ok: 0, changed: 0, failed: 0, skipped: 0, changedHosts: new Set(), failedHosts: new Set() };
    this.options.write(color.bold(`PLAY ${play.name} (${play.hosts.length} hosts)`));
    this.showStatus(true);
  }

  taskStart(): void {}

  taskResult(event: TaskEvent & { result: TaskResult }): void {
    const play = this.play;
    const { result } = event;
    if (play) {
      play[result.ignored ? 'ok' : result.status] += 1;
      if (result.status === 'changed') play.changedHosts.add(event.host);
      if (result.status === 'failed' && !result.ignored) play.failedHosts.add(event.host);
    }
    if (result.status === 'failed') {
      const label = `${event.handler ? 'handler: ' : ''}${event.task}`;
      const lines = [`${color.red(result.ignored ? 'failed (ignored)' : 'failed')} ${event.host} › ${label}`];
      if (result.error) lines.push(...result.error.split('\n').map((line) => color.red(`  ${line}`)));
      this.print(mask(lines.join('\n')));
    }
    this.showStatus(false);
  }

  hostDone(): void {
    if (this.play) this.play.done += 1;
    this.showStatus(false);
  }

  playEnd(): void {
    const play = this.play;
    if (!play) return;
    this.clearStatus();
    this.options.write(this.statusText());
    const verb = this.check ? 'would change' : 'changed';
    if (play.changedHosts.size > 0) this.options.write(color.yellow(`  ${verb} on ${play.changedHosts.size} host(s): ${named([...play.changedHosts])}`));
    if (play.failedHosts.size > 0) this.options.write(color.red(`  failed on ${play.failedHosts.size} host(s): ${named([...play.failedHosts])}`));
    this.play = undefined;
  }

  recap(recap: Recap): void {
    const all = Object.entries(recap.hosts);
    const notClean = all.filter(([, t]) => t.changed + t.failed + t.unreachable > 0);
    const shown: Recap = { ...recap, hosts: Object.fromEntries(notClean.slice(0, NAMED * 2)) };
    const sum = (key: 'ok' | 'changed' | 'failed' | 'skipped' | 'unreachable') => all.reduce((s, [, t]) => s + t[key], 0);
    const hidden = notClean.length > NAMED * 2 ? `, ${notClean.length - NAMED * 2} more not shown (--json lists all)` : '';
    this.options.write(`\n${recapText(shown)}`);
    this.options.write(
      `${all.length} hosts: ${all.length - notClean.length} clean, ${notClean.length} changed, failed or unreachable${hidden}; ` +
        `tasks ok=${sum('ok')} changed=${sum('changed')} failed=${sum('failed')} skipped=${sum('skipped')} unreachable=${sum('unreachable')}`,
    );
  }

  private statusText(): string {
    const p = this.play!;
    const word = this.check ? 'would change' : 'changed';
    return `  ${p.done}/${p.hosts} hosts done · tasks ok ${p.ok}, ${word} ${p.changed}, failed ${p.failed}, skipped ${p.skipped}`;
  }

  private showStatus(force: boolean): void {
    if (!this.options.status || !this.play) return;
    const now = performance.now();
    if (!force && now - this.lastStatus < (this.options.statusIntervalMs ?? 200)) return;
    this.lastStatus = now;
    this.options.status(this.statusText());
  }

  private clearStatus(): void {
    this.options.status?.('');
  }

  /** A line above the status line. */
  private print(text: string): void {
    this.clearStatus();
    this.options.write(text);
    this.showStatus(true);
  }
}
