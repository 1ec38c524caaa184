import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import { mask } from '../../src/secrets/mask.ts';
import { normalizeSecretRefs, resolveSecretRefs, secret, SecretRef } from '../../src/secrets/refs.ts';
import { isSecret, MASK } from '../../src/secrets/secret.ts';
import { encryptValue } from '../../src/secrets/vault.ts';

describe('normalizeSecretRefs', () => {
  it('turns { $env } and { $vault } objects and bare vault lines into references, anywhere', () => {
    const out = normalizeSecretRefs({ a: [{ $env: 'X' }], b: { c: { $vault: '$shipshape-vault;1;a;b;c' } }, d: '$shipshape-vault;1;x;y;z', e: 'plain' }) as any;
    expect(out.a[0]).toEqual(new SecretRef('env', 'X'));
    expect(out.b.c).toEqual(new SecretRef('vault', '$shipshape-vault;1;a;b;c'));
    expect(out.d).toBeInstanceOf(SecretRef);
    expect(out.e).toBe('plain');
  });

  it('refuses a reference with extra keys or a non-string value, naming the field', () => {
    expect(() => normalizeSecretRefs({ vars: { pw: { $env: 'X', other: 1 } } }, [], 'inv.json')).toThrowError(ConfigError);
    expect(() => normalizeSecretRefs({ vars: { pw: { $env: 'X', other: 1 } } }, [], 'inv.json')).toThrowError('inv.json: vars.pw: a secret reference');
    expect(() => normalizeSecretRefs({ pw: { $vault: 3 } })).toThrowError('pw: a secret reference');
  });

  it('prints an unresolved reference without the encrypted value', () => {
    expect(JSON.stringify(secret.vault('$shipshape-vault;1;a;b;c'))).toBe('{"$vault":"(encrypted)"}');
  });
});

describe('resolveSecretRefs', () => {
  it('resolves env references into masked Secrets that are scrubbed from any text', async () => {
    const out = (await resolveSecretRefs({ db: { password: secret.env('DB_PASS') } }, { env: { DB_PASS: 'pa55-w0rd-env' } })) as any;
    expect(isSecret(out.db.password)).toBe(true);
    expect(out.db.password.reveal()).toBe('pa55-w0rd-env');
    expect(out.db.password.origin).toBe('env:DB_PASS');
    expect(String(out.db.password)).toBe(MASK);
    expect(JSON.stringify(out)).not.toContain('pa55-w0rd-env');
    expect(mask('mysql -p pa55-w0rd-env')).toBe(`mysql -p ${MASK}`);
  });

  it('does not modify its input', async () => {
    const input = { list: [secret.env('A')] };
    await resolveSecretRefs(input, { env: { A: 'value-a' } });
    expect(input.list[0]).toBeInstanceOf(SecretRef);
  });

  it('vault references need a password, and say how to give one', async () => {
    const line = await encryptValue('vault-plain-value', 'pw');
    await expect(resolveSecretRefs({ x: secret.vault(line) }, { file: 'inv.ts' })).rejects.toThrowError(/inv\.ts: holds vault values but no vault password.*SHIPSHAPE_VAULT_PASSWORD_FILE/);
    const out = (await resolveSecretRefs({ x: secret.vault(line) }, { vaultPassword: () => 'pw' })) as any;
    expect(out.x.reveal()).toBe('vault-plain-value');
    expect(mask('echo vault-plain-value')).toBe(`echo ${MASK}`);
  });
});
