/**
 * Before any host is contacted: each play's task list (and handlers) for each targeted host, built
 * once from what is known without a connection (offline-task-lists.ts), so module arguments
 * computed per host are validated up front like static ones, and tasks that fight are found in the
 * same lists. A list that reads facts is validated when the play starts on the host instead.
 */
import { ConfigError } from '../errors.ts';
import type { Inventory } from '../inventory/types.ts';
import type { Playbook } from '../playbook/define.ts';
import { conflictsIn, type TaskConflict } from './conflicts.ts';
import { offlineTaskLists } from './offline-task-lists.ts';

/**
 * Throws a ConfigError naming play, host, task and field for each play's first invalid arguments;
 * else returns the tasks that fight (warnings).
 */
export function preflightPlaybook(playbook: Playbook, inventory: Inventory, selectHosts: (pattern: string) => string[], file: string): TaskConflict[] {
  const lists = offlineTaskLists(playbook, inventory, selectHosts);
  const problems = new Map<string, string>();
  for (const { play, host, error } of lists) {
    // Only argument and handler mistakes are certain here; anything else (a facts read, a helper
    // that needs the host) is left for the real run, which reports it per host. One host per play
    // is enough to show the mistake.
    if (error instanceof ConfigError && !problems.has(play.name)) problems.set(play.name, `play "${play.name}", host ${host}: ${error.message}`);
  }
  if (problems.size > 0) throw new ConfigError(`${file}: ${[...problems.values()].join('\n')}`, { file });
  return conflictsIn(lists);
}
