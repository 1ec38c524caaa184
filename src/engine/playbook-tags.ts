/**
 * The tags a playbook's tasks carry, read without contacting any host (shell completion of
 * `--tags`): task lists are built per targeted host from what the inventory knows, as preflight
 * does. A task function that reads facts cannot be built offline; its tags are not listed.
 */
import type { Inventory } from '../inventory/types.ts';
import type { HostView } from '../task/types.ts';
import { flattenTasks, type Playbook } from '../playbook/define.ts';
import { unknownFacts } from './preflight.ts';
import { viewOfInventory } from './run.ts';

export function playbookTags(playbook: Playbook, inventory: Inventory | undefined, selectHosts: (pattern: string) => string[]): string[] {
  const tags = new Set<string>();
  const inventoryView = inventory ? viewOfInventory(inventory) : undefined;
  for (const play of playbook.plays) {
    for (const tag of play.tags ?? []) tags.add(tag);
    const lists =
      typeof play.tasks !== 'function'
        ? [play.tasks]
        : !inventory || !inventoryView
          ? []
          : selectHosts(play.hosts).flatMap((name) => {
              const host = inventory.hosts.get(name)!;
              const view: HostView = { name, vars: { ...(play.vars ?? {}), ...host.vars }, facts: unknownFacts, groups: host.groups, inventory: inventoryView };
              try {
                return [(play.tasks as (host: HostView) => Parameters<typeof flattenTasks>[0])(view)];
              } catch {
                return []; // reads facts, or fails for this host: its tags are learnt at run time
              }
            });
    for (const list of lists) for (const task of flattenTasks(list)) for (const tag of task.options.tags ?? []) tags.add(tag);
  }
  return [...tags].sort();
}
