/**
 * The tags a playbook's tasks carry, read without contacting any host (shell completion of
 * `--tags`): task lists are built per targeted host from what the inventory knows, as preflight
 * does (offline-task-lists.ts). A task function that reads facts cannot be built offline; its tags
 * are not listed.
 */
import type { Inventory } from '../inventory/types.ts';
import { flattenTasks, type Playbook } from '../playbook/define.ts';
import { onlyTasks } from '../playbook/flush-handlers.ts';
import { offlineTaskLists } from './offline-task-lists.ts';

export function playbookTags(playbook: Playbook, inventory: Inventory | undefined, selectHosts: (pattern: string) => string[]): string[] {
  const tags = new Set<string>();
  for (const play of playbook.plays) {
    for (const tag of play.tags ?? []) tags.add(tag);
    if (typeof play.tasks !== 'function') for (const task of onlyTasks(flattenTasks(play.tasks))) for (const tag of task.options.tags ?? []) tags.add(tag);
  }
  // Lists that read facts, or fail for a host, are left out: their tags are learnt at run time.
  const built = inventory ? offlineTaskLists(playbook, inventory, selectHosts) : [];
  for (const { steps } of built) for (const task of onlyTasks(steps ?? [])) for (const tag of task.options.tags ?? []) tags.add(tag);
  return [...tags].sort();
}
