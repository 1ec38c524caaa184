import { ShipshapeError, TaskError } from '../errors.ts';
import type { HostView, Plan, TaskContext, TaskResult } from '../task/types.ts';
import { validateArgs, type Task } from '../task/task.ts';
import { coalesce } from '../task/coalesce.ts';
import { sealSensitive } from '../task/sensitive.ts';
import { throwIfFailed } from '../transport/command-failure.ts';
import { attachTaskContext, errorInfo } from '../error-info.ts';
import type { ExecOptions, HostConnection } from '../transport/types.ts';
import type { PeerLookup } from './on-demand-peers.ts';

/** Everything one task needs to run on one host. */
export interface TaskEnv {
  conn: HostConnection;
  host: HostView;
  check: boolean;
  /** Whether the task runs through sudo (task > play > host setting). */
  become: boolean;
  registered: Record<string, TaskResult>;
  baseDir: string;
  /** Under --check: earlier tasks of this run would have changed this host. */
  earlierChanges: boolean;
  /** Timeout for each remote command of a task that sets none of its own (apply --timeout). */
  defaultTimeoutMs?: number;
  /** Aborts between retries (SIGINT). */
  signal?: AbortSignal;
  /** Connections to the other hosts of the run, for modules that need a peer. */
  peers?: PeerLookup;
  /** Why a peer must not be used (it failed earlier in the run, or never connected). */
  unusablePeer?: (hostName: string) => string | undefined;
  /** Called just before the task changes the host: plans made before that are stale. */
  onApply?: () => void;
}

export function makeContext(task: Task, env: TaskEnv): TaskContext {
  const timeoutMs = task.options.timeout === undefined ? env.defaultTimeoutMs : task.options.timeout * 1000;
  const exec: TaskContext['exec'] = (command, options: ExecOptions = {}) =>
    env.conn.exec(command, { become: env.become, timeoutMs, ...options });
  return {
    host: env.host,
    check: env.check,
    task: task.name,
    registered: env.registered,
    baseDir: env.baseDir,
    exec,
    coalesce: (kind, item) => coalesce(env.conn, env.become, kind, exec, item),
    peer(hostName, options) {
      const unusable = env.unusablePeer?.(hostName);
      if (unusable !== undefined) {
        throw new TaskError(`peer ${hostName} is not used as a source: ${unusable}`, { host: env.host.name, task: task.name });
      }
      const conn = env.peers?.get(hostName, options);
      if (!conn) {
        const why = env.host.inventory.hosts[hostName] ? 'is not connected in this run (left out by --limit?)' : 'is not in the inventory';
        throw new TaskError(`host "${hostName}" ${why}`, { host: env.host.name, task: task.name });
      }
      return conn;
    },
    async run(command, options) {
      return throwIfFailed(await exec(command, options));
    },
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** A task's first half done ahead of its turn: its arguments and plan, or why they failed. */
export type PlanOutcome = { args: unknown; plan: Plan } | { error: unknown };

/**
 * Starts planning a task now. The plan's probe commands go into the host's session at once and
 * bash runs queued commands back to back, so plans started together cost about one round trip in
 * all instead of one each (host-run.ts decides when a plan may run early). Never rejects.
 */
export function startPlan(task: Task, env: TaskEnv): Promise<PlanOutcome> {
  const ctx = makeContext(task, env);
  return (async () => {
    const args = typeof task.args === 'function' ? validateArgs(task.module, task.args(ctx), task.name) : task.args;
    return { args, plan: await task.module.plan(ctx, args) };
  })().catch((error: unknown) => ({ error }));
}

/**
 * Plans one task and, unless in check mode, applies exactly the planned changes.
 * Retries while it fails or while `until` says no.
 */
export async function runTask(task: Task, env: TaskEnv, prefetched?: Promise<PlanOutcome>): Promise<TaskResult> {
  const attempts = 1 + (task.options.retries ?? 0);
  let result: TaskResult | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    // A plan made ahead of time stands for the first attempt only; a retry plans again.
    result = await runOnce(task, env, attempt === 1 ? prefetched : undefined);
    const satisfied = result.status !== 'failed' && (task.options.until ? task.options.until(result) : true);
    if (satisfied || attempt === attempts || env.signal?.aborted) break;
    await sleep((task.options.delay ?? 1) * 1000, env.signal);
  }
  if (task.options.until && result && result.status !== 'failed' && !task.options.until(result)) {
    const message = `"until" condition still false after ${attempts} attempt(s)`;
    return { ...result, status: 'failed', error: message, errorInfo: { class: 'TaskError', message, host: env.host.name, task: task.name } };
  }
  return result!;
}

async function runOnce(task: Task, env: TaskEnv, prefetched?: Promise<PlanOutcome>): Promise<TaskResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const ctx = makeContext(task, env);
  const where = { host: env.host.name, task: task.name };
  let args: unknown;
  let plan: Plan;
  try {
    const outcome = await (prefetched ?? startPlan(task, env));
    if ('error' in outcome) throw outcome.error;
    ({ args, plan } = outcome);
  } catch (error) {
    if (env.check && env.earlierChanges) {
      // The state this task reads does not exist yet because an earlier task would have created it
      // (the service whose package is not installed yet). A real run would get further: say so
      // instead of failing or pretending nothing would change.
      return {
        status: 'changed',
        afterEarlierChanges: true,
        changes: [{ description: `would change, after earlier changes (cannot plan yet: ${errorMessage(error)})` }],
        durationMs: elapsed(),
      };
    }
    return failed(error, elapsed(), where);
  }
  const notes = plan.notes?.length ? { notes: plan.notes } : {};
  const upkeep = plan.upkeep === true && !env.check;
  if (plan.changes.length === 0 && !upkeep) {
    return { status: 'ok', changes: [], ...notes, output: planOutput(plan), durationMs: elapsed() };
  }
  // What the result (and so every reporter and later task) sees: a sensitive file's change
  // without its text. The plan itself goes to apply unchanged.
  const changes = sealSensitive(plan.changes);
  if (env.check) {
    return { status: 'changed', changes, ...notes, output: planOutput(plan), durationMs: elapsed() };
  }
  try {
    env.onApply?.();
    const applied = (await task.module.apply(ctx, args, plan)) ?? {};
    // Upkeep alone (no planned change) is not a change unless apply says it turned into one.
    const status = (applied.changed ?? plan.changes.length > 0) ? 'changed' : 'ok';
    return { status, changes: status === 'ok' ? [] : changes, ...notes, output: applied.output ?? planOutput(plan), durationMs: elapsed() };
  } catch (error) {
    return { ...failed(error, elapsed(), where), changes, ...notes };
  }
}

/** What a plan gives as the task's output when apply does not run (Plan.output). */
function planOutput(plan: Plan): Record<string, unknown> | undefined {
  return plan.output;
}

function errorMessage(error: unknown): string {
  if (error instanceof ShipshapeError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}

/** A failed result: the message for people, the structured error (host and task attached) for --json and -v. */
function failed(error: unknown, durationMs: number, context: { host: string; task: string }): TaskResult {
  attachTaskContext(error, context);
  return { status: 'failed', changes: [], error: errorMessage(error), errorInfo: errorInfo(error), durationMs };
}
