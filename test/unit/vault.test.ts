import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { encryptString } from '../../src/cli/vault.ts';
import { VaultError } from '../../src/errors.ts';
import { decryptFile, editFile, encryptFile, viewFile } from '../../src/secrets/vault-file.ts';
import { decryptValue, encryptValue, isVaultText, readVaultPassword, VAULT_PREFIX } from '../../src/secrets/vault.ts';

const password = 'vault password for tests';
let line: string;
let dir: string;
beforeAll(async () => {
  line = await encryptValue('the plain value: ünïcödé ✓', password);
  dir = await mkdtemp(join(tmpdir(), 'shipshape-vault-test-'));
});

describe('vault values', () => {
  it('round-trips, as one ASCII line with the documented format', async () => {
    expect(line).toMatch(/^\$shipshape-vault;1;[A-Za-z0-9+/=]+;[A-Za-z0-9+/=]+;[A-Za-z0-9+/=]+$/);
    expect(isVaultText(line)).toBe(true);
    expect(await decryptValue(line, password)).toBe('the plain value: ünïcödé ✓');
  });

  it('uses a fresh salt and IV for every value', async () => {
    const again = await encryptValue('the plain value: ünïcödé ✓', password);
    expect(again).not.toBe(line);
    expect(again.split(';')[2]).not.toBe(line.split(';')[2]);
  });

  it('a wrong password is a VaultError naming file and field', async () => {
    const error = await decryptValue(line, 'not it', { file: 'inv.yaml', field: 'vars.x' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(VaultError);
    expect((error as VaultError).message).toBe('wrong vault password or damaged value (inv.yaml, vars.x)');
    expect((error as VaultError).field).toBe('vars.x');
  });

  it('detects tampering with the ciphertext, the IV, the header, or truncation', async () => {
    const parts = line.split(';');
    const body = Buffer.from(parts[4], 'base64');
    body[0] ^= 1;
    const flipped = [...parts.slice(0, 4), body.toString('base64')].join(';');
    const otherIv = [...parts.slice(0, 3), Buffer.alloc(12).toString('base64'), parts[4]].join(';');
    for (const damaged of [flipped, otherIv, line.replace(';1;', ';2;'), line.slice(0, -8), `${VAULT_PREFIX}a;b`, `${line};x`]) {
      await expect(decryptValue(damaged, password)).rejects.toThrowError('wrong vault password or damaged value');
    }
  });
});

describe('vault files', () => {
  it('encrypts in place with mode 0600, views, decrypts; refuses double encryption', async () => {
    const file = join(dir, 'secrets.yaml');
    await writeFile(file, 'token: abc123\n', { mode: 0o644 });
    await encryptFile(file, password);
    const stored = await readFile(file, 'utf8');
    expect(stored.startsWith(VAULT_PREFIX)).toBe(true);
    expect(stored.trim().split('\n')).toHaveLength(1);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await viewFile(file, password)).toBe('token: abc123\n');
    await expect(encryptFile(file, password)).rejects.toThrowError('already vault-encrypted');
    await expect(viewFile(file, 'wrong')).rejects.toThrowError(`wrong vault password or damaged value (${file})`);
    await decryptFile(file, password);
    expect(await readFile(file, 'utf8')).toBe('token: abc123\n');
    await expect(viewFile(file, password)).rejects.toThrowError('not vault-encrypted');
  });

  it('edit: the editor sees a private plain copy, which is removed; a change is re-encrypted', async () => {
    const file = join(dir, 'edit.yaml');
    let seen = '';
    const changed = await editFile(file, password, async (plain) => {
      expect((await stat(plain)).mode & 0o777).toBe(0o600);
      seen = plain;
      await writeFile(plain, 'new: value\n');
    });
    expect(changed).toBe(true);
    await expect(stat(seen)).rejects.toThrowError(/ENOENT/);
    expect(await viewFile(file, password)).toBe('new: value\n');
    const before = await readFile(file, 'utf8');
    expect(await editFile(file, password, async () => {})).toBe(false);
    expect(await readFile(file, 'utf8')).toBe(before);
    await expect(editFile(file, password, async () => {
      throw new Error('editor crashed');
    })).rejects.toThrowError('editor crashed');
    expect(await readFile(file, 'utf8')).toBe(before);
  });

  it('encrypt-string drops the final newline and can print a YAML entry', async () => {
    const out = await encryptString('hunter22\n', password, 'dbPassword');
    expect(out).toMatch(/^dbPassword: \{ \$vault: "\$shipshape-vault;1;.+" \}$/);
    const value = /"(.+)"/.exec(out)![1];
    expect(await decryptValue(value, password)).toBe('hunter22');
    await expect(encryptString('\n', password)).rejects.toThrowError('empty');
  });
});

describe('readVaultPassword', () => {
  it('prefers --vault-password-file, then the _FILE variable, then the variable; trims one newline', async () => {
    const file = join(dir, 'pw');
    await writeFile(file, 'from-file\n');
    expect(await readVaultPassword({ passwordFile: file, env: { SHIPSHAPE_VAULT_PASSWORD: 'env' } })).toBe('from-file');
    expect(await readVaultPassword({ env: { SHIPSHAPE_VAULT_PASSWORD_FILE: file, SHIPSHAPE_VAULT_PASSWORD: 'env' } })).toBe('from-file');
    expect(await readVaultPassword({ env: { SHIPSHAPE_VAULT_PASSWORD: 'env' } })).toBe('env');
  });

  it('explains where to put it when none is given, and refuses an empty or unreadable one', async () => {
    await expect(readVaultPassword({ env: {} })).rejects.toThrowError(/SHIPSHAPE_VAULT_PASSWORD_FILE.*--vault-password-file/);
    await expect(readVaultPassword({ env: { SHIPSHAPE_VAULT_PASSWORD: '' } })).rejects.toThrowError('empty');
    await expect(readVaultPassword({ passwordFile: join(dir, 'nope'), env: {} })).rejects.toThrowError(/cannot read .*ENOENT/);
  });
});
