import { ConfigError } from '../errors.ts';
import { selectHosts } from '../inventory/patterns.ts';
import { inShard, parseShard } from '../inventory/shard.ts';
import type { Inventory } from '../inventory/types.ts';
import { loadCliInventory, type InventoryCliOptions } from './inventory.ts';

export { addInventoryOptions, collect, type InventoryCliOptions as InventoryOptions } from './inventory.ts';

/** Loads the inventory (and validates --limit); prints its warnings (plain-text secrets) to stderr. */
export async function loadInventoryFromOptions(options: InventoryCliOptions): Promise<Inventory> {
  const { inventory } = await loadCliInventory(options);
  for (const warning of inventory.warnings ?? []) process.stderr.write(`warning: ${warning}\n`);
  return inventory;
}

/** Host names a pattern selects, within --limit (already validated by loadInventoryFromOptions) and --shard. */
export function hostSelector(inventory: Inventory, options: { limit?: string; shard?: string }): (pattern: string) => string[] {
  const limited = options.limit === undefined ? undefined : new Set(selectHosts(inventory, options.limit));
  const shard = options.shard === undefined ? undefined : parseShard(options.shard);
  return (pattern) => selectHosts(inventory, pattern).filter((name) => (!limited || limited.has(name)) && (!shard || inShard(name, shard)));
}

export function parsePositiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new ConfigError(`${name}: expected a whole number of at least 1, got "${value}"`);
    return n;
  };
}
