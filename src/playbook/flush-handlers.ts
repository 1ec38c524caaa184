/**
 * `flushHandlers()`: Ansible's `meta: flush_handlers`. The handlers notified so far run at this point
 * of the host's task list instead of at the end of the play, so later tasks of the same play see
 * their effect (HAProxy reloaded with the ACME route before certbot asks for a certificate; mysqld
 * restarted with its replication settings before accounts are created). Handlers notified after
 * it run at the end of the play as usual. It is a directive of the task list, not a module: the
 * engine runs the notified handlers when it reaches it (host-run.ts).
 */
import type { TaskOptions } from '../task/task.ts';

export interface FlushHandlers {
  readonly kind: 'flush-handlers';
  readonly name: string;
  /** Tagged `always`: tags never skip it. */
  readonly options: Omit<TaskOptions, 'name'>;
}

/** Runs the handlers notified so far, now (like tags `always`: tags never skip it). */
export function flushHandlers(): FlushHandlers {
  return { kind: 'flush-handlers', name: 'flush handlers', options: { tags: ['always'] } };
}

export function isFlushHandlers(step: { readonly kind: string }): step is FlushHandlers {
  return step.kind === 'flush-handlers';
}

/** The module tasks of an expanded task list, without its flush directives. */
export function onlyTasks<S extends { readonly kind: string }>(steps: readonly S[]): Exclude<S, FlushHandlers>[] {
  return steps.filter((step): step is Exclude<S, FlushHandlers> => !isFlushHandlers(step));
}
