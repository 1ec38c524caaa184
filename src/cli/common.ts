import type { Command } from 'commander';
import { ConfigError } from '../errors.ts';
import { loadInventory } from '../inventory/load.ts';
import { parseExtraVars } from '../inventory/extra-vars.ts';
import { selectHosts, validateLimit } from '../inventory/patterns.ts';
import type { Inventory } from '../inventory/types.ts';
import { readVaultPassword } from '../secrets/vault-password.ts';

export interface InventoryOptions {
  inventory?: string;
  extraVars?: string[];
  limit?: string;
  vaultPasswordFile?: string;
}

export function addInventoryOptions(command: Command): Command {
  return command
    .option('-i, --inventory <file>', 'inventory: .ts, .json, .yaml or Ansible INI (default $SHIPSHAPE_INVENTORY)')
    .option('-e, --extra-vars <kv>', 'variable overriding all others: key=value, JSON, or @file (repeatable)', collect, [])
    .option('-l, --limit <pattern>', 'only hosts matching this pattern (a host, group, glob, a:b, a:&b, a:!b)')
    .option('--vault-password-file <file>', 'file holding the vault password (or $SHIPSHAPE_VAULT_PASSWORD_FILE)');
}

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export async function loadInventoryFromOptions(options: InventoryOptions): Promise<Inventory> {
  const file = options.inventory ?? process.env.SHIPSHAPE_INVENTORY;
  if (!file) throw new ConfigError('no inventory: pass -i FILE (or set SHIPSHAPE_INVENTORY)');
  const extraVars = parseExtraVars(options.extraVars ?? []);
  return loadInventory(file, {
    extraVars,
    vaultPassword: () => readVaultPassword({ file: options.vaultPasswordFile }),
  });
}

/** Host names a pattern selects, within --limit. An unknown name in --limit is an error. */
export function hostSelector(inventory: Inventory, limit: string | undefined): (pattern: string) => string[] {
  if (limit !== undefined) validateLimit(inventory, limit);
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
