import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, VaultError } from '../../src/errors.ts';
import { parseExtraVars, parseExtraVarsText } from '../../src/inventory/extra-vars.ts';
import { encryptValue } from '../../src/secrets/vault.ts';

describe('parseExtraVarsText', () => {
  it.each([
    ['version=1.2.3', { version: '1.2.3' }],
    ['port=8080', { port: 8080 }],
    ['debug=true', { debug: true }],
    ['list=[1,"a"]', { list: [1, 'a'] }],
    ['empty=', { empty: '' }],
    ['url=https://x.example/?a=b', { url: 'https://x.example/?a=b' }],
    ['a=1 b=two', { a: 1, b: 'two' }],
    ['msg="hello world" n=2 s="2"', { msg: 'hello world', n: 2, s: '2' }],
    ['db.port=3307 db.host=h', { db: { port: 3307, host: 'h' } }],
    ['{"a": {"b": [1]}}', { a: { b: [1] } }],
  ])('%s', (text, expected) => {
    expect(parseExtraVarsText(text)).toEqual(expected);
  });

  it.each([
    ['novalue', 'is not key=value'],
    ['=x', 'is not key=value'],
    ['1abc=x', 'is not a variable name'],
    ['a..b=x', 'is not a variable name'],
    ['{"a": 1', 'not valid JSON'],
    ['[1, 2]', 'is not key=value'],
    ['{"1a": 1}', 'is not a variable name'],
    ['', 'empty value'],
    ['a="open', 'unclosed quote'],
  ])('refuses %j saying what is expected', (text, why) => {
    expect(() => parseExtraVarsText(text)).toThrowError(ConfigError);
    expect(() => parseExtraVarsText(text)).toThrowError(why);
    expect(() => parseExtraVarsText(text)).toThrowError('expected key=value');
  });

  it('never repeats a long value whole in its message', () => {
    const secretish = `x ${'s'.repeat(100)}`;
    expect(() => parseExtraVarsText(secretish)).toThrowError(/…/);
  });
});

describe('parseExtraVars', () => {
  it('merges in order, reads @file JSON/YAML (vault-encrypted too), resolves against cwd', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shipshape-extra-'));
    await writeFile(join(dir, 'a.yaml'), 'db:\n  host: h\n  port: 1\nname: yaml\n');
    await writeFile(join(dir, 'b.json'), `${await encryptValue('{"name": "vaulted"}', 'pw')}\n`);
    const vars = await parseExtraVars(['@a.yaml', 'db.port=2', '@b.json'], { cwd: dir, vaultPassword: () => 'pw' });
    expect(vars).toEqual({ db: { host: 'h', port: 2 }, name: 'vaulted' });

    await expect(parseExtraVars(['@missing.yaml'], { cwd: dir })).rejects.toThrowError(/cannot read .*missing\.yaml \(ENOENT\)/);
    await writeFile(join(dir, 'list.yaml'), '- 1\n- 2\n');
    await expect(parseExtraVars(['@list.yaml'], { cwd: dir })).rejects.toThrowError('must hold an object');
    await writeFile(join(dir, 'broken.yaml'), 'a: [1\nb: 2\n');
    await expect(parseExtraVars(['@broken.yaml'], { cwd: dir })).rejects.toThrowError(/broken\.yaml:\d+: invalid YAML/);
    await expect(parseExtraVars(['@b.json'], { cwd: dir })).rejects.toThrowError('no vault password');
    await expect(parseExtraVars(['@b.json'], { cwd: dir, vaultPassword: () => 'bad' })).rejects.toThrowError(VaultError);
  });
});
