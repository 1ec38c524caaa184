/**
 * `shipshape inventory -i FILE [--limit P] [--json] [-e ...]`: the resolved hosts with their groups,
 * connection and merged vars, secrets masked. Also exports the option handling that every command
 * taking `-i`/`-e`/`--vault-password-file` shares (loadCliInventory).
 */
import type { Command } from 'commander';
import YAML from 'yaml';
import { parseExtraVars } from '../inventory/extra-vars.ts';
import { loadInventory } from '../inventory/load.ts';
import { validateLimit } from '../inventory/patterns.ts';
import { inShard, parseShard } from '../inventory/shard.ts';
import type { Inventory, InventoryHost } from '../inventory/types.ts';
import { mask } from '../secrets/mask.ts';
import { readAnsibleVaultSecrets } from '../secrets/ansible-vault.ts';
import { cachedPassword, readVaultPassword } from '../secrets/vault.ts';

export interface InventoryCliOptions {
  inventory: string;
  limit?: string;
  shard?: string;
  extraVars?: string[];
  vaultPasswordFile?: string;
  /** `--vault-id label@file` (Ansible Vault values), repeatable. */
  vaultId?: string[];
}

/** Collects a repeatable option (`-e a=1 -e b=2`) for commander. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Adds `-i`, `-e`, `--limit`, `--vault-password-file` to a command, as every inventory-using command takes them. */
export function addInventoryOptions(command: Command): Command {
  return command
    .requiredOption('-i, --inventory <file>', 'inventory file (.ts, .json, .yaml, or Ansible INI / YAML)')
    .option('-l, --limit <pattern>', 'only hosts matching this pattern (host, group, glob, a:b, a:&b, a:!b)')
    .option('--shard <K/N>', 'only the K-th of N stable shards of the hosts (one job of a CI matrix)')
    .option('-e, --extra-vars <value>', 'key=value, a JSON object, or @file (repeatable; overrides inventory vars)', collect, [])
    .option('--vault-password-file <file>', 'file holding the vault password (shipshape vault, and Ansible Vault\'s default id)')
    .option('--vault-id <label@file>', 'Ansible Vault password file for a vault id (repeatable; also $ANSIBLE_VAULT_PASSWORD_FILE)', collect, []);
}

/** Loads the inventory the options name and the hosts `--limit` selects (all hosts without it). */
export async function loadCliInventory(options: InventoryCliOptions): Promise<{ inventory: Inventory; hosts: string[] }> {
  const vaultPassword = cachedPassword(() => readVaultPassword({ passwordFile: options.vaultPasswordFile }));
  const extraVars = await parseExtraVars(options.extraVars ?? [], { vaultPassword });
  const ansibleVaultSecrets = () =>
    readAnsibleVaultSecrets({ vaultIds: options.vaultId ?? [], passwordFiles: options.vaultPasswordFile ? [options.vaultPasswordFile] : [] });
  const inventory = await loadInventory(options.inventory, { extraVars, vaultPassword, ansibleVaultSecrets });
  const limited = options.limit === undefined ? [...inventory.hosts.keys()] : validateLimit(inventory, options.limit);
  const shard = options.shard === undefined ? undefined : parseShard(options.shard);
  const hosts = shard ? limited.filter((name) => inShard(name, shard)) : limited;
  return { inventory, hosts };
}

function hostView(host: InventoryHost): Record<string, unknown> {
  const { setByInventory: _set, ...connection } = host.connection;
  return { groups: host.groups, connection, vars: host.vars };
}

/** The JSON shape `--json` prints: plain data with every Secret already masked. */
export function describeInventory(inventory: Inventory, hosts: readonly string[]): Record<string, unknown> {
  const described: Record<string, unknown> = {};
  for (const name of hosts) described[name] = hostView(inventory.hosts.get(name)!);
  const groups: Record<string, string[]> = {};
  for (const group of inventory.groups.values()) {
    const members = group.hosts.filter((host) => hosts.includes(host));
    if (members.length > 0) groups[group.name] = members;
  }
  // Secret#toJSON masks; the round trip turns Secrets into their mask before anything prints them.
  return JSON.parse(JSON.stringify({ source: inventory.source, hosts: described, groups, warnings: inventory.warnings ?? [] }));
}

/** Human-readable listing: one block per host. */
export function formatInventory(inventory: Inventory, hosts: readonly string[]): string {
  const data = describeInventory(inventory, hosts) as { hosts: Record<string, ReturnType<typeof hostView>> };
  const blocks = hosts.map((name) => {
    const host = inventory.hosts.get(name)!;
    const c = host.connection;
    const head = `${name}  ${c.user}@${c.address}:${c.port}${c.become ? '  (become)' : ''}${c.proxyJump ? `  via ${c.proxyJump}` : ''}`;
    const groups = `  groups: ${host.groups.join(', ')}`;
    const vars = Object.keys(host.vars).length === 0 ? '  vars: {}' : `  vars:\n${YAML.stringify(data.hosts[name].vars).trimEnd().replace(/^/gm, '    ')}`;
    return [head, groups, vars].join('\n');
  });
  return mask(`${blocks.join('\n\n')}\n`);
}

export function registerInventoryCommand(program: Command): void {
  addInventoryOptions(program.command('inventory').description('show the resolved hosts, groups, connections and merged vars (secrets masked)'))
    .option('--json', 'print JSON')
    .action(async (options: InventoryCliOptions & { json?: boolean }) => {
      const { inventory, hosts } = await loadCliInventory(options);
      for (const warning of inventory.warnings ?? []) process.stderr.write(`warning: ${mask(warning)}\n`);
      process.stdout.write(
        options.json ? `${mask(JSON.stringify(describeInventory(inventory, hosts), null, 2))}\n` : formatInventory(inventory, hosts),
      );
    });
}
