/**
 * Before any host is contacted: builds each play's task list (and handlers) for each targeted host
 * from what is known without a connection (name, vars, groups), so module arguments computed per
 * host are validated up front like static ones. A task function that reads facts cannot be built
 * yet: reading `host.facts` stops that host's preflight quietly, and its arguments are validated
 * when the play starts on the host instead.
 */
import { ConfigError } from '../errors.ts';
import type { HostFacts } from '../facts/types.ts';
import type { Inventory } from '../inventory/types.ts';
import type { HostView } from '../task/types.ts';
import type { Playbook } from '../playbook/define.ts';
import { expandTasks } from './host-run.ts';
import { viewOfInventory } from './run.ts';

class FactsNotGathered extends Error {}

/** Facts that do not exist yet: any read ends the preflight of this host. */
export const unknownFacts = new Proxy({} as HostFacts, {
  get(_target, property) {
    // Promise resolution and inspection probe `then` and symbols; they must not count as reads.
    if (typeof property === 'symbol' || property === 'then') return undefined;
    throw new FactsNotGathered(String(property));
  },
});

/** Throws a ConfigError naming play, host, task and field for the first invalid arguments found. */
export function preflightPlaybook(playbook: Playbook, inventory: Inventory, selectHosts: (pattern: string) => string[], file: string): void {
  const inventoryView = viewOfInventory(inventory);
  const problems: string[] = [];
  for (const play of playbook.plays) {
    if (typeof play.tasks !== 'function' && typeof play.handlers !== 'function') continue; // checked at load
    for (const name of selectHosts(play.hosts)) {
      const host = inventory.hosts.get(name)!;
      const view: HostView = { name, vars: { ...(play.vars ?? {}), ...host.vars }, facts: unknownFacts, groups: host.groups, inventory: inventoryView };
      try {
        expandTasks(play, view);
      } catch (error) {
        // Only argument and handler mistakes are certain here; anything else (a facts read, a
        // helper that needs the host) is left for the real run, which reports it per host.
        if (error instanceof ConfigError) {
          problems.push(`play "${play.name}", host ${name}: ${error.message}`);
          break; // one host per play is enough to show the mistake
        }
      }
    }
  }
  if (problems.length > 0) throw new ConfigError(`${file}: ${problems.join('\n')}`, { file });
}
