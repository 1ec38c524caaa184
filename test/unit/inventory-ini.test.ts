import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import { expandHostRange, iniToInventoryInput, parseIni } from '../../src/inventory/ini.ts';
import { parseAnsibleValue } from '../../src/inventory/literal.ts';

describe('parseAnsibleValue (Python literals, like Ansible)', () => {
  it.each([
    ['2222', 2222],
    ['-1.5', -1.5],
    ['True', true],
    ['false', false],
    ['None', null],
    ["'quoted 1'", 'quoted 1'],
    ['"x\\ty"', 'x\ty'],
    ["['a', \"b\", 3]", ['a', 'b', 3]],
    ["{'k': [1, 2], 'n': {'x': True}}", { k: [1, 2], n: { x: true } }],
    ['(1, 2,)', [1, 2]],
    ['hello world', 'hello world'],
    ['10.0.0.1', '10.0.0.1'],
    ['https://x.example/a?b=c', 'https://x.example/a?b=c'],
    ['[unclosed', '[unclosed'],
    ['  padded  ', 'padded'],
  ])('%s', (text, expected) => {
    expect(parseAnsibleValue(text)).toEqual(expected);
  });

  it('does not let a __proto__ key change the prototype', () => {
    const value = parseAnsibleValue("{'__proto__': {'polluted': 1}}") as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.hasOwn(value, '__proto__')).toBe(true);
  });

  it('refuses absurd nesting without a stack overflow (keeps the text)', () => {
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    expect(parseAnsibleValue(deep)).toBe(deep);
  });
});

describe('expandHostRange', () => {
  it('expands numeric (padded, stepped) and alphabetic ranges, several per name', () => {
    expect(expandHostRange('web-[01:03].example.com')).toEqual(['web-01.example.com', 'web-02.example.com', 'web-03.example.com']);
    expect(expandHostRange('h[1:7:3]')).toEqual(['h1', 'h4', 'h7']);
    expect(expandHostRange('db-[a:c]')).toEqual(['db-a', 'db-b', 'db-c']);
    expect(expandHostRange('r[1:2]-[a:b]')).toEqual(['r1-a', 'r1-b', 'r2-a', 'r2-b']);
    expect(expandHostRange('plain')).toEqual(['plain']);
  });
});

describe('parseIni', () => {
  const text = `
# comment
ungrouped-1 ansible_host=192.0.2.1
[web]   ; inline comment after a header
web-[1:2] ansible_user=deploy   # trailing comment
web-3:2200 note="two words" count=5
[web:vars]
http_port=80
motd='hello # not a comment'
[all:vars]
ansible_port=2222
site=example
[stack:children]
web
cache
`;

  it('reads hosts, ranges, ports, groups, children and vars', () => {
    const ini = parseIni(text, 'hosts');
    expect(Object.keys(ini.hosts)).toEqual(['ungrouped-1', 'web-1', 'web-2', 'web-3']);
    expect(ini.hosts['web-3']).toEqual({ ansible_port: 2200, note: 'two words', count: 5 });
    expect(ini.groups.web).toEqual({ hosts: ['web-1', 'web-2', 'web-3'], children: [], vars: { http_port: 80, motd: 'hello # not a comment' } });
    expect(ini.groups.stack.children).toEqual(['web', 'cache']);
    expect(ini.groups.cache).toEqual({ hosts: [], children: [], vars: {} });
    expect(ini.defaults).toEqual({ port: 2222 });
    expect(ini.vars).toEqual({ site: 'example' });
  });

  it('maps connection variables onto shipshape fields and keeps the rest as vars', () => {
    const input = iniToInventoryInput(parseIni(text, 'hosts')) as { hosts: Record<string, unknown> };
    expect(input.hosts['ungrouped-1']).toEqual({ address: '192.0.2.1' });
    expect(input.hosts['web-1']).toEqual({ address: 'web-1', user: 'deploy' });
    expect(input.hosts['web-3']).toEqual({ address: 'web-3', port: 2200, vars: { note: 'two words', count: 5 } });
  });

  it('reads booleans as Ansible does for ansible_become and the ProxyJump of ssh args', () => {
    const input = iniToInventoryInput(
      parseIni("a ansible_become=yes ansible_ssh_common_args='-o ProxyJump=jump@bastion:22'\nb ansible_become=no", 'f'),
    ) as { hosts: Record<string, Record<string, unknown>> };
    expect(input.hosts.a).toMatchObject({ become: true, proxyJump: 'jump@bastion:22' });
    expect(input.hosts.b).toMatchObject({ become: false });
  });

  it.each([
    ['[web\nx', 'f:1: invalid section header'],
    ['[web:kids]', 'f:1: invalid section'],
    ['ok\n\nbad ansible_user', 'f:3: expected key=value host variable'],
    ['[g:vars]\n=1', 'f:2: expected key=value'],
    ["h note='open", 'f:1: unclosed quote'],
    ['h[0:99999999]', 'larger than'],
    ['h[5:1]', 'ends before it starts'],
    ['[all:children]\nweb', 'implicit'],
  ])('refuses %j with file:line', (input, message) => {
    expect(() => parseIni(input, 'f')).toThrowError(ConfigError);
    expect(() => parseIni(input, 'f')).toThrowError(message);
  });
});
