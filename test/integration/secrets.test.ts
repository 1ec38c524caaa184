/**
 * Secrets kept (issue 5): a playbook passes known secret values through a template, file content,
 * a command's stdin, a mysql-like client and a failing command's output; every byte the CLI prints
 * (plain, --json, --diff, -v, errors) and the host's process list sampled during the runs must not
 * contain any of them. Files holding secrets end with their final mode and no temporary copy; the
 * temporary file is 0600 before its first byte (the writer is held there while the test looks).
 * A rotated password: neither the old value (still on the host, unknown to the masker) nor the new
 * one is printed by plan, --diff or --json; the file's line says "content differs, sensitive".
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sh } from '../../src/transport/quote.ts';
import { writeRemoteAtomic, type Executor } from '../../src/transport/remote-files.ts';
import { startCli, type CliResult } from './support/cli.ts';
import { useCliHost } from './support/cli-host.ts';
import type { TestHost } from './support/lab-hosts.ts';
import { openTestSession } from './support/run-task.ts';

const PLAYBOOK = path.resolve('test/fixtures/reliability/secrets.ts');
const lab = useCliHost('sec-1', 'shipshape-secrets-');
const inventory = path.join(lab.dir, 'inventory.json');
const tag = randomBytes(6).toString('hex');
// A quote and a backslash: JSON output escapes them, so a mask matching only the raw value would miss it.
const secrets = {
  REL_TEMPLATE_SECRET: `tmpl-${tag}-Aa1`,
  REL_COPY_SECRET: `copy"quoted\\${tag}`,
  REL_STDIN_SECRET: `stdin-${tag}-Zz9`,
  REL_DB_PASSWORD: `db-${tag}-p@ss w0rd`,
};
const forms = Object.values(secrets).flatMap((value) => [value, JSON.stringify(value).slice(1, -1)]);

// Every spelling a value takes on its way out: as it is, JSON-escaped once (a --json line) and
// twice (a template that JSON-encoded it, then a --json line), and inside single shell quotes.
const jsonEscaped = (text: string) => JSON.stringify(text).slice(1, -1);
const spellings = (value: string) => [value, jsonEscaped(value), jsonEscaped(jsonEscaped(value)), value.replace(/'/g, `'\\''`)];
const ROTATE = path.resolve('test/fixtures/reliability/rotate.ts');
const rotateInventory = path.join(lab.dir, 'rotate-inventory.json');
const OLD_PASSWORD = `old"pa\\ss'${tag}`;
const NEW_PASSWORD = `new"pa\\ss'${tag}`;

let host: TestHost;

function run(...args: string[]): Promise<CliResult> {
  return startCli(['apply', PLAYBOOK, '-i', inventory, ...args], secrets).done;
}

beforeAll(() => {
  host = lab.host;
  lab.writeInventory('inventory.json', {
    templateSecret: { $env: 'REL_TEMPLATE_SECRET' },
    copySecret: { $env: 'REL_COPY_SECRET' },
    stdinSecret: { $env: 'REL_STDIN_SECRET' },
    dbPassword: { $env: 'REL_DB_PASSWORD' },
  });
  lab.writeInventory('rotate-inventory.json', { dbPassword: { $env: 'REL_ROTATE_PASSWORD' } });
});

describe('secrets', () => {
  it('never appear in any output (plain, --json, --diff, -v) nor in the host process list', async () => {
    // Samples every process's argv on the host for the whole run.
    await host.shell(
      `nohup sh -c 'while [ ! -e /tmp/stop-sampling ]; do ps -eo args >> /tmp/ps-samples; sleep 0.02; done' >/dev/null 2>&1 &`,
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
    // The template and the copy hold secrets: their lines say so, and no diff is printed.
    expect(all).toContain('create /etc/rel-secret/template.conf (mode 0600): content differs, sensitive');
    expect(all).toContain('create /etc/rel-secret/copy.conf (mode 0600): content differs, sensitive');
    expect(all).not.toContain('+++ /etc/rel-secret/template.conf');

    const samples = (await host.shell('cat /tmp/ps-samples')).stdout;
    expect(samples).toContain('sleep 1'); // the sampler did see the commands run
    for (const form of forms) expect(samples.includes(form), `ps shows ${form}`).toBe(false);

    // What was written is the real value (the mask only touches output).
    expect((await host.shell('cat /etc/rel-secret/copy.conf /etc/rel-secret/stdin.txt')).stdout).toBe(
      `${secrets.REL_COPY_SECRET}${secrets.REL_STDIN_SECRET}`,
    );
    expect((await host.shell('cat /etc/rel-secret/template.conf')).stdout).toBe(`# rendered for sec-1\npassword=${secrets.REL_TEMPLATE_SECRET}\n`);
  });

  it('files holding secrets end with their final mode and owner, no temporary file left', async () => {
    const modes = (await host.shell("stat -c '%a %U %n' /etc/rel-secret/template.conf /etc/rel-secret/copy.conf")).stdout;
    expect(modes).toBe('600 root /etc/rel-secret/template.conf\n600 root /etc/rel-secret/copy.conf\n');
    expect((await host.shell("find / -xdev -name '.*.shipshape-*' 2>/dev/null")).stdout).toBe('');
  });

  it('the temporary file is 0600 before a byte is written: the writer is held at its first byte while the test looks', async () => {
    // The real write script, run through a real session with sudo, with its stdin from a FIFO this
    // test holds: the script makes its temporary file, then waits in `cat` for the first byte,
    // which the test sends only after it has read the file's mode and size. No sampling, no race.
    const fifo = '/tmp/rel-held-write.fifo';
    expect((await host.shell(`rm -rf ${fifo} /etc/rel-held && mkfifo -m 0600 ${fifo} && mkdir -m 0700 /etc/rel-held`)).exitCode).toBe(0);
    const session = await openTestSession(host);
    try {
      const held: Executor = {
        host: host.name,
        exec: (command, options = {}) => session.conn.exec(sh`bash -c ${command} < ${fifo}`, { ...options, stdin: undefined }),
      };
      const writing = writeRemoteAtomic(held, '/etc/rel-held/held.conf', '', { mode: '0600', become: true }).then(
        () => undefined,
        (error: unknown) => error,
      );
      // Opening the FIFO lets the script start; it cannot get past `cat` before the printf.
      const look = await host.shell(
        `exec 3> ${fifo}
        for i in $(seq 1 1200); do t=$(find /etc/rel-held -name '.held.conf.shipshape-*' -print -quit); [ -n "$t" ] && break; sleep 0.05; done
        stat -c '%a %U %s' -- "$t"; ls /etc/rel-held/held.conf 2>&1
        printf 'held-secret-content' >&3; exec 3>&-`,
      );
      expect(await writing).toBeUndefined();
      const [seen, finalAbsent] = look.stdout.trim().split('\n');
      expect(seen, look.stderr).toBe('600 root 0'); // 0600, root's, and not one byte in it yet
      expect(finalAbsent).toContain('No such file'); // the final file did not exist yet either
      expect((await host.shell("stat -c '%a %U' /etc/rel-held/held.conf; cat /etc/rel-held/held.conf")).stdout).toBe('600 root\nheld-secret-content');
    } finally {
      await session.close();
    }
  });

  it('a rotated password: neither the old nor the new value in plan, --diff or --json output, in any spelling', async () => {
    const rotate = (password: string, ...args: string[]) =>
      startCli([...args.slice(0, 1), ROTATE, '-i', rotateInventory, ...args.slice(1)], { REL_ROTATE_PASSWORD: password }).done;
    const envFile = (password: string) =>
      `# app environment for sec-1\nDB_PASSWORD=${password}\nDB_JSON=${JSON.stringify({ password })}\n`;

    const first = await rotate(OLD_PASSWORD, 'apply', '--diff');
    expect(first.code, first.stderr).toBe(0);
    expect((await host.shell('cat /etc/rel-rotate/app.env')).stdout).toBe(envFile(OLD_PASSWORD));

    // The password is rotated: the host still holds the old one, which this run's masker never saw.
    const outputs: Array<[string, CliResult]> = [];
    // `plan` always diffs (text or --json); apply --check --json is --json without --diff.
    for (const args of [['plan'], ['plan', '-v'], ['plan', '--json', '-v'], ['apply', '--check', '--json'], ['apply', '--check', '--diff', '-v']]) {
      outputs.push([args.join(' '), await rotate(NEW_PASSWORD, ...args)]);
    }
    for (const [args, result] of outputs) expect(result.code, `${args}: ${result.stderr}`).toBe(2); // drift
    outputs.push(['apply --diff', await rotate(NEW_PASSWORD, 'apply', '--diff')]);
    expect(outputs[5][1].code, outputs[5][1].stderr).toBe(0);

    for (const [args, result] of outputs) {
      const text = result.stdout + result.stderr;
      for (const form of [...spellings(OLD_PASSWORD), ...spellings(NEW_PASSWORD)]) {
        expect(text.includes(form), `${args} leaks ${form}:\n${text}`).toBe(false);
      }
      expect(text, args).toContain('update /etc/rel-rotate/app.env: content differs, sensitive');
      expect(text, args).not.toContain('DB_PASSWORD');
    }
    // The host, read outside shipshape, ends with the new value; nothing is left to do.
    expect((await host.shell('cat /etc/rel-rotate/app.env')).stdout).toBe(envFile(NEW_PASSWORD));
    expect((await rotate(NEW_PASSWORD, 'plan')).code).toBe(0);
  });
});
