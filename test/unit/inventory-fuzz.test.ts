/**
 * Random input into every parser that reads user text: the only failure allowed is a ConfigError (VaultError is one)
 * (a clear message), never a crash. Seeded, so a failure reproduces; bounded, so the run is short.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import { parseExtraVarsText } from '../../src/inventory/extra-vars.ts';
import { resolveInventoryInput } from '../../src/inventory/load.ts';
import { parseInventoryText } from '../../src/inventory/read.ts';
import { selectHosts } from '../../src/inventory/patterns.ts';
import { completeAnsibleInventory } from '../../src/inventory/ansible-inventory.ts';
import { ansibleYamlToIni } from '../../src/inventory/ansible-yaml.ts';
import { iniToInventoryInput } from '../../src/inventory/ini.ts';

/** mulberry32: a tiny deterministic PRNG. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Pieces that exercise each grammar's special characters and keywords, plus arbitrary characters.
const PIECES = [
  '[', ']', ':', '=', ',', '&', '!', '~', '*', '?', '{', '}', '"', "'", '\\', '#', ';', '\n', ' ', '\t', '@', '.', '-',
  'web', 'all', 'vars', 'children', 'hosts', 'groups', 'address', '$env', '$vault', '__proto__', 'true', 'None',
  '[web]', '[web:vars]', '[g:children]', 'ansible_port=', 'ansible_become=', 'h[1:3]', '{"a":', '- ', '&a', '*b', '!c',
  '0', '65536', '1e999', '\u0000', 'é', '\uD800', '$shipshape-vault;1;', 'hosts:\n  a: {address: x}\n',
];

function randomText(next: () => number): string {
  let text = '';
  const length = Math.floor(next() * 30);
  for (let i = 0; i < length; i++) {
    text += next() < 0.75 ? PIECES[Math.floor(next() * PIECES.length)] : String.fromCharCode(Math.floor(next() * 0x3000));
  }
  return text;
}

function onlyClearErrors(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw new Error(`crash instead of a clear error: ${String(error)}`, { cause: error });
  }
}

async function onlyClearErrorsAsync(run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw new Error(`crash instead of a clear error: ${String(error)}`, { cause: error });
  }
}

const ROUNDS = 1500;

describe('fuzz', () => {
  it('-e parsing never crashes', () => {
    const next = random(1);
    for (let i = 0; i < ROUNDS; i++) {
      const text = randomText(next);
      onlyClearErrors(() => parseExtraVarsText(text));
    }
  });

  it('INI, YAML and JSON inventories, parsed and validated, never crash', async () => {
    const next = random(2);
    let accepted = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const text = randomText(next);
      for (const format of ['ini', 'yaml', 'json'] as const) {
        await onlyClearErrorsAsync(async () => {
          const raw = parseInventoryText(text, format, `fuzz.${format}`);
          await resolveInventoryInput(raw, `fuzz.${format}`, '/tmp', { env: {} });
          accepted++;
        });
      }
    }
    // Some random INI input is a valid inventory (a bare word is a host): the loop did reach the end.
    expect(accepted).toBeGreaterThan(0);
  });

  it('Ansible-shaped YAML trees (groups, children, hosts, vars, Jinja), read and validated, never crash', async () => {
    const next = random(4);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
    const NAMES = ['all', 'web', 'db', 'ungrouped', 'h1', 'h[1:3]', 'h2:22', '__proto__', 'bad name', 'x[9:1]'];
    const VALUES = [null, 1, 'text', '{{ inventory_hostname }}', '{{ other }}', '{% x %}', [1, '{{ inventory_dir }}'], { a: 'b' }, true];
    const tree = (depth: number): unknown => {
      if (depth > 3 || next() < 0.2) return pick(VALUES);
      const node: Record<string, unknown> = {};
      for (let i = Math.floor(next() * 4); i > 0; i--) node[pick([...NAMES, 'hosts', 'children', 'vars', 'hosts', 'children'])] = tree(depth + 1);
      return node;
    };
    let accepted = 0;
    for (let i = 0; i < ROUNDS / 3; i++) {
      const data = { all: tree(0), [pick(NAMES)]: tree(1) } as Record<string, unknown>;
      await onlyClearErrorsAsync(async () => {
        const ini = await completeAnsibleInventory(ansibleYamlToIni(data, 'fuzz.yml'), {
          path: '/nonexistent/fuzz.yml',
          display: 'fuzz.yml',
          secrets: async () => [],
        });
        await resolveInventoryInput(iniToInventoryInput(ini), 'fuzz.yml', '/tmp', { env: {} });
        accepted++;
      });
    }
    expect(accepted).toBeGreaterThan(0);
  });

  it('host patterns never crash', async () => {
    const inventory = await resolveInventoryInput(
      { hosts: { 'web-01': { address: 'a' }, 'db-01': { address: 'b' } }, groups: { web: { hosts: ['web-01'] } } },
      'fuzz',
      '/tmp',
    );
    const next = random(3);
    for (let i = 0; i < ROUNDS; i++) {
      const pattern = randomText(next);
      onlyClearErrors(() => selectHosts(inventory, pattern));
    }
  });
});
