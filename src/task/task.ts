import { ArgumentError } from '../errors.ts';
import type { Module, TaskContext, TaskResult } from './types.ts';
import { formatZodIssues } from '../util/zod-issues.ts';

/** Options every task accepts, next to its module's arguments (Ansible's task keywords). */
export interface TaskOptions {
  /** The line shown in progress and reports; defaults to the module's description of its args. */
  name?: string;
  /** Skip the task when this returns false. */
  when?: (ctx: RunContext) => boolean;
  tags?: string[];
  /** Handler names to notify when the task changed something. */
  notify?: string | string[];
  /** Run through sudo (overrides the play and host setting). */
  become?: boolean;
  /** A failure is reported but the host carries on. */
  ignoreErrors?: boolean;
  /** Try again up to this many times while the task fails or `until` is false. */
  retries?: number;
  /** Seconds between retries (default 1). */
  delay?: number;
  until?: (result: TaskResult) => boolean;
  /** Store the result for later tasks of the same host. */
  register?: string;
  /** Per-task timeout in seconds for each remote command (default: none beyond the run's). */
  timeout?: number;
}

/** What `when` and lazy arguments can read at run time. */
export type RunContext = Pick<TaskContext, 'host' | 'registered' | 'check'>;

/** Arguments given directly, or computed when the task runs (e.g. from a registered result). */
export type ArgsInput<Args> = Args | ((ctx: RunContext) => Args);

/** A task: plain data built by a module function. */
export interface Task<Args = any> {
  readonly kind: 'task';
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly module: Module<Args, any, any>;
  readonly args: ArgsInput<Args>;
  readonly name: string;
  readonly options: Omit<TaskOptions, 'name'>;
}

export function validateArgs<Args>(module: Module<Args, unknown, unknown>, input: unknown, taskName?: string): Args {
  const parsed = module.schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const where = taskName ? `task "${taskName}" (${module.name})` : module.name;
  throw new ArgumentError(`${where}: invalid arguments\n${formatZodIssues(parsed.error.issues)}`, {
    task: taskName,
  });
}

/**
 * Turns a module into the typed function playbooks call: `apt.packages({ names: ['nginx'] })`.
 * Arguments are validated here, when the playbook is loaded, before any host is contacted.
 */
export function moduleFunction<Args, Data, Input>(module: Module<Args, Data, Input>) {
  return (args: Input | ((ctx: RunContext) => Input), options: TaskOptions = {}): Task<Args> => {
    const { name, ...rest } = options;
    if (typeof args === 'function') {
      // Computed at run time: validated by the engine when the task runs.
      return { kind: 'task', module, args: args as unknown as (ctx: RunContext) => Args, name: name ?? module.name, options: rest };
    }
    const valid = validateArgs(module as Module<Args, unknown, unknown>, args, name);
    return { kind: 'task', module, args: valid, name: name ?? module.describe(valid), options: rest };
  };
}

