/**
 * Ansible's `!vault |` YAML values: kept as AnsibleVaultText while the file is parsed, then decrypted
 * (Ansible Vault format, see secrets/ansible-vault.ts) into Secrets, each failure naming the file and key.
 */
import type { ScalarTag } from 'yaml';
import { decryptAnsibleVault, type AnsibleVaultSecret } from '../secrets/ansible-vault.ts';
import { Secret } from '../secrets/secret.ts';
import { formatPath } from '../util/zod-issues.ts';
import { isPlainRecord } from './merge.ts';

export class AnsibleVaultText {
  constructor(readonly text: string) {}
  // Printed before decryption, it must not look like a value.
  toJSON(): Record<string, string> {
    return { __ansible_vault: '(encrypted)' };
  }
}

export const vaultTag: ScalarTag = {
  tag: '!vault',
  resolve: (text: string) => new AnsibleVaultText(text) as unknown as string,
};

/** The passwords, read once and only when a vault value is met. */
export type AnsibleVaultSecrets = () => Promise<readonly AnsibleVaultSecret[]>;

export function hasVaultText(tree: unknown): boolean {
  if (tree instanceof AnsibleVaultText) return true;
  if (Array.isArray(tree)) return tree.some(hasVaultText);
  return isPlainRecord(tree) && Object.values(tree).some(hasVaultText);
}

/** Returns a copy of `tree` with every AnsibleVaultText decrypted into a Secret. */
export async function decryptVaultTexts(tree: unknown, file: string, secrets: AnsibleVaultSecrets, path: PropertyKey[] = []): Promise<unknown> {
  if (tree instanceof AnsibleVaultText) {
    const field = formatPath(path);
    return new Secret(await decryptAnsibleVault(tree.text, await secrets(), { file, field }), `ansible-vault:${file}:${field}`);
  }
  if (Array.isArray(tree)) return Promise.all(tree.map((item, index) => decryptVaultTexts(item, file, secrets, [...path, index])));
  if (!isPlainRecord(tree)) return tree;
  const out: Record<string, unknown> = {};
  const entries = await Promise.all(Object.entries(tree).map(async ([key, value]) => [key, await decryptVaultTexts(value, file, secrets, [...path, key])] as const));
  for (const [key, value] of entries) Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  return out;
}
