import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCliInventory } from '../../src/cli/inventory.ts';
import { ConfigError, VaultError } from '../../src/errors.ts';
import { loadInventory } from '../../src/inventory/load.ts';
import type { Inventory } from '../../src/inventory/types.ts';
import { readAnsibleVaultSecrets } from '../../src/secrets/ansible-vault.ts';
import { isSecret } from '../../src/secrets/secret.ts';

// Inventories, vars files and vault values written by Ansible, and what `ansible-inventory --list`
// read from them (fixtures/inventory/ansible/regenerate.sh). Ansible is not needed to run this.
const DIR = resolve(import.meta.dirname, '../fixtures/inventory/ansible');
const secrets = () => readAnsibleVaultSecrets({ vaultIds: [`default@${join(DIR, 'vault-password')}`, `prod@${join(DIR, 'vault-password-prod')}`] });

/** The plaintexts regenerate.sh encrypted. */
const PLAINTEXTS: Record<string, string> = {
  db_password: 'db password 1.1',
  api_token: 'api token 1.2 prod',
  ansible_become_password: 'db-01 sudo pw',
  web_secret: 'ini web secret',
};
const CONNECTION: Record<string, (c: Inventory['hosts'] extends Map<string, infer H> ? H extends { connection: infer C } ? C : never : never) => unknown> = {
  ansible_host: (c) => c.address,
  ansible_port: (c) => c.port,
  ansible_user: (c) => c.user,
  ansible_become_password: (c) => c.becomePassword?.reveal(),
};

type GroupListing = { hosts?: string[]; children?: string[] };
type Reference = Record<string, GroupListing> & { _meta: { hostvars: Record<string, Record<string, unknown>> } };

function reveal(value: unknown): unknown {
  if (isSecret(value)) return value.reveal();
  if (Array.isArray(value)) return value.map(reveal);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, reveal(item)]));
  return value;
}

/** What shipshape must hold for a value ansible-inventory printed: vault values decrypted, inventory Jinja resolved. */
function expected(key: string, value: unknown, host: string, inventoryDir: string): unknown {
  if (value && typeof value === 'object' && '__ansible_vault' in value) return PLAINTEXTS[key];
  if (typeof value === 'string') return value.replaceAll('{{ inventory_dir }}', inventoryDir).replaceAll('{{ inventory_hostname }}', host);
  return value;
}

function compareWithAnsible(inventory: Inventory, reference: Reference, inventoryDir: string): void {
  const hostvars = reference._meta.hostvars;
  const referenceHosts = new Set(Object.values(reference).flatMap((group) => (group as { hosts?: string[] }).hosts ?? []));
  expect(new Set(inventory.hosts.keys())).toEqual(referenceHosts);
  for (const [name, host] of inventory.hosts) {
    const want = hostvars[name] ?? {};
    const got: Record<string, unknown> = {};
    for (const key of Object.keys(want)) if (Object.hasOwn(CONNECTION, key)) got[key] = CONNECTION[key](host.connection);
    Object.assign(got, reveal(host.vars));
    const wanted = Object.fromEntries(Object.entries(want).map(([key, value]) => [key, expected(key, value, name, inventoryDir)]));
    expect({ host: name, vars: got }).toEqual({ host: name, vars: wanted });
  }
  // Groups: Ansible lists direct hosts and children; shipshape's hosts include the children's.
  const groups = Object.fromEntries(Object.entries(reference).filter(([name]) => name !== '_meta')) as Record<string, GroupListing>;
  const hostsUnder = (group: string): string[] => [...(groups[group]?.hosts ?? []), ...(groups[group]?.children ?? []).flatMap(hostsUnder)];
  for (const [group, spec] of Object.entries(groups)) {
    const mine = inventory.groups.get(group)!;
    expect({ group, children: new Set(mine.children) }).toEqual({ group, children: new Set(spec.children ?? []) });
    expect({ group, hosts: new Set(mine.hosts) }).toEqual({ group, hosts: new Set(hostsUnder(group)) });
  }
}

const reference = (name: string) => JSON.parse(readFileSync(join(DIR, name), 'utf8')) as Reference;

describe('Ansible inventories read as ansible-inventory --list reads them', () => {
  it('a YAML inventory with group_vars (files and folders), host_vars, !vault values 1.1 and 1.2 and an encrypted vars file', async () => {
    const inventory = await loadInventory(join(DIR, 'yaml/hosts.yml'), { ansibleVaultSecrets: secrets });
    compareWithAnsible(inventory, reference('yaml.reference.json'), join(DIR, 'yaml'));
    // The values from an encrypted vars file are secrets too, masked in any output.
    expect(isSecret(inventory.hosts.get('db-01')!.vars.mysql_root_password)).toBe(true);
  });

  it('an INI inventory with group_vars and host_vars', async () => {
    const inventory = await loadInventory(join(DIR, 'ini/hosts'), { ansibleVaultSecrets: secrets });
    compareWithAnsible(inventory, reference('ini.reference.json'), join(DIR, 'ini'));
  });

  it('an inventory file encrypted as a whole (format 1.2, vault id prod)', async () => {
    const inventory = await loadInventory(join(DIR, 'encrypted/hosts'), { ansibleVaultSecrets: secrets });
    compareWithAnsible(inventory, reference('encrypted.reference.json'), join(DIR, 'encrypted'));
  });

  it('!vault values in shipshape\'s own YAML shape, into connection fields too', async () => {
    const values = readFileSync(join(DIR, 'values.yml'), 'utf8');
    const block = (name: string) => values.split(/^(?=\S)/m).find((part) => part.startsWith(`${name}:`))!.replace(/^\S+:/, '');
    const dir = await mkdtemp(join(tmpdir(), 'shipshape-ansible-'));
    const file = join(dir, 'inventory.yaml');
    await writeFile(file, `hosts:\n  a:\n    address: 10.0.0.1\n    password:${block('format_1_2').replace(/^/gm, '  ')}\nvars:\n  note:${block('multiline')}`);
    const inventory = await loadInventory(file, { ansibleVaultSecrets: secrets });
    expect(inventory.hosts.get('a')!.connection.password?.reveal()).toBe('vault 1.2 value, id prod');
    expect(reveal(inventory.hosts.get('a')!.vars.note)).toBe('line one\nline two: ünïcode');
  });

  it('a wrong vault password names the file, the key and the password file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shipshape-ansible-'));
    const wrong = join(dir, 'wrong-password');
    await writeFile(wrong, 'not it\n');
    const error = await loadInventory(join(DIR, 'ini/hosts'), { ansibleVaultSecrets: () => readAnsibleVaultSecrets({ passwordFiles: [wrong] }) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VaultError);
    expect((error as Error).message).toBe(`${join(DIR, 'ini/group_vars/web.yml')}: web_secret: the Ansible Vault value does not open with the password from ${wrong}: wrong password`);
  });
});

describe('vault passwords on the command line, as Ansible takes them', () => {
  it('--vault-id label@file and --vault-password-file open 1.2 and 1.1 values', async () => {
    const { inventory } = await loadCliInventory({
      inventory: join(DIR, 'yaml/hosts.yml'),
      vaultId: [`prod@${join(DIR, 'vault-password-prod')}`],
      vaultPasswordFile: join(DIR, 'vault-password'),
      limit: 'web-01',
    });
    const vars = inventory.hosts.get('web-01')!.vars;
    expect(reveal(vars.api_token)).toBe(PLAINTEXTS.api_token);
    expect(reveal(vars.db_password)).toBe(PLAINTEXTS.db_password);
  });
});

describe('Ansible inventory problems', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shipshape-ansible-'));
  });
  const write = async (name: string, text: string) => {
    const path = join(dir, name);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
    return path;
  };

  it('reports every Jinja expression it cannot evaluate, with the file and the key', async () => {
    const file = await write('jinja/hosts.yml', 'all:\n  hosts:\n    a:\n      url: "http://{{ db_host }}/"\n  vars:\n    ok: "{{ inventory_dir }}"\n');
    await write('jinja/group_vars/all.yml', 'nested:\n  list: ["{% if x %}y{% endif %}"]\n');
    const error = await loadInventory(file, { env: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain(`${file}: a.url: the Jinja expression "{{ db_host }}" is not evaluated by shipshape`);
    expect(message).toContain(`${join(dir, 'jinja/group_vars/all.yml')}: nested.list[0]: the Jinja expression "{% if x %}"`);
    expect(message).not.toContain('all.vars.ok');
    expect(message.split('\n')).toHaveLength(3);
  });

  it('child groups in a cycle are reported by the schema, with the other problems', async () => {
    const file = await write('cycle/hosts', '[a:children]\nb\n[b:children]\na\n[a]\nh1 ansible_port=http\n');
    const error = await loadInventory(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('groups.a.children: child groups form a cycle: a → b → a');
    expect((error as Error).message).toContain('hosts.h1.port: Invalid input: expected number');
  });

  it('says "this looks like an Ansible YAML inventory" when one cannot be read', async () => {
    const file = await write('bad/hosts.yml', 'all:\n  children:\n    web:\n      hosts: [w1, w2]\n      varz: {}\n');
    const error = await loadInventory(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(`${file}: this looks like an Ansible YAML inventory`);
    expect((error as Error).message).toContain('all.children.web.hosts: expected a mapping of host names');
    expect((error as Error).message).toContain('all.children.web.varz: unknown key "varz"');
  });

  it('without a password, a vault value is a clear error naming Ansible\'s options', async () => {
    const error = await loadInventory(join(DIR, 'ini/hosts'), { env: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VaultError);
    expect((error as Error).message).toContain('web.yml: web_secret: holds an Ansible Vault value but no vault password was given: pass --vault-password-file');
  });
});
