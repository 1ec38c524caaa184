/**
 * Secrets kept (issue 5): a playbook passes known secret values through a template, file content,
 * a command's stdin, a mysql-like client and a failing command's output; every byte the CLI prints
 * (plain, --json, --diff, -v, errors) and the host's process list sampled during the runs must not
 * contain any of them. Files holding secrets end with their final mode and no temporary copy.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli, type CliResult } from './support/cli.ts';
import { startTestHosts, type TestHost, type TestHosts } from './support/lab-hosts.ts';

const PLAYBOOK = path.resolve('test/fixtures/reliability/secrets.ts');
const dir = mkdtempSync(path.join(tmpdir(), 'shipshape-secrets-'));
const inventory = path.join(dir, 'inventory.json');
const tag = randomBytes(6).toString('hex');
// A quote and a backslash: JSON output escapes them, so a mask matching only the raw value would miss it.
const secrets = {
  REL_TEMPLATE_SECRET: `tmpl-${tag}-Aa1`,
  REL_COPY_SECRET: `copy"quoted\\${tag}`,
  REL_STDIN_SECRET: `stdin-${tag}-Zz9`,
  REL_DB_PASSWORD: `db-${tag}-p@ss w0rd`,
};
const forms = Object.values(secrets).flatMap((value) => [value, JSON.stringify(value).slice(1, -1)]);

let lab: TestHosts | undefined;
let host: TestHost;

function run(...args: string[]): Promise<CliResult> {
  return startCli(['apply', PLAYBOOK, '-i', inventory, ...args], secrets).done;
}

beforeAll(async () => {
  lab = await startTestHosts(['sec-1']);
  host = lab.hosts[0];
  writeFileSync(
    inventory,
    JSON.stringify({
      defaults: { user: 'deploy', become: true, privateKey: host.privateKeyPath, knownHosts: host.knownHostsPath },
      hosts: { [host.name]: { address: host.address, port: host.port } },
      vars: {
        templateSecret: { $env: 'REL_TEMPLATE_SECRET' },
        copySecret: { $env: 'REL_COPY_SECRET' },
        stdinSecret: { $env: 'REL_STDIN_SECRET' },
        dbPassword: { $env: 'REL_DB_PASSWORD' },
      },
    }),
  );
});

afterAll(async () => {
  await lab?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('secrets', () => {
  it('never appear in any output (plain, --json, --diff, -v) nor in the host process list', async () => {
    // Samples every process's argv on the host for the whole run, and the mode of any temporary
    // file beside the secret files (mktemp makes them 0600 before a byte is written).
    await host.shell(
      `nohup sh -c 'while [ ! -e /tmp/stop-sampling ]; do ps -eo args >> /tmp/ps-samples; ` +
        `find /etc/rel-secret -name ".*.shipshape-*" -printf "%m %u %p\\n" >> /tmp/temp-modes 2>/dev/null; sleep 0.02; done' >/dev/null 2>&1 &`,
    );
    const outputs: CliResult[] = [];
    outputs.push(await run());
    await host.shell('rm -rf /etc/rel-secret'); // so the next runs write (and diff) everything again
    outputs.push(await run('--json'));
    await host.shell('rm -rf /etc/rel-secret');
    outputs.push(await run('--diff', '-v'));
    outputs.push(await run('--check', '--diff', '--json', '-v'));
    await host.shell('touch /tmp/stop-sampling; sleep 0.5');

    for (const [index, result] of outputs.entries()) {
      // The failing command is ignored: the runs succeed (the --check run exits 2: commands would
      // run), and its error text was printed (masked).
      expect(result.code, result.stderr).toBe(index === 3 ? 2 : 0);
      const text = result.stdout + result.stderr;
      for (const form of forms) expect(text.includes(form), `output leaks ${form}:\n${text}`).toBe(false);
    }
    const all = outputs.map((r) => r.stdout).join('\n');
    expect(all).toContain('stderr too: ********');
    expect(all).toMatch(/\+password=\*\*\*\*\*\*\*\*/); // the template's diff, masked

    const samples = (await host.shell('cat /tmp/ps-samples')).stdout;
    expect(samples).toContain('sleep 1'); // the sampler did see the commands run
    for (const form of forms) expect(samples.includes(form), `ps shows ${form}`).toBe(false);

    // What was written is the real value (the mask only touches output).
    expect((await host.shell('cat /etc/rel-secret/copy.conf /etc/rel-secret/stdin.txt')).stdout).toBe(
      `${secrets.REL_COPY_SECRET}${secrets.REL_STDIN_SECRET}`,
    );
    expect((await host.shell('cat /etc/rel-secret/template.conf')).stdout).toBe(`# rendered for sec-1\npassword=${secrets.REL_TEMPLATE_SECRET}\n`);
  });

  it('files holding secrets are created 0600 before content is written: final mode, no temporary file left', async () => {
    const modes = (await host.shell("stat -c '%a %U %n' /etc/rel-secret/template.conf /etc/rel-secret/copy.conf")).stdout;
    expect(modes).toBe('600 root /etc/rel-secret/template.conf\n600 root /etc/rel-secret/copy.conf\n');
    // Every temporary file the sampler caught mid-write was already 0600 root.
    const seen = (await host.shell('cat /tmp/temp-modes 2>/dev/null')).stdout.trim().split('\n').filter(Boolean);
    for (const line of seen) expect(line).toMatch(/^600 root /);
    expect((await host.shell("find / -xdev -name '.*.shipshape-*' 2>/dev/null")).stdout).toBe('');
  });
});
