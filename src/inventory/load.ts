/**
 * Loads an inventory in any spelling: read → secret references normalized → one zod schema (every
 * issue listed with its field path) → secrets resolved → groups, vars and connections built.
 */
import { dirname, resolve } from 'node:path';
import { ConfigError } from '../errors.ts';
import { normalizeSecretRefs, resolveSecretRefs } from '../secrets/refs.ts';
import { readAnsibleVaultSecrets, type AnsibleVaultSecret } from '../secrets/ansible-vault.ts';
import { cachedPassword } from '../secrets/vault.ts';
import { formatZodIssues } from '../util/zod-issues.ts';
import { buildInventory } from './build.ts';
import { readInventoryInput } from './read.ts';
import { inventorySchema, type ValidInventoryInput } from './schema.ts';
import type { Inventory } from './types.ts';

export interface LoadInventoryOptions {
  /** Parsed `-e` values (see parseExtraVars): they override every inventory variable. */
  extraVars?: Record<string, unknown>;
  /** Asked once, only if the inventory holds vault values or is vault-encrypted. */
  vaultPassword?: () => Promise<string> | string;
  /** Environment for `$env` references (default process.env). */
  env?: NodeJS.ProcessEnv;
  /**
   * Ansible Vault passwords for `!vault` values and encrypted vars files, asked once and only when
   * one is met (default: the files named by $ANSIBLE_VAULT_PASSWORD_FILE / $ANSIBLE_VAULT_IDENTITY_LIST).
   */
  ansibleVaultSecrets?: () => Promise<readonly AnsibleVaultSecret[]>;
}

/** Validates already-read input data; `file` names it in messages. Exported for inventories built in code. */
export async function resolveInventoryInput(
  raw: unknown,
  file: string,
  baseDir: string,
  options: LoadInventoryOptions = {},
): Promise<Inventory> {
  const normalized = normalizeSecretRefs(raw, [], file);
  const parsed = inventorySchema.safeParse(normalized);
  if (!parsed.success) {
    const count = parsed.error.issues.length;
    throw new ConfigError(`${file}: invalid inventory (${count} ${count === 1 ? 'problem' : 'problems'})\n${formatZodIssues(parsed.error.issues)}`, {
      file,
      field: parsed.error.issues[0]?.path.join('.'),
    });
  }
  const withSecrets = (await resolveSecretRefs(parsed.data, {
    file,
    env: options.env,
    vaultPassword: options.vaultPassword,
  })) as ValidInventoryInput;
  return buildInventory(withSecrets, { source: file, baseDir, extraVars: options.extraVars, env: options.env });
}

export async function loadInventory(file: string, options: LoadInventoryOptions = {}): Promise<Inventory> {
  const path = resolve(file);
  const vaultPassword = options.vaultPassword ? cachedPassword(options.vaultPassword) : undefined;
  const readSecrets = options.ansibleVaultSecrets ?? (() => readAnsibleVaultSecrets({ env: options.env }));
  let secrets: Promise<readonly AnsibleVaultSecret[]> | undefined;
  const ansibleVaultSecrets = () => (secrets ??= Promise.resolve().then(readSecrets));
  const raw = await readInventoryInput(path, file, { vaultPassword, ansibleVaultSecrets });
  return resolveInventoryInput(raw, file, dirname(path), { ...options, vaultPassword });
}
