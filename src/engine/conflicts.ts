/**
 * Tasks that fight: two tasks of one host that manage the same thing (Module.manages) with
 * different wanted states — a file.template and a file.line on one file, a package present in one
 * role and absent in another — change it back and forth on every run and never converge. Found
 * from the task lists alone, before any host is contacted; a warning, not an error.
 */
import type { Inventory } from '../inventory/types.ts';
import type { Managed } from '../task/types.ts';
import type { Playbook } from '../playbook/define.ts';
import type { Task } from '../task/task.ts';
import { onlyTasks } from '../playbook/flush-handlers.ts';
import { offlineTaskLists, type OfflineTaskList } from './offline-task-lists.ts';

/** One task as a warning names it. */
export interface TaskRef {
  play: string;
  /** 1-based position in the play's task list: two tasks may share a name. */
  position: number;
  task: string;
}

/** Two tasks of one host wanting different states of one thing. */
export interface TaskConflict {
  host: string;
  /** The managed key: `file:/etc/x`, `package:nginx`, … */
  thing: string;
  first: TaskRef & { state: string };
  second: TaskRef & { state: string };
  message: string;
}

function label(ref: TaskRef): string {
  return `play "${ref.play}", task ${ref.position} "${ref.task}"`;
}

/** What a task manages, or nothing when it cannot be known before the run (arguments computed at run time). */
function managedBy(task: Task): Managed[] {
  if (typeof task.args === 'function' || !task.module.manages) return [];
  return task.module.manages(task.args);
}

/** The conflicts among one host's tasks, in order (pure: the unit the tests drive). */
export function conflictsOnHost(host: string, tasks: ReadonlyArray<{ play: string; position: number; task: Task }>): TaskConflict[] {
  const wanted = new Map<string, Array<TaskRef & { state: string }>>();
  const conflicts: TaskConflict[] = [];
  const reported = new Set<string>();
  for (const { play, position, task } of tasks) {
    for (const { key, state } of managedBy(task)) {
      const ref = { play, position, task: task.name, state };
      const earlier = wanted.get(key) ?? [];
      const other = earlier.find((e) => e.state !== state);
      // One warning per thing and pair of states: a third task repeating either state adds nothing.
      const pair = other && `${key}\n${[other.state, state].sort().join('\n')}`;
      if (other && pair && !reported.has(pair)) {
        reported.add(pair);
        conflicts.push({
          host,
          thing: key,
          first: other,
          second: ref,
          message: `host ${host}: ${label(other)} and ${label(ref)} both manage ${key} (${other.state} vs ${state}): they undo each other on every run`,
        });
      }
      if (!earlier.some((e) => e.state === state)) wanted.set(key, [...earlier, ref]);
    }
  }
  return conflicts;
}

/** The conflicts of task lists built before the run (offline-task-lists.ts), per host across its plays. */
export function conflictsIn(lists: OfflineTaskList[]): TaskConflict[] {
  const perHost = new Map<string, Array<{ play: string; position: number; task: Task }>>();
  for (const { play, host, steps } of lists) {
    if (!steps) continue; // reads facts, or a mistake the preflight and the run report
    const list = perHost.get(host) ?? [];
    onlyTasks(steps).forEach((task, index) => list.push({ play: play.name, position: index + 1, task }));
    perHost.set(host, list);
  }
  return [...perHost].flatMap(([host, tasks]) => conflictsOnHost(host, tasks));
}

/** Every conflict of the playbook, per targeted host, across its plays (lists that read facts left out). */
export function findConflicts(playbook: Playbook, inventory: Inventory, selectHosts: (pattern: string) => string[]): TaskConflict[] {
  return conflictsIn(offlineTaskLists(playbook, inventory, selectHosts));
}
