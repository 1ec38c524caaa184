/**
 * command.run and command.shell on a real Debian 13 host: guards make a done command ok (and keep
 * --check from running it), unguarded commands always run and --check never runs them; stdin
 * (also a Secret), chdir and env reach the command; a failure carries its output.
 */
import { describe, expect, it } from 'vitest';
import * as command from '../../src/modules/command/index.ts';
import { Secret } from '../../src/secrets/secret.ts';
import { useModuleHost } from './support/module-host.ts';

const lab = useModuleHost('cmd-01');
const { run } = lab;

/** Lines of the host's run log (each command under test appends to it), read outside shipshape. */
const runLog = async () => (await lab.host.shell('cat /root/runs.log 2>/dev/null || true')).stdout;

describe('command guards', () => {
  const task = command.shell({ command: 'echo init >> /root/runs.log && touch /root/initialized', creates: '/root/initialized' });

  it('check mode reports would-run without running; apply runs once; the guard makes it ok', async () => {
    const checked = await run(task, { check: true });
    expect(checked.status).toBe('changed');
    expect(checked.changes.map((c) => c.description)).toEqual(['run: echo init >> /root/runs.log && touch /root/initialized']);
    expect(await runLog()).toBe('');

    expect((await run(task)).status).toBe('changed');
    expect(await runLog()).toBe('init\n');
    const again = await run(task);
    expect(again.status).toBe('ok');
    expect(again.output).toEqual({ skipped: true, reason: '/root/initialized exists' });
    expect((await run(task, { check: true })).status).toBe('ok');
    expect(await runLog()).toBe('init\n');
  });

  it('runs again after drift removes what the guard looks at', async () => {
    expect((await lab.host.shell('rm /root/initialized')).exitCode).toBe(0);
    expect((await run(task, { check: true })).status).toBe('changed');
    expect(await runLog()).toBe('init\n');
    expect((await run(task)).status).toBe('changed');
    expect(await runLog()).toBe('init\ninit\n');
  });

  it('honours unless, onlyIf and removes', async () => {
    const unless = command.run({ argv: ['sh', '-c', 'echo unless >> /root/runs.log'], unless: ['grep', '-q', 'unless', '/root/runs.log'] });
    expect((await run(unless)).status).toBe('changed');
    expect((await run(unless)).status).toBe('ok');
    const onlyIf = command.shell({ command: 'echo onlyif >> /root/runs.log', onlyIf: 'test -e /root/go' });
    expect((await run(onlyIf)).status).toBe('ok');
    const removes = command.shell({ command: 'rm /root/initialized', removes: '/root/initialized' });
    expect((await run(removes)).status).toBe('changed');
    expect((await run(removes)).status).toBe('ok');
    expect(await runLog()).toBe('init\ninit\nunless\n');
  });
});

describe('command execution', () => {
  it('passes argv untouched by any shell, and registers stdout, stderr and exit code', async () => {
    const result = await run(command.run({ argv: ['printf', '%s|', 'a b', '$HOME', "it's", '*'] }));
    expect(result.status).toBe('changed');
    expect(result.output).toEqual({ stdout: "a b|$HOME|it's|*|", stderr: '', exitCode: 0, changed: true });
  });

  it('feeds stdin (a Secret stays off the command line), in chdir with env', async () => {
    const task = command.shell({
      command: 'read -r pw; echo "$PWD $GREETING ${#pw}"; ps -eo args | grep -c "[t]op-secret-pw" || true',
      chdir: '/etc/ssh',
      env: { GREETING: 'hello there' },
      stdin: new Secret('top-secret-pw', 'test'),
    });
    const result = await run(task);
    expect(result.output).toMatchObject({ stdout: '/etc/ssh hello there 13\n0', exitCode: 0 });
  });

  it('fails with the output tail on a non-zero exit; failedWhen and changedWhen decide when given', async () => {
    const failing = await run(command.shell({ command: 'echo partial; echo "disk full" >&2; exit 4' }));
    expect(failing.status).toBe('failed');
    // stderr alone is one line here, so the stdout tail comes first: both are what a user needs.
    expect(failing.error).toMatch(/exited 4:\npartial\ndisk full/);

    const grep = await run(
      command.run({ argv: ['grep', '-c', 'nothing-here', '/etc/hostname'], failedWhen: (r) => r.exitCode > 1, changedWhen: () => false }),
    );
    expect(grep.status).not.toBe('failed');
    expect(grep.output).toMatchObject({ stdout: '0', exitCode: 1, changed: false });
  });

  it('leaves the session as it was: cd and exports stay inside the command', async () => {
    await run(command.shell({ command: 'true', chdir: '/tmp', env: { LEAK: 'yes' } }));
    const after = await run(command.shell({ command: 'echo "$PWD ${LEAK:-none}"' }));
    expect(after.output).toMatchObject({ stdout: expect.stringMatching(/^\S+ none$/) });
    expect((after.output as { stdout: string }).stdout).not.toMatch(/^\/tmp /);
  });
});
