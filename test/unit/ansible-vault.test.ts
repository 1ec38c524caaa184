import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { VaultError } from '../../src/errors.ts';
import {
  ansibleVaultSources,
  decryptAnsibleVault,
  parseAnsibleVault,
  readAnsibleVaultSecrets,
  type AnsibleVaultSecret,
} from '../../src/secrets/ansible-vault.ts';

// Values written by ansible-vault itself (see fixtures/inventory/ansible/regenerate.sh).
const DIR = resolve(import.meta.dirname, '../fixtures/inventory/ansible');
const values = YAML.parse(readFileSync(join(DIR, 'values.yml'), 'utf8'), {
  customTags: [{ tag: '!vault', resolve: (text: string) => text }],
}) as Record<string, string>;
const DEFAULT: AnsibleVaultSecret = { id: 'default', password: 'correct horse battery', source: 'vault-password' };
const PROD: AnsibleVaultSecret = { id: 'prod', password: 'prod-only-pw', source: 'vault-password-prod' };

describe('Ansible Vault values', () => {
  it('decrypts format 1.1 and 1.2 (vault id) written by ansible-vault', async () => {
    expect(parseAnsibleVault(values.format_1_2).vaultId).toBe('prod');
    expect(await decryptAnsibleVault(values.format_1_1, [DEFAULT])).toBe('vault 1.1 value');
    expect(await decryptAnsibleVault(values.format_1_2, [DEFAULT, PROD])).toBe('vault 1.2 value, id prod');
    expect(await decryptAnsibleVault(values.multiline, [PROD, DEFAULT])).toBe('line one\nline two: ünïcode');
  });

  it('a wrong password names the file, the key and the password file, and no stack trace', async () => {
    const wrong = { ...DEFAULT, password: 'nope' };
    const error = await decryptAnsibleVault(values.format_1_2, [wrong], { file: 'group_vars/web.yml', field: 'api_token' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VaultError);
    expect((error as Error).message).toBe(
      'group_vars/web.yml: api_token: the Ansible Vault value (vault id "prod") does not open with the password from vault-password: wrong password',
    );
    await expect(decryptAnsibleVault(values.format_1_1, [], { file: 'f', field: 'k' })).rejects.toThrow(/f: k: holds an Ansible Vault value but no vault password/);
  });

  it('refuses a tampered value before decrypting (HMAC)', async () => {
    const envelope = parseAnsibleVault(values.format_1_1);
    const flipped = Buffer.from(envelope.ciphertext);
    flipped[0] ^= 1;
    const body = Buffer.from([envelope.salt, envelope.hmac, flipped].map((part) => part.toString('hex')).join('\n')).toString('hex');
    await expect(decryptAnsibleVault(`$ANSIBLE_VAULT;1.1;AES256\n${body}`, [DEFAULT])).rejects.toThrow(/wrong password/);
    await expect(decryptAnsibleVault('$ANSIBLE_VAULT;1.0;AES\nzz', [DEFAULT])).rejects.toThrow(/only 1.1 and 1.2/);
  });

  it('takes passwords as Ansible does: --vault-id label@file, --vault-password-file, then the environment; trims the file', async () => {
    const env = { ANSIBLE_VAULT_PASSWORD_FILE: join(DIR, 'vault-password'), ANSIBLE_VAULT_IDENTITY_LIST: 'prod@/x/prod' };
    expect(ansibleVaultSources({ vaultIds: ['prod@/p', '/d'], passwordFiles: ['/f'], env })).toEqual([
      { id: 'prod', file: '/p' },
      { id: 'default', file: '/d' },
      { id: 'default', file: '/f' },
      { id: 'prod', file: '/x/prod' },
      { id: 'default', file: join(DIR, 'vault-password') },
    ]);
    const secrets = await readAnsibleVaultSecrets({ vaultIds: [`prod@${join(DIR, 'vault-password-prod')}`], env: { ANSIBLE_VAULT_PASSWORD_FILE: join(DIR, 'vault-password') } });
    expect(secrets.map((secret) => [secret.id, secret.password])).toEqual([
      ['prod', 'prod-only-pw'],
      ['default', 'correct horse battery'],
    ]);
    await expect(readAnsibleVaultSecrets({ passwordFiles: [join(DIR, 'missing')] })).rejects.toThrow(/cannot read the Ansible vault password file .*missing: ENOENT/);
  });

  it('runs an executable password file and uses its output, as Ansible does', async () => {
    const script = join(mkdtempSync(join(tmpdir(), 'shipshape-vault-')), 'vault-pass.sh');
    writeFileSync(script, "#!/bin/sh\nprintf 'correct horse battery\\n'\n");
    chmodSync(script, 0o700);
    const [secret] = await readAnsibleVaultSecrets({ passwordFiles: [script] });
    expect(await decryptAnsibleVault(values.format_1_1, [secret])).toBe('vault 1.1 value');
  });
});
