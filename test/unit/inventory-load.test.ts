import { mkdtemp, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeInventory } from '../../src/cli/inventory.ts';
import { ConfigError, VaultError } from '../../src/errors.ts';
import { loadInventory } from '../../src/inventory/load.ts';
import type { Inventory } from '../../src/inventory/types.ts';
import { isSecret } from '../../src/secrets/secret.ts';
import { encryptValue } from '../../src/secrets/vault.ts';

const FIXTURES = resolve(import.meta.dirname, '../fixtures/inventory');
const env = { SHIPSHAPE_TEST_APP_PASSWORD: 'app-secret-value', SHIPSHAPE_TEST_REPL_PASSWORD: 'repl-secret-value' };

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shipshape-inventory-'));
});

async function write(name: string, content: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

/** Everything but the source name, with Secrets revealed so equal values compare equal. */
function comparable(inventory: Inventory) {
  const reveal = (value: unknown): unknown =>
    isSecret(value) ? `secret:${value.reveal()}` : Array.isArray(value) ? value.map(reveal) : value && typeof value === 'object' ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reveal(v)])) : value;
  return {
    hosts: [...inventory.hosts.values()].map((host) => reveal(host)),
    groups: [...inventory.groups.values()].map((group) => ({ ...group, hosts: group.hosts })).sort((a, b) => a.name.localeCompare(b.name)),
  };
}

async function expectConfigError(promise: Promise<unknown>, ...fragments: string[]): Promise<ConfigError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ConfigError);
  for (const fragment of fragments) expect((error as Error).message).toContain(fragment);
  expect((error as Error).message).not.toMatch(/\n\s+at /);
  return error as ConfigError;
}

describe('every spelling of the site inventory', () => {
  it('loads the same inventory from .ini, .yaml, .json and .ts', async () => {
    const [ini, yaml, json, ts] = await Promise.all(
      ['site.ini', 'site.yaml', 'site.json', 'site.ts'].map((name) => loadInventory(join(FIXTURES, name), { env })),
    );
    expect(comparable(yaml)).toEqual(comparable(ini));
    expect(comparable(json)).toEqual(comparable(ini));
    expect(comparable(ts)).toEqual(comparable(ini));
    expect([...ini.hosts.keys()]).toEqual(['lb-01', 'web-01', 'web-02']);
  });

  it('resolves the Ansible INI contract into typed vars, groups and connections', async () => {
    const inventory = await loadInventory(join(FIXTURES, 'site.ini'), { env });
    const web2 = inventory.hosts.get('web-02')!;
    expect(web2.groups).toEqual(['all', 'webstack', 'db', 'web']);
    expect(web2.connection).toMatchObject({ address: '203.0.113.12', port: 2222, user: 'deploy', become: true });
    expect(web2.connection.privateKey).toBe(join(FIXTURES, 'keys/deploy_ed25519'));
    expect(web2.vars).toMatchObject({
      domains: ['shop.example.com', 'www.shop.example.com'],
      sshAllowFrom: ['198.51.100.0/24', '192.0.2.7/32'],
      mysqlPrimary: 'web-01',
      privateAddress: '10.0.0.12',
      mysqlServerIdBase: 10,
    });
    expect(web2.vars).not.toHaveProperty('ansible_port');
    const password = web2.vars.mysqlAppPassword;
    expect(isSecret(password) && password.reveal()).toBe('app-secret-value');
    expect(inventory.groups.get('webstack')!.hosts).toEqual(['web-01', 'web-02']);
    expect(inventory.groups.get('ungrouped')!.hosts).toEqual([]);
  });

  it('masks secrets in the JSON description', async () => {
    const inventory = await loadInventory(join(FIXTURES, 'site.yaml'), { env });
    const text = JSON.stringify(describeInventory(inventory, [...inventory.hosts.keys()]));
    expect(text).not.toContain('app-secret-value');
    expect(text).toContain('"mysqlAppPassword":"********"');
  });
});

describe('variable precedence', () => {
  it('global < parent group < child group < host < extra vars', async () => {
    const file = await write(
      'precedence.yaml',
      `hosts:
  h1: { address: 10.0.0.1, vars: { level: host, fromHost: 1 } }
  h2: { address: 10.0.0.2 }
groups:
  zeta: { hosts: [h1, h2], vars: { level: zeta, sameDepth: zeta } }
  alpha: { hosts: [h2], vars: { sameDepth: alpha } }
  parent: { children: [child], vars: { level: parent, fromParent: 1 } }
  child: { hosts: [h2], vars: { level: child } }
vars: { level: global, fromGlobal: 1, nested: { a: 1, b: 2 } }
`,
    );
    const inventory = await loadInventory(file);
    expect(inventory.hosts.get('h1')!.vars).toMatchObject({ level: 'host', fromGlobal: 1 });
    // h2: parent (depth 1) before child (depth 2); alpha before zeta at the same depth.
    expect(inventory.hosts.get('h2')!.vars).toMatchObject({ level: 'child', fromParent: 1, sameDepth: 'zeta' });
    expect(inventory.hosts.get('h2')!.groups).toEqual(['all', 'alpha', 'parent', 'zeta', 'child']);

    const overridden = await loadInventory(file, { extraVars: { level: 'extra', nested: { b: 3 } } });
    expect(overridden.hosts.get('h1')!.vars).toMatchObject({ level: 'extra', fromHost: 1, nested: { a: 1, b: 3 } });
  });

  it('connection: defaults < Ansible vars from groups < host fields; ~ expands', async () => {
    const file = await write(
      'connection.ini',
      `[web]
w1 ansible_port=2200
w2 ansible_host=10.1.1.2
[web:vars]
ansible_user=app
ansible_port=2201
[all:vars]
ansible_user=admin
ansible_ssh_private_key_file=~/keys/id
ansible_become_password=sudo-pass-123
`,
    );
    const inventory = await loadInventory(file);
    const w1 = inventory.hosts.get('w1')!.connection;
    const w2 = inventory.hosts.get('w2')!.connection;
    expect(w1).toMatchObject({ address: 'w1', port: 2200, user: 'app' });
    expect(w2).toMatchObject({ address: '10.1.1.2', port: 2201, user: 'app' });
    expect(w1.privateKey).toBe(join(homedir(), 'keys/id'));
    expect(w1.becomePassword?.reveal()).toBe('sudo-pass-123');
    expect(JSON.stringify(w1)).not.toContain('sudo-pass-123');
    expect(w1.setByInventory).toEqual(expect.arrayContaining(['port', 'user', 'privateKey']));
    expect(inventory.warnings?.join('\n')).toContain('defaults.becomePassword');
  });

  it('takes a private key passphrase as a secret, and warns when it is written in plain text', async () => {
    process.env.SHIPSHAPE_TEST_KEY_PHRASE = 'phrase-from-env';
    try {
      const file = await write(
        'passphrase.json',
        JSON.stringify({
          defaults: { privateKey: '/keys/id', privateKeyPassphrase: { $env: 'SHIPSHAPE_TEST_KEY_PHRASE' } },
          hosts: { a: { address: '127.0.0.1' }, b: { address: '127.0.0.2', privateKeyPassphrase: 'plain-phrase' } },
        }),
      );
      const inventory = await loadInventory(file);
      expect(inventory.hosts.get('a')!.connection.privateKeyPassphrase?.reveal()).toBe('phrase-from-env');
      expect(JSON.stringify(inventory.hosts.get('a')!.connection)).not.toContain('phrase-from-env');
      expect(inventory.hosts.get('b')!.connection.privateKeyPassphrase?.reveal()).toBe('plain-phrase');
      expect(inventory.warnings?.join('\n')).toContain('hosts.b.privateKeyPassphrase holds plain text');
    } finally {
      delete process.env.SHIPSHAPE_TEST_KEY_PHRASE;
    }
  });

  it('fills unset connection settings with defaults and does not claim them', async () => {
    const file = await write('bare.json', '{"hosts": {"a": {"address": "127.0.0.1"}}}');
    const connection = (await loadInventory(file)).hosts.get('a')!.connection;
    expect(connection).toMatchObject({ port: 22, become: false, connectTimeout: 10 });
    expect(connection.setByInventory).toEqual([]);
  });
});

describe('inventory errors name the file and the field', () => {
  it('lists every schema problem with its path', async () => {
    const file = await write(
      'bad.yaml',
      `hosts:
  web-1: { address: 10.0.0.1, prot: 22 }
  web-2: { address: 10.0.0.2, port: 70000 }
groups:
  web: { hosts: [web-1, web-3] }
`,
    );
    const error = await expectConfigError(
      loadInventory(file),
      `${file}: invalid inventory (3 problems)`,
      'hosts.web-1: Unrecognized key: "prot"',
      'hosts.web-2.port:',
      'groups.web.hosts[1]: unknown host "web-3"',
    );
    expect(error.file).toBe(file);
  });

  it('reports a type error and an unknown host in one run', async () => {
    const file = await write('both.yaml', 'hosts:\n  web-1: { address: 10.0.0.1, port: ssh }\ngroups:\n  web: { hosts: [web-1, web-9] }\n');
    await expectConfigError(
      loadInventory(file),
      `${file}: invalid inventory (2 problems)`,
      'hosts.web-1.port: Invalid input: expected number, received string',
      'groups.web.hosts[1]: unknown host "web-9"',
    );
  });

  it('rejects unknown child groups, cycles, groups named like hosts and bad names', async () => {
    const file = await write(
      'groups.json',
      JSON.stringify({
        hosts: { db: { address: 'x' }, 'bad name': { address: 'y' } },
        groups: {
          a: { children: ['b', 'nope'] },
          b: { children: ['a'] },
          db: { hosts: ['db'] },
        },
      }),
    );
    await expectConfigError(
      loadInventory(file),
      'groups.a.children[1]: unknown group "nope"',
      'child groups form a cycle: a → b → a',
      'groups.db: group "db" has the same name as a host',
      'hosts.bad name: invalid host name',
    );
  });

  it('names the line of a YAML or JSON syntax error', async () => {
    const yaml = await write('syntax.yaml', 'hosts:\n  a: { address: x }\n  a: { address: y }\n');
    await expectConfigError(loadInventory(yaml), `${yaml}:3`, 'invalid YAML');
    const json = await write('syntax.json', '{\n  "hosts": {\n    "a": { "address": "x", }\n  }\n}\n');
    await expectConfigError(loadInventory(json), `${json}:3:`, 'invalid JSON');
  });

  it('names the file of a TypeScript inventory that throws, does not compile, or exports nothing', async () => {
    const throws = await write('throws.ts', "throw new Error('boom in inventory');\nexport default {};\n");
    await expectConfigError(loadInventory(throws), throws, 'boom in inventory');
    const broken = await write('broken.ts', 'export default { hosts: { a: { address: "x" } }\n');
    await expectConfigError(loadInventory(broken), broken, 'failed to load');
    const empty = await write('empty.ts', 'export const x = 1;\n');
    await expectConfigError(loadInventory(empty), empty, 'no default export');
  });

  it('reports a missing file, an unknown extension and an INI syntax error with file:line', async () => {
    await expectConfigError(loadInventory(join(dir, 'missing.yaml')), 'missing.yaml: inventory file not found');
    const txt = await write('inventory.txt', '');
    await expectConfigError(loadInventory(txt), 'unknown inventory format ".txt"');
    const ini = await write('hosts', '[web]\nw1\n[web:vars]\nnot a definition\n');
    await expectConfigError(loadInventory(ini), `${ini}:4: expected key=value`);
  });

  it('names every missing environment variable and where it was referenced', async () => {
    const file = await write(
      'env.yaml',
      `hosts:
  a: { address: x, becomePassword: { $env: SUDO_PW_NOT_SET } }
vars: { dbPassword: { $env: DB_PW_NOT_SET } }
`,
    );
    await expectConfigError(
      loadInventory(file, { env: {} }),
      `${file}: missing environment variables`,
      'hosts.a.becomePassword: environment variable SUDO_PW_NOT_SET is not set',
      'vars.dbPassword: environment variable DB_PW_NOT_SET is not set',
    );
  });

  it('validates Ansible connection variables set on groups', async () => {
    const file = await write('badport.ini', '[web]\nw1\n[web:vars]\nansible_port=http\n');
    await expectConfigError(loadInventory(file), 'hosts.w1: invalid Ansible connection variable', 'port');
  });
});

describe('vault values in inventories', () => {
  it('decrypts $vault values, bare vault lines and whole encrypted files; asks the password once', async () => {
    const password = 'correct horse';
    const [a, b] = await Promise.all([encryptValue('vault-value-a', password), encryptValue('vault-value-b', password)]);
    const file = await write('vaulted.yaml', `hosts:\n  h: { address: x }\nvars:\n  a: { $vault: "${a}" }\n  b: "${b}"\n`);
    let asked = 0;
    const inventory = await loadInventory(file, { vaultPassword: () => (asked++, password) });
    const vars = inventory.hosts.get('h')!.vars;
    expect((vars.a as { reveal(): string }).reveal()).toBe('vault-value-a');
    expect((vars.b as { reveal(): string }).reveal()).toBe('vault-value-b');
    expect(asked).toBe(1);

    const whole = await write('whole.json', `${await encryptValue('{"hosts": {"h": {"address": "10.9.9.9"}}}', password)}\n`);
    expect((await loadInventory(whole, { vaultPassword: () => password })).hosts.get('h')!.connection.address).toBe('10.9.9.9');
    await expectConfigError(loadInventory(whole), 'vault-encrypted');
  });

  it('a wrong password is a VaultError naming file and field', async () => {
    const line = await encryptValue('s3cret-value', 'right');
    const file = await write('wrongpw.yaml', `hosts:\n  h: { address: x }\nvars:\n  token: { $vault: "${line}" }\n`);
    const error = await loadInventory(file, { vaultPassword: () => 'wrong' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(VaultError);
    expect((error as Error).message).toBe(`wrong vault password or damaged value (${file}, vars.token)`);
  });
});
