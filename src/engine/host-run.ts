import { ConfigError } from '../errors.ts';
import type { HostView, TaskResult } from '../task/types.ts';
import { flattenTasks, handlersFor, notifyList, unknownNotify, type Play, type PlayStep } from '../playbook/define.ts';
import { isFlushHandlers } from '../playbook/flush-handlers.ts';
import type { Task } from '../task/task.ts';
import type { Reporter } from './reporter.ts';
import type { PeerLookup } from './on-demand-peers.ts';
import type { HostConnection } from '../transport/types.ts';
import { count, type HostTally } from './result.ts';
import { traceEvent } from '../util/trace.ts';
import { selectedByTags, type TagFilter } from './tags.ts';
import { runTask, startPlan, type PlanOutcome, type TaskEnv } from './task-run.ts';
import { errorInfo } from '../error-info.ts';
import type { PendingHandler, PendingHandlerStore } from './pending-handlers.ts';

/**
 * How many tasks ahead plans may start (bounds what a long play queues in a session at once).
 * SHIPSHAPE_PREFETCH=0 plans each task in its turn, to measure what prefetching saves (bench/).
 */
const PREFETCH_WINDOW = process.env.SHIPSHAPE_PREFETCH === '0' ? 0 : 64;

export interface HostRunOptions extends TagFilter {
  check: boolean;
  baseDir: string;
  signal?: AbortSignal;
  peers?: PeerLookup;
  /** Why a peer must not be used (it failed or never connected); undefined when it may. */
  unusablePeer?: (hostName: string) => string | undefined;
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
  /** Where the host first failed (named when another host asks for it as a peer). */
  failedAt?: { play: string; task: string };
  /** The host's record of handlers notified but not run yet (pending-handlers.ts). */
  pendingStore?: PendingHandlerStore;
  /** What that record holds now, each entry assigned to a play of this run. */
  pending: PendingHandler[];
  /** Tasks (or whole plays) SIGINT kept from starting, for the recap. */
  notStarted?: string[];
}

/** Builds the host's task list for a play (the play's tasks may be a function of the host). */
export function expandTasks(play: Play<any>, view: HostView): PlayStep[] {
  const tasks = flattenTasks(typeof play.tasks === 'function' ? play.tasks(view) : play.tasks);
  const unknown = unknownNotify(play, tasks, handlersFor(play, view));
  if (unknown) throw new ConfigError(unknown.message, { host: view.name, task: unknown.task });
  return tasks;
}

/** The line that reports (and under --check counts) handlers replayed from an interrupted run. */
const PENDING_TASK = 'pending handlers';


/** Runs one host through one play: tasks in order, then the notified handlers once each. */
export async function runHostPlay(
  play: Play<any>,
  tasks: PlayStep[],
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
   * later task again each time). Tasks whose `when` or arguments read registered results, and
   * tasks whose plan waits (Module.waits), are planned in their turn, as is every task after.
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
    unusablePeer: options.unusablePeer,
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
      if (task.options.when || typeof task.args === 'function' || (task.module.waits && i > start)) break;
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

  const markFailed = (task: string): void => {
    state.failed = true;
    state.failedAt ??= { play: play.name, task };
  };

  /**
   * Writes the host's pending handlers (never under --check). Failing to is a failure of the host:
   * the play's handlers still run at its end, only an interruption before then would lose them.
   */
  const savePending = async (): Promise<boolean> => {
    if (options.check || !state.pendingStore) return true;
    try {
      await state.pendingStore.save(state.pending);
      return true;
    } catch (error) {
      const result: TaskResult = { status: 'failed', changes: [], error: error instanceof Error ? error.message : String(error), errorInfo: errorInfo(error), durationMs: 0 };
      count(state.tally, result);
      reporter.taskResult({ play: play.name, host: view.name, task: PENDING_TASK, handler: false, result });
      markFailed(PENDING_TASK);
      return false;
    }
  };
  /** Records on the host, before anything else runs, what a task that changed notified. */
  const remember = async (task: Task): Promise<boolean> => {
    const fresh = notifyList(task).filter((handler) => !state.pending.some((e) => e.play === play.name && e.handler === handler));
    if (fresh.length === 0 || options.check) return true;
    state.pending.push(...fresh.map((handler) => ({ play: play.name, handler })));
    return savePending();
  };
  /** Clears a handler that ran. */
  const forget = async (handler: string): Promise<void> => {
    const before = state.pending.length;
    state.pending = state.pending.filter((e) => !(e.play === play.name && e.handler === handler));
    if (state.pending.length !== before) await savePending();
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
      if (!notified.has(name)) continue;
      // SIGINT: no handler starts; those notified stay recorded on the host for the next run.
      if (options.signal?.aborted) {
        (state.notStarted ??= []).push(`handler "${name}"`);
        continue;
      }
      notified.delete(name);
      let ran = true;
      for (const task of flattenTasks(handler)) {
        // A directive has no meaning among a handler's tasks: handlers are being run already.
        if (isFlushHandlers(task)) continue;
        const result = await runOne({ ...task, name }, true);
        if (result.status === 'changed') await remember(task);
        if (result.status === 'failed' && !result.ignored) {
          markFailed(name);
          ran = false;
        }
      }
      if (ran) await forget(name);
    }
  };

  // Handlers an interrupted run notified on this host and never ran: notified again now.
  const replayed = state.pending.filter((e) => e.play === play.name).map((e) => e.handler);
  if (replayed.length > 0) {
    for (const name of replayed) notified.add(name);
    const event = { play: play.name, host: view.name, task: PENDING_TASK, handler: false };
    const changes = replayed.map((name) => ({ description: `pending from an interrupted run: ${name}` }));
    // Under --check this is a change to come (exit 2); applied, the handlers' own results count.
    const result: TaskResult = options.check
      ? { status: 'changed', changes, durationMs: 0 }
      : { status: 'ok', changes: [], output: { pending: replayed }, durationMs: 0 };
    count(state.tally, result);
    reporter.taskResult({ ...event, result });
  }

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
      markFailed(task.name);
      break;
    }
    if (result.status === 'changed' && !(await remember(task))) break;
  }

  // Handlers run even after a failure (Ansible's force_handlers), so a changed config is not left
  // unapplied; but not after SIGINT, which means "stop starting things" (runNotifiedHandlers starts
  // none then: they stay recorded on the host for the next run).
  await runNotifiedHandlers();
  reporter.hostDone(play.name, view.name, { failed: state.failed });
}
