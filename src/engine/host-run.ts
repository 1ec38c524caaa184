import { ConfigError } from '../errors.ts';
import type { HostView, TaskResult } from '../modules/types.ts';
import { flattenTasks, handlersFor, type Play } from '../playbook/define.ts';
import { isFlushHandlers } from '../playbook/flush-handlers.ts';
import type { Task } from '../playbook/task.ts';
import type { Reporter } from '../report/reporter.ts';
import type { HostConnection } from '../transport/types.ts';
import { count, type HostTally } from './result.ts';
import { traceEvent } from '../util/trace.ts';
import { selectedByTags, type TagFilter } from './tags.ts';
import { runTask, startPlan, type PlanOutcome, type TaskEnv } from './task-run.ts';

/**
 * How many tasks ahead plans may start (bounds what a long play queues in a session at once).
 * SHIPSHAPE_PREFETCH=0 plans each task in its turn, to measure what prefetching saves (bench/).
 */
const PREFETCH_WINDOW = process.env.SHIPSHAPE_PREFETCH === '0' ? 0 : 64;

export interface HostRunOptions extends TagFilter {
  check: boolean;
  baseDir: string;
  signal?: AbortSignal;
  peers?: ReadonlyMap<string, HostConnection>;
  /** Per-command timeout for tasks without their own `timeout`. */
  defaultTimeoutMs?: number;
}

/** What persists for a host across plays of one run. */
export interface HostState {
  view: HostView;
  conn: HostConnection;
  /** Host-level become setting from the inventory. */
  become: boolean;
  registered: Record<string, TaskResult>;
  tally: HostTally;
  /** Under --check: some earlier task of this run would have changed the host. */
  earlierChanges: boolean;
  failed: boolean;
  /** Tasks (or whole plays) SIGINT kept from starting, for the recap. */
  notStarted?: string[];
}

/** Builds the host's task list for a play (the play's tasks may be a function of the host). */
export function expandTasks(play: Play<any>, view: HostView): Task[] {
  const tasks = flattenTasks(typeof play.tasks === 'function' ? play.tasks(view) : play.tasks);
  const handlers = new Set(Object.keys(handlersFor(play, view)));
  for (const task of tasks) {
    for (const name of notifyList(task)) {
      if (!handlers.has(name)) {
        throw new ConfigError(`play "${play.name}", task "${task.name}": notify names unknown handler "${name}"`, {
          host: view.name,
          task: task.name,
        });
      }
    }
  }
  return tasks;
}

function notifyList(task: Task): string[] {
  return [task.options.notify ?? []].flat();
}

/** Runs one host through one play: tasks in order, then the notified handlers once each. */
export async function runHostPlay(
  play: Play<any>,
  tasks: Task[],
  state: HostState,
  reporter: Reporter,
  options: HostRunOptions,
): Promise<void> {
  const notified = new Set<string>();
  const view: HostView = { ...state.view, vars: { ...(play.vars ?? {}), ...state.view.vars } };

  /**
   * Plans started ahead of their task's turn, by position in `selected`. A plan only reads, so the
   * plans of a run of tasks can all start at once and their probes share one round trip (a no-op
   * play costs about one round trip per host, not one per task). What an earlier task changes
   * makes them stale: an apply drops them, and the next task plans alone; planning ahead resumes
   * after a task that changed nothing (so a run that changes task after task does not probe every
   * later task again each time). Tasks whose `when` or arguments read registered results are
   * planned in their turn, as is every task after.
   */
  const prefetched = new Map<number, Promise<PlanOutcome>>();
  let planAhead = true;
  const envFor = (task: Task): TaskEnv => ({
    conn: state.conn,
    host: view,
    check: options.check,
    become: task.options.become ?? play.become ?? state.become,
    registered: state.registered,
    baseDir: options.baseDir,
    earlierChanges: state.earlierChanges,
    signal: options.signal,
    peers: options.peers,
    defaultTimeoutMs: options.defaultTimeoutMs,
    onApply: () => {
      prefetched.clear();
      planAhead = false;
    },
  });
  const prefetchFrom = (start: number): void => {
    for (let i = start; i < selected.length && i < start + PREFETCH_WINDOW; i++) {
      const task = selected[i];
      // Plans made before a flush stay valid unless a handler changes something (onApply drops them).
      if (isFlushHandlers(task)) continue;
      if (task.options.when || typeof task.args === 'function') break;
      prefetched.set(i, startPlan(task, envFor(task)));
    }
  };

  const runOne = async (task: Task, handler: boolean, prefetch?: Promise<PlanOutcome>): Promise<TaskResult> => {
    const event = { play: play.name, host: view.name, task: task.name, handler };
    const ctx = { host: view, registered: state.registered, check: options.check };
    if (task.options.when && !task.options.when(ctx)) {
      const skipped: TaskResult = { status: 'skipped', changes: [], durationMs: 0 };
      record(task, skipped, event);
      return skipped;
    }
    reporter.taskStart(event);
    const result = await runTask(task, envFor(task), prefetch);
    if (result.status === 'failed' && task.options.ignoreErrors) result.ignored = true;
    record(task, result, event);
    traceEvent({ host: view.name, task: task.name, status: result.status, ms: result.durationMs });
    return result;
  };

  const record = (task: Task, result: TaskResult, event: { play: string; host: string; task: string; handler: boolean }) => {
    if (task.options.register) state.registered[task.options.register] = result;
    if (result.status === 'changed') {
      state.earlierChanges = true;
      for (const name of notifyList(task)) notified.add(name);
    }
    count(state.tally, result);
    reporter.taskResult({ ...event, result });
  };

  const handlers = Object.entries(handlersFor(play, view));
  /** The notified handlers, once each in their declared order (end of play, or flushHandlers()). */
  const runNotifiedHandlers = async (): Promise<void> => {
    // Checked as it goes: a handler may notify one declared after it.
    for (const [name, handler] of handlers) {
      if (!notified.delete(name)) continue;
      for (const task of flattenTasks(handler)) {
        const result = await runOne({ ...task, name }, true);
        if (result.status === 'failed' && !result.ignored) state.failed = true;
      }
    }
  };

  const selected = tasks.filter((task) => selectedByTags([...(play.tags ?? []), ...(task.options.tags ?? [])], options));
  for (const [index, task] of selected.entries()) {
    if (options.signal?.aborted) {
      (state.notStarted ??= []).push(...selected.slice(index).map((t) => t.name));
      break;
    }
    if (isFlushHandlers(task)) {
      await runNotifiedHandlers();
      continue;
    }
    if (planAhead && !prefetched.has(index)) {
      prefetchFrom(index);
      traceEvent({ host: view.name, event: 'plans started', from: index });
    }
    const prefetch = prefetched.get(index);
    prefetched.delete(index);
    const result = await runOne(task, false, prefetch);
    if (result.status !== 'changed') planAhead = true;
    if (result.status === 'failed' && !result.ignored) {
      state.failed = true;
      break;
    }
  }

  // Handlers run even after a failure (Ansible's force_handlers), so a changed config is not left
  // unapplied; but not after SIGINT, which means "stop starting things".
  if (!options.signal?.aborted) await runNotifiedHandlers();
  reporter.hostDone(play.name, view.name, { failed: state.failed });
}
