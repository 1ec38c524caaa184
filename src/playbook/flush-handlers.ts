/**
 * `flushHandlers()`: Ansible's `meta: flush_handlers`. The handlers notified so far run at this point
 * of the host's task list instead of at the end of the play, so later tasks of the same play see
 * their effect (HAProxy reloaded with the ACME route before certbot asks for a certificate; mysqld
 * restarted with its replication settings before accounts are created). Handlers notified after
 * it run at the end of the play as usual. It is not a module: the engine runs it (host-run.ts).
 */
import { z } from 'zod';
import type { Module } from '../task/types.ts';
import type { Task } from '../task/task.ts';

const flushHandlersModule: Module<Record<string, never>> = {
  name: 'flushHandlers',
  schema: z.strictObject({}),
  describe: () => 'flush handlers',
  // Never called: host-run.ts runs the notified handlers instead of planning this task.
  plan: async () => ({ changes: [] }),
  apply: async () => undefined,
};

/** Runs the handlers notified so far, now (like tags `always`: tags never skip it). */
export function flushHandlers(): Task<Record<string, never>> {
  return { kind: 'task', module: flushHandlersModule, args: {}, name: 'flush handlers', options: { tags: ['always'] } };
}

export function isFlushHandlers(task: Task): boolean {
  return task.module === flushHandlersModule;
}
