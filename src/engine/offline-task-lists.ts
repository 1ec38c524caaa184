/**
 * Task lists built before any host is contacted, from what is known without a connection (name,
 * vars, groups; no facts), for the checks that come before the first connection: argument
 * validation (preflight.ts), tasks that fight (conflicts.ts), and the tags shell completion offers
 * (playbook-tags.ts). A run builds each play's list for each targeted host here once, for all of
 * them. A task function that reads facts cannot be built yet: reading `host.facts` ends that
 * list, which the real run builds when the play starts on the host.
 */
import type { HostFacts } from '../facts/types.ts';
import type { Inventory } from '../inventory/types.ts';
import type { HostView } from '../task/types.ts';
import type { Play, Playbook, PlayStep } from '../playbook/define.ts';
import { expandTasks } from './host-run.ts';
import { viewOfInventory } from './run.ts';

class FactsNotGathered extends Error {}

/** Facts that do not exist yet: any read ends the list being built. */
export const unknownFacts = new Proxy({} as HostFacts, {
  get(_target, property) {
    // Promise resolution and inspection probe `then` and symbols; they must not count as reads.
    if (typeof property === 'symbol' || property === 'then') return undefined;
    throw new FactsNotGathered(String(property));
  },
});

/** One play's task list for one host: its steps, or what stopped them from being built. */
export interface OfflineTaskList {
  play: Play<any>;
  host: string;
  steps?: PlayStep[];
  /** A mistake in the play (a ConfigError), a facts read, or anything else the task function threw. */
  error?: unknown;
}

/** Every play's task list for each host it targets, each built once. */
export function offlineTaskLists(playbook: Playbook, inventory: Inventory, selectHosts: (pattern: string) => string[]): OfflineTaskList[] {
  const inventoryView = viewOfInventory(inventory);
  const lists: OfflineTaskList[] = [];
  for (const play of playbook.plays) {
    for (const name of selectHosts(play.hosts)) {
      const host = inventory.hosts.get(name);
      if (!host) continue;
      const view: HostView = { name, vars: { ...(play.vars ?? {}), ...host.vars }, facts: unknownFacts, groups: host.groups, inventory: inventoryView };
      try {
        lists.push({ play, host: name, steps: expandTasks(play, view) });
      } catch (error) {
        lists.push({ play, host: name, error });
      }
    }
  }
  return lists;
}
