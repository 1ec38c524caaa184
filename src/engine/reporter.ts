import type { TaskResult } from '../task/types.ts';
import type { Recap } from './result.ts';
import type { TaskConflict } from './conflicts.ts';

export interface TaskEvent {
  play: string;
  host: string;
  task: string;
  /** True for handlers run at the end of the play. */
  handler?: boolean;
}

/** What the engine tells the outside world, in order. Reporters render it (listr, plain lines, JSON). */
export interface Reporter {
  runStart(info: { playbook: string; check: boolean; hosts: string[] }): void;
  /** Found before any host is contacted, not an error (tasks that fight): shown, never counted. */
  warning?(conflict: TaskConflict): void;
  hostUnreachable(host: string, reason: string): void;
  playStart(play: { name: string; hosts: string[] }): void;
  taskStart(event: TaskEvent): void;
  taskResult(event: TaskEvent & { result: TaskResult }): void;
  hostDone(play: string, host: string, outcome: { failed: boolean }): void;
  playEnd(play: { name: string }): Promise<void> | void;
  recap(recap: Recap): Promise<void> | void;
}
