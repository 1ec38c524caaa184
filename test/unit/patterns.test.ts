import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import { resolveInventoryInput } from '../../src/inventory/load.ts';
import { globToRegExp, selectHosts, selectPlayHosts, validateLimit } from '../../src/inventory/patterns.ts';
import type { Inventory } from '../../src/inventory/types.ts';

let inventory: Inventory;
beforeAll(async () => {
  // Declared out of alphabetical order on purpose: results must follow this order.
  inventory = await resolveInventoryInput(
    {
      hosts: {
        'web-02': { address: '10.0.0.2' },
        'lb-01': { address: '10.0.0.1' },
        'web-01': { address: '10.0.0.3' },
        'web-03': { address: '10.0.0.4' },
        'db-01': { address: '10.0.0.5' },
        loner: { address: '10.0.0.6' },
      },
      groups: {
        web: { hosts: ['web-01', 'web-02', 'web-03'] },
        db: { hosts: ['web-01', 'web-02', 'db-01'] },
        lb: { hosts: ['lb-01'] },
        frontend: { children: ['lb', 'web'] },
      },
    },
    'patterns.yaml',
    '/tmp',
  );
});

describe('selectHosts', () => {
  it.each([
    ['web-01', ['web-01']],
    ['web', ['web-02', 'web-01', 'web-03']],
    ['all', ['web-02', 'lb-01', 'web-01', 'web-03', 'db-01', 'loner']],
    ['*', ['web-02', 'lb-01', 'web-01', 'web-03', 'db-01', 'loner']],
    ['ungrouped', ['loner']],
    ['frontend', ['web-02', 'lb-01', 'web-01', 'web-03']],
    ['web-*', ['web-02', 'web-01', 'web-03']],
    ['web-0[12]', ['web-02', 'web-01']],
    ['web-0[!12]', ['web-03']],
    ['web-0?', ['web-02', 'web-01', 'web-03']],
    ['~(lb|db)-\\d+', ['lb-01', 'db-01']],
    ['lb:db', ['web-02', 'lb-01', 'web-01', 'db-01']],
    ['lb,db', ['web-02', 'lb-01', 'web-01', 'db-01']],
    ['web:&db', ['web-02', 'web-01']],
    ['web:!db', ['web-03']],
    ['&db', ['web-02', 'web-01', 'db-01']],
    ['!web', ['lb-01', 'db-01', 'loner']],
    ['nothing-here', []],
    ['', []],
  ])('%s', (pattern, expected) => {
    expect(selectHosts(inventory, pattern)).toEqual(expected);
  });

  it('evaluates unions, then intersections, then exclusions, whatever the written order', () => {
    // Read left to right, '!db' would remove from nothing and the result would be all of web and lb.
    expect(selectHosts(inventory, '!db:web:lb')).toEqual(['lb-01', 'web-03']);
    expect(selectHosts(inventory, '&web:db:lb')).toEqual(['web-02', 'web-01']);
    expect(selectHosts(inventory, 'db:!web-01:&web:lb')).toEqual(['web-02']);
  });

  it('treats a glob as matching group names too', () => {
    expect(selectHosts(inventory, 'front*')).toEqual(['web-02', 'lb-01', 'web-01', 'web-03']);
  });
});

describe('validateLimit', () => {
  it('returns the selected hosts for known names and globs', () => {
    expect(validateLimit(inventory, 'web:!web-03')).toEqual(['web-02', 'web-01']);
  });

  it('refuses an unknown name, naming it and the inventory', () => {
    expect(() => validateLimit(inventory, 'web:wbe-01,web-9*')).toThrowError(ConfigError);
    expect(() => validateLimit(inventory, 'web:wbe-01,web-9*')).toThrowError(/unknown host or group "wbe-01", "web-9\*" in patterns\.yaml/);
    expect(() => validateLimit(inventory, 'web:!typo')).toThrowError(/"typo"/);
  });

  it('refuses a limit that selects no host, and an empty one', () => {
    expect(() => validateLimit(inventory, 'lb:&db')).toThrowError(/selects no host/);
    expect(() => validateLimit(inventory, ' ')).toThrowError(/empty/);
  });

  it('an invalid regular expression is a ConfigError', () => {
    expect(() => selectHosts(inventory, '~web-(')).toThrowError(ConfigError);
  });
});

describe('selectPlayHosts', () => {
  it('intersects the play pattern with the limit', () => {
    expect(selectPlayHosts(inventory, 'web', 'db')).toEqual(['web-02', 'web-01']);
    expect(selectPlayHosts(inventory, 'web')).toEqual(['web-02', 'web-01', 'web-03']);
  });
});

describe('globToRegExp', () => {
  it('follows fnmatch: literal dots, unclosed bracket literal', () => {
    expect(globToRegExp('a.b').test('axb')).toBe(false);
    expect(globToRegExp('a[b').test('a[b')).toBe(true);
    expect(globToRegExp('[]x]').test(']')).toBe(true);
  });
});
