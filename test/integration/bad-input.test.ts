/**
 * Bad input refused clearly (issue 5), through the real CLI: one message naming file, host, task
 * or field, exit code 1, no stack trace, and no host contacted. The inventory points at a TCP
 * listener of this test on the loopback, which counts connection attempts: it must see none.
 * No containers: everything here fails before a host would be reached.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptValue } from '../../src/secrets/vault.ts';
import { cli, type CliResult } from './support/cli.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'shipshape-bad-input-'));
const fixture = (name: string) => path.resolve('test/fixtures/reliability', name);
const BASIC = path.resolve('test/fixtures/playbooks/basic.ts');
let server: Server;
let connections = 0;
let inventory: string;

function expectRefused(result: CliResult, ...fragments: Array<string | RegExp>): void {
  expect(result.code, result.stdout + result.stderr).toBe(1);
  expect(result.stderr).toMatch(/^error: /);
  for (const fragment of fragments) {
    if (typeof fragment === 'string') expect(result.stderr).toContain(fragment);
    else expect(result.stderr).toMatch(fragment);
  }
  expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
  expect(result.stdout).toBe(''); // no run started
  expect(connections).toBe(0);
}

function writeInventory(name: string, spec: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, typeof spec === 'string' ? spec : JSON.stringify(spec));
  return file;
}

beforeAll(async () => {
  server = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  inventory = writeInventory('inventory.json', {
    hosts: { web1: { address: '127.0.0.1', port }, web2: { address: '127.0.0.1', port } },
    groups: { web: { hosts: ['web1', 'web2'] } },
  });
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe('bad input', () => {
  it('an invalid inventory: every schema error with its field path', async () => {
    const bad = writeInventory('bad.json', { hosts: { a: { address: '127.0.0.1', port: 'ssh', vars: 5 }, b: {} }, bogus: 1 });
    expectRefused(
      await cli('apply', BASIC, '-i', bad),
      `${bad}: invalid inventory (4 problems)`,
      'hosts.a.port: Invalid input: expected number, received string',
      'hosts.a.vars: Invalid input: expected record, received number',
      'hosts.b.address: Invalid input: expected string, received undefined',
      '(root): Unrecognized key: "bogus"',
    );
    const unknown = writeInventory('unknown.yaml', 'hosts:\n  a: { address: 127.0.0.1 }\ngroups:\n  web: { hosts: [a, web-3] }\n');
    expectRefused(await cli('apply', BASIC, '-i', unknown), 'groups.web.hosts[1]: unknown host "web-3"', unknown);
  });

  it('an unknown host or group in --limit', async () => {
    expectRefused(await cli('apply', BASIC, '-i', inventory, '--limit', 'web:&db'), `--limit web:&db: unknown host or group "db" in ${inventory}`);
  });

  it('a playbook with a syntax error: file:line:column', async () => {
    // Written here, not kept as a fixture: the type checker would reject the repository.
    const broken = path.join(dir, 'broken.ts');
    writeFileSync(broken, "import { definePlaybook } from 'shipshape';\n\nexport default definePlaybook([\n  { name: 'x', hosts: 'all', tasks: [] ),\n]);\n");
    expectRefused(await cli('apply', broken, '-i', inventory), `${broken}:4:39: Expected "}" but found ")"`);
  });

  it('a playbook in a folder whose package.json is CommonJS is still compiled as an ES module and evaluated', async () => {
    const project = path.join(dir, 'commonjs-project');
    mkdirSync(project);
    writeFileSync(path.join(project, 'package.json'), '{"name":"ops","type":"commonjs"}');
    const playbook = path.join(project, 'site.ts');
    writeFileSync(playbook, "import { definePlaybook } from 'shipshape';\nconst reached: string = 'evaluated as ESM';\nthrow new Error(reached);\nexport default definePlaybook([]);\n");
    expectRefused(await cli('apply', playbook, '-i', inventory), `${playbook}:3: evaluated as ESM`);
  });

  it('a playbook that throws while it is evaluated (a type error at run time): file:line', async () => {
    expectRefused(
      await cli('apply', fixture('runtime-error.ts'), '-i', inventory),
      `${fixture('runtime-error.ts')}:7: Cannot read properties of null (reading 'port')`,
    );
  });

  it('invalid module arguments, static or built per host, before any host is contacted', async () => {
    expectRefused(
      await cli('apply', fixture('bad-args.ts'), '-i', inventory),
      `${fixture('bad-args.ts')}: task "write motd" (file.copy): invalid arguments`,
      '  dest: must be an absolute path',
      '  mode: mode must be octal digits like "0644"',
    );
    expectRefused(
      await cli('apply', fixture('bad-args-lazy.ts'), '-i', inventory),
      `${fixture('bad-args-lazy.ts')}: play "bad arguments per host", host web1: task "make dir" (file.directory): invalid arguments`,
      '  path: must be an absolute path',
    );
  });

  it('malformed -e', async () => {
    expectRefused(await cli('apply', BASIC, '-i', inventory, '-e', 'novalue'), 'invalid -e "novalue": "novalue" is not key=value');
    expectRefused(await cli('apply', BASIC, '-i', inventory, '-e', '{"a":'), 'invalid -e "{\\"a\\":": not valid JSON');
    expectRefused(await cli('apply', BASIC, '-i', inventory, '-e', `@${dir}/missing.json`), `-e @${dir}/missing.json: cannot read`);
  });

  it('a wrong or missing vault password names the file and field', async () => {
    const value = await encryptValue('db-password', 'right-password');
    // The host is the counting listener: expectRefused proves no connection was attempted.
    const port = (server.address() as { port: number }).port;
    const vaulted = writeInventory('vaulted.json', { hosts: { a: { address: '127.0.0.1', port } }, vars: { dbPassword: { $vault: value } } });
    const wrong = path.join(dir, 'wrong-pass');
    writeFileSync(wrong, 'wrong-password');
    expectRefused(await cli('apply', BASIC, '-i', vaulted, '--vault-password-file', wrong), `wrong vault password or damaged value (${vaulted}, vars.dbPassword)`);
  });

  it('a missing private key: the host fails naming the key file, without a connection attempt', async () => {
    const port = (server.address() as { port: number }).port;
    const file = writeInventory('nokey.json', { hosts: { a: { address: '127.0.0.1', port, privateKey: path.join(dir, 'no-such-key') } } });
    const result = await cli('apply', BASIC, '-i', file);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`host a: cannot read private key ${path.join(dir, 'no-such-key')}: no such file`);
    expect(result.stdout + result.stderr).not.toMatch(/\n\s+at /);
    expect(connections).toBe(0);
  });
});
