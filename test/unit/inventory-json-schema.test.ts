import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import { inventoryJsonSchemaText } from '../../src/inventory/json-schema.ts';
import { loadInventory } from '../../src/inventory/load.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SCHEMA_FILE = join(ROOT, 'schema/inventory.schema.json');
const FIXTURES = join(ROOT, 'test/fixtures/inventory');
const BAD = join(FIXTURES, 'bad');

const committed = readFileSync(SCHEMA_FILE, 'utf8');
const validate = new Ajv2020({ allErrors: true, strict: true }).compile(JSON.parse(committed));

function parse(file: string): unknown {
  const text = readFileSync(file, 'utf8');
  return file.endsWith('.json') ? JSON.parse(text) : YAML.parse(text);
}

/** shipshape-shaped inventories kept in the repo as examples (the Ansible ones, in ansible/, have their own format). */
const EXAMPLES = readdirSync(FIXTURES)
  .filter((name) => /\.(json|ya?ml)$/.test(name))
  .map((name) => join(FIXTURES, name));
const BAD_FILES = readdirSync(BAD).map((name) => join(BAD, name));

describe('the inventory JSON Schema', () => {
  it('is the committed file, regenerated from the zod schema (npm run schema)', () => {
    expect(committed).toBe(inventoryJsonSchemaText());
  });

  it('finds the examples', () => expect(EXAMPLES.length).toBeGreaterThanOrEqual(2));

  it.each(EXAMPLES)('accepts the example %s, which names the schema', (file) => {
    const data = parse(file);
    expect(validate(data), JSON.stringify(validate.errors)).toBe(true);
    expect(readFileSync(file, 'utf8')).toMatch(/(yaml-language-server: \$schema=|"\$schema": )"?\.\.\/\.\.\/\.\.\/schema\/inventory\.schema\.json/);
  });

  it('accepts the README inventory in its JSON spelling', () => {
    const data = {
      defaults: { user: 'deploy', become: true, privateKey: '~/.ssh/id_ed25519' },
      hosts: { 'web-01': { address: '203.0.113.11', vars: { privateAddress: '10.0.0.11' } }, 'web-02': { address: '203.0.113.12', port: 2222 } },
      groups: { web: { hosts: ['web-01', 'web-02'], vars: { appPort: 8000 } } },
      vars: { dbPassword: { $env: 'DB_PASSWORD' } },
    };
    expect(validate(data), JSON.stringify(validate.errors)).toBe(true);
  });

  it.each(BAD_FILES)('rejects the bad input %s, as the loader does', async (file) => {
    expect(validate(parse(file))).toBe(false);
    await expect(loadInventory(file, { env: {} })).rejects.toBeInstanceOf(ConfigError);
  });

  it('rejects a secret spelt with an empty or unknown reference', () => {
    const withPassword = (password: unknown) => ({ hosts: { a: { address: 'x', password } } });
    expect(validate(withPassword({ $env: 'PW' }))).toBe(true);
    expect(validate(withPassword({ $vault: '$shipshape-vault;1;a;b;c' }))).toBe(true);
    expect(validate(withPassword({ $env: '' }))).toBe(false);
    expect(validate(withPassword({ $file: 'pw' }))).toBe(false);
    expect(validate(withPassword(''))).toBe(false);
  });
});
