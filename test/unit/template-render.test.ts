import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import type { HostFacts } from '../../src/facts/types.ts';
import { Secret } from '../../src/secrets/secret.ts';
import { renderTemplateFile, renderTemplateText, templateData } from '../../src/template/render.ts';

// baseDir is test/fixtures, so messages name `templates/...` like a playbook's own templates/.
const baseDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures');

const facts = {
  os: { id: 'debian', version: '13', codename: 'trixie', name: 'Debian GNU/Linux 13 (trixie)', family: ['debian'] },
  kernel: '6.1.0',
  arch: 'x86_64',
  hostname: 'lb-01',
  fqdn: 'lb-01',
  ipv4: ['10.0.0.2'],
  ipv6: [],
  init: 'systemd',
  packageManager: 'apt',
  cpus: 2,
  memoryMb: 2048,
  user: 'deploy',
} satisfies HostFacts;

const host = { name: 'lb-01', vars: {}, facts, groups: ['lb'] };

function renderError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected the render to fail');
}

describe('renderTemplateFile', () => {
  it('renders vars, loops and nested values, without HTML escaping', () => {
    const data = templateData(
      { ...host, vars: { maxconn: 4096, listenPort: 80, backendPort: 8080 } },
      { servers: [{ name: 'web-01', address: '10.0.0.3' }, { name: 'web&2', address: '10.0.0.4' }] },
    );
    const out = renderTemplateFile('templates/haproxy.cfg.ejs', data, baseDir);
    expect(out).toBe(
      [
        'global',
        '    maxconn 4096',
        '',
        'frontend http',
        '    bind *:80',
        '    default_backend app',
        '',
        'backend app',
        '    balance roundrobin',
        '    server web-01 10.0.0.3:8080 check',
        '    server web&2 10.0.0.4:8080 check',
        '',
      ].join('\n'),
    );
  });

  it('extra vars override host vars; facts and host name cannot be hidden', () => {
    const data = templateData({ ...host, vars: { a: 1, host: 'fake', facts: 'fake' } }, { a: 2 });
    expect(renderTemplateText('<%= a %> <%= host %> <%= facts.os.codename %> <%= groups[0] %>', 'templates/inline.ejs', data, baseDir)).toBe(
      '2 lb-01 trixie lb',
    );
  });

  it('names template, line and variable for an undefined top-level variable', () => {
    const data = templateData({ ...host, vars: { maxconn: 1, listenPort: 80 } }, { servers: [{ name: 'w', address: 'a' }] });
    const err = renderError(() => renderTemplateFile('templates/haproxy.cfg.ejs', data, baseDir));
    expect(err.message).toBe('templates/haproxy.cfg.ejs:11: undefined variable "backendPort"');
    expect(err.file).toBe('templates/haproxy.cfg.ejs');
  });

  it('names the full path of an undefined nested property, facts included', () => {
    const data = templateData(host, { backend: { port: 1 } });
    const err = renderError(() => renderTemplateFile('templates/undefined-nested.ejs', data, baseDir));
    expect(err.message).toBe('templates/undefined-nested.ejs:3: undefined variable "backend.prot"');

    const typo = renderError(() => renderTemplateText('x\n<%= facts.os.verison %>', 'templates/t.ejs', templateData(host), baseDir));
    expect(typo.message).toBe('templates/t.ejs:2: undefined variable "facts.os.verison"');
  });

  it('names a missing array element', () => {
    const err = renderError(() => renderTemplateText('<%= list[2] %>', 'templates/t.ejs', { list: ['a'] }, baseDir));
    expect(err.message).toBe('templates/t.ejs:1: undefined variable "list[2]"');
  });

  it('lets templates test optional variables explicitly', () => {
    const data = templateData(host, { backend: {}, url: 'http://a/?x=1&y=2', password: new Secret('s3cret-value', 'test') });
    expect(renderTemplateFile('templates/optional.ejs', data, baseDir)).toBe('url=http://a/?x=1&y=2\npassword=s3cret-value\n');
    const all = templateData(host, { tls: true, debug: 1, backend: { extra: 'x' }, url: 'u', password: 'p' });
    expect(renderTemplateFile('templates/optional.ejs', all, baseDir)).toBe('ssl on\ndebug on\nextra x\nurl=u\npassword=p\n');
  });

  it('renders secrets nested in objects and arrays as their plain value', () => {
    const data = { db: { password: new Secret('nested-secret', 'test') }, keys: [new Secret('array-secret', 'test')] };
    expect(renderTemplateText('<%= db.password %> <%- keys[0] %> <%= keys.join(",") %>', 'templates/t.ejs', data, baseDir)).toBe(
      'nested-secret array-secret array-secret',
    );
  });

  it('never puts a secret into an error message', () => {
    const data = { token: new Secret('{not json at all', 'test') };
    const err = renderError(() => renderTemplateText('<%= JSON.parse(token) %>', 'templates/t.ejs', data, baseDir));
    expect(err.message).toMatch(/^templates\/t\.ejs:1: SyntaxError: /);
    expect(err.message).not.toContain('not json at all');
  });

  it('includes partials relative to the template, with extra data', () => {
    const data = templateData(host, { users: ['ann', 'bob'] });
    expect(renderTemplateFile('templates/include-ok.ejs', data, baseDir)).toBe('# main for lb-01\nuser: ann\nuser: bob\nend\n');
  });

  it('names the partial and its line for an error inside an include', () => {
    const data = templateData(host, { users: ['ann'] });
    const err = renderError(() => renderTemplateFile('templates/with-include.ejs', data, baseDir));
    expect(err.message).toBe('templates/partials/users.ejs:4: undefined variable "missingInPartial"');
  });

  it('names a missing include from the including line', () => {
    const err = renderError(() => renderTemplateText('a\n<%- include("nope.ejs") %>', 'templates/t.ejs', {}, baseDir));
    expect(err.message).toMatch(/^templates\/t\.ejs:2: .*template not found: .*templates\/nope\.ejs/);
  });

  it('names file and line of a JavaScript syntax error', () => {
    const err = renderError(() => renderTemplateFile('templates/syntax-error.ejs', { enabled: true }, baseDir));
    expect(err.message).toMatch(/^templates\/syntax-error\.ejs:4: syntax error: Unexpected token/);
  });

  it('names the file and a nearby line for an unbalanced brace', () => {
    const err = renderError(() => renderTemplateFile('templates/unbalanced.ejs', { enabled: true }, baseDir));
    expect(err.message).toMatch(/^templates\/unbalanced\.ejs:[45]: syntax error: /);
  });

  it('names file and line of an unclosed tag', () => {
    const err = renderError(() => renderTemplateFile('templates/unclosed.ejs', { name: 'x' }, baseDir));
    expect(err.message).toBe('templates/unclosed.ejs:2: syntax error: "<%" without a closing "%>"');
  });

  it('reports a missing template file by name', () => {
    const err = renderError(() => renderTemplateFile('templates/missing.ejs', {}, baseDir));
    expect(err.message).toMatch(/^templates\/missing\.ejs: template not found/);
  });

  it('does not let a variable named like an EJS internal break rendering', () => {
    expect(renderTemplateText('<%= locals.include %>|<%- include("partials/ok-users.ejs", { prefix: "u" }) %>', 'templates/t.ejs', { include: 'x', users: ['a'] }, baseDir)).toBe(
      'x|u: a\n',
    );
  });
});

describe('variables set to undefined', () => {
  it('count as undefined, top-level and nested', () => {
    const top = renderError(() => renderTemplateText('<%= port %>', 'templates/t.ejs', { port: undefined }, baseDir));
    expect(top.message).toBe('templates/t.ejs:1: undefined variable "port"');
    const nested = renderError(() => renderTemplateText('\n<%= db.port %>', 'templates/t.ejs', { db: { port: undefined } }, baseDir));
    expect(nested.message).toBe('templates/t.ejs:2: undefined variable "db.port"');
  });
});
