import { ConfigError } from '../errors.ts';
import { selectHosts } from '../inventory/patterns.ts';
import type { Inventory } from '../inventory/types.ts';
import { loadCliInventory, type InventoryCliOptions } from './inventory.ts';

export { addInventoryOptions, collect, type InventoryCliOptions as InventoryOptions } from './inventory.ts';

/** Loads the inventory (and validates --limit); prints its warnings (plain-text secrets) to stderr. */
export async function loadInventoryFromOptions(options: InventoryCliOptions): Promise<Inventory> {
  const { inventory } = await loadCliInventory(options);
  for (const warning of inventory.warnings ?? []) process.stderr.write(`warning: ${warning}\n`);
  return inventory;
}

/** Host names a pattern selects, within --limit (already validated by loadInventoryFromOptions). */
export function hostSelector(inventory: Inventory, limit: string | undefined): (pattern: string) => string[] {
  const limited = limit === undefined ? undefined : new Set(selectHosts(inventory, limit));
  return (pattern) => selectHosts(inventory, pattern).filter((name) => !limited || limited.has(name));
}

export function parsePositiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new ConfigError(`${name}: expected a whole number of at least 1, got "${value}"`);
    return n;
  };
}
