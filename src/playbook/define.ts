import type { HostView } from '../task/types.ts';
import type { Task } from '../task/task.ts';
import type { FlushHandlers } from './flush-handlers.ts';

export type Handlers = Record<string, Task | TaskList>;

/** One entry of a host's task list: a task, or a directive the engine acts on itself. */
export type PlayStep = Task | FlushHandlers;

/** A task list may hold nested lists (roles return arrays) and falsy entries (conditional inclusion). */
export type TaskList = ReadonlyArray<PlayStep | TaskList | false | null | undefined>;

export interface PlayInput<Vars = Record<string, unknown>> {
  name: string;
  /** Host pattern: a host, a group, `all`, globs, `a:b`, `a:&b`, `a:!b`. */
  hosts: string;
  /** Tasks, or a function of the host (its vars and facts, typed) that returns them. */
  tasks: TaskList | ((host: HostView<Vars>) => TaskList);
  /**
   * Handlers by name (or a function of the host returning them); a task's `notify` names them.
   * They run once, at the end of the play, in this order.
   */
  handlers?: Handlers | ((host: HostView<Vars>) => Handlers);
  /** Run through sudo unless a task says otherwise (default: the host's `become`). */
  become?: boolean;
  /** Rolling updates: hosts per batch (a number or a percentage like '50%'). */
  serial?: number | string;
  /**
   * Rolling updates: how many of the play's hosts may fail before the rest are left alone. After a
   * batch in which more hosts failed, no further batch and no later play starts (Ansible's
   * max_fail_percentage, as a count). Absent: every batch runs.
   */
  maxFail?: number;
  /** Tags applied to every task of the play. */
  tags?: string[];
  /** Variables for this play, overridden by host vars and -e. */
  vars?: Partial<Vars>;
}

export interface Play<Vars = Record<string, unknown>> extends PlayInput<Vars> {
  readonly kind: 'play';
}

export interface Playbook {
  readonly kind: 'playbook';
  name?: string;
  plays: Play<any>[];
}

/** Declares one play. Typing `Vars` types `host.vars` in the task function. */
export function play<Vars = Record<string, unknown>>(input: PlayInput<Vars>): Play<Vars> {
  return { kind: 'play', ...input };
}

/** The default export of a playbook file: plays run in order. */
export function definePlaybook(input: Play<any>[] | { name?: string; plays: Play<any>[] }): Playbook {
  return Array.isArray(input) ? { kind: 'playbook', plays: input } : { kind: 'playbook', ...input };
}

/** Flattens nested lists and drops falsy entries. */
export function flattenTasks(list: PlayStep | TaskList): PlayStep[] {
  if (!Array.isArray(list)) return [list as PlayStep];
  const out: PlayStep[] = [];
  for (const entry of list as TaskList) {
    if (!entry) continue;
    if (Array.isArray(entry)) out.push(...flattenTasks(entry));
    else out.push(entry as PlayStep);
  }
  return out;
}

/** The play's handlers for one host. */
export function handlersFor(play: Play<any>, host: HostView<any>): Handlers {
  return typeof play.handlers === 'function' ? play.handlers(host) : (play.handlers ?? {});
}

/** The handler names a step notifies. */
export function notifyList(step: PlayStep): string[] {
  return [step.options.notify ?? []].flat();
}

/** The first task that notifies a handler the play does not declare, with the message saying so. */
export function unknownNotify(play: Play<any>, steps: PlayStep[], handlers: Handlers): { task: string; message: string } | undefined {
  for (const step of steps) {
    for (const name of notifyList(step)) {
      if (!Object.hasOwn(handlers, name)) {
        return { task: step.name, message: `play "${play.name}", task "${step.name}": notify names unknown handler "${name}"` };
      }
    }
  }
  return undefined;
}
