import { describe, expect, it } from 'vitest';
import { guardsCommand, guardVerdict } from '../../src/modules/command/guards.ts';
import { runSchema, shellSchema, type CommandOutput } from '../../src/modules/command/schema.ts';
import { Secret } from '../../src/secrets/secret.ts';
import { runModule, shellModule } from '../../src/modules/command/index.ts';
import type { TaskContext } from '../../src/task/types.ts';
import type { ExecOptions, ExecResult } from '../../src/transport/types.ts';

/** A context that records commands and answers with canned results (planners run on recorded output). */
function fakeContext(answer: (command: string) => Partial<ExecResult>) {
  const calls: { command: string; options?: ExecOptions }[] = [];
  const exec = async (command: string, options?: ExecOptions): Promise<ExecResult> => {
    calls.push({ command, options });
    const a = answer(command);
    const stdout = a.stdout ?? '';
    return { command, exitCode: a.exitCode ?? 0, stdout, stderr: a.stderr ?? '', stdoutBytes: Buffer.from(stdout), durationMs: 1 };
  };
  const ctx = { host: { name: 'web-01', vars: {}, facts: {}, groups: [] }, check: false, task: 't', registered: {}, baseDir: '.', exec, run: exec } as unknown as TaskContext;
  return { ctx, calls };
}

describe('command guards', () => {
  const args = shellSchema.parse({ command: 'make install', creates: '/usr/local/bin/app', chdir: '/srv/app', env: { PREFIX: '/usr/local' } });

  it('evaluates every guard in one subshell, in the working directory, quoted', () => {
    const command = guardsCommand(shellSchema.parse({ command: 'x', creates: "/tmp/it's", unless: ['test', '-f', '/a b'], onlyIf: 'grep -q x /etc/y' }));
    expect(command.startsWith('(\n') && command.endsWith('\n)')).toBe(true);
    expect(command).toContain(`test -e '/tmp/it'\\''s' && echo @@creates-exists`);
    expect(command).toContain(`if test -f '/a b' </dev/null`);
    expect(command).toContain(`if bash -c 'grep -q x /etc/y' </dev/null`);
    expect(guardsCommand(args)).toContain("cd /srv/app 2>/dev/null || { echo @@chdir-missing; exit 0; }\nexport PREFIX=/usr/local");
  });

  it('reads the verdict of each guard', () => {
    expect(guardVerdict(args, '@@creates-exists\n')).toBe('/usr/local/bin/app exists');
    expect(guardVerdict(args, '')).toBeNull();
    expect(guardVerdict(args, '@@chdir-missing\n')).toBeNull();
    const onlyIf = shellSchema.parse({ command: 'x', onlyIf: 'true' });
    expect(guardVerdict(onlyIf, '')).toBe('"onlyIf" command failed');
    expect(guardVerdict(onlyIf, '@@onlyif-ok\n')).toBeNull();
    const removes = shellSchema.parse({ command: 'x', removes: '/tmp/f' });
    expect(guardVerdict(removes, '@@removes-missing\n')).toBe('/tmp/f does not exist');
  });
});

describe('command.run / command.shell', () => {
  it('plans a would-run change without running anything when unguarded', async () => {
    const { ctx, calls } = fakeContext(() => ({}));
    const plan = await runModule.plan(ctx, runSchema.parse({ argv: ['systemctl', 'restart', 'my app'] }));
    expect(plan.changes).toEqual([{ description: "run: systemctl restart 'my app'" }]);
    expect(calls).toEqual([]);
  });

  it('is ok, with the reason as output, when a guard says done', async () => {
    const { ctx } = fakeContext(() => ({ stdout: '@@unless-ok\n' }));
    const plan = await shellModule.plan(ctx, shellSchema.parse({ command: 'do it', unless: 'test -f /done' }));
    expect(plan).toEqual({ changes: [], output: { skipped: true, reason: '"unless" command succeeded' } });
  });

  it('sends a Secret stdin on stdin only and registers stdout/stderr/exitCode', async () => {
    const { ctx, calls } = fakeContext(() => ({ stdout: 'hello\n', stderr: 'warn\n' }));
    const args = shellSchema.parse({ command: 'read pw; echo hello', stdin: new Secret('pa55word-xyz', 'test') });
    const applied = await shellModule.apply(ctx, args, { changes: [] });
    expect(applied).toEqual({ changed: true, output: { stdout: 'hello', stderr: 'warn', exitCode: 0, changed: true } });
    expect(calls[0].options).toEqual({ stdin: 'pa55word-xyz' });
    expect(calls[0].command).not.toContain('pa55word');
    expect(calls[0].command).toBe("(\nexec bash -c 'read pw; echo hello'\n)");
  });

  it('closes stdin when none is given, so the command cannot read the session', async () => {
    const { ctx, calls } = fakeContext(() => ({}));
    await runModule.apply(ctx, runSchema.parse({ argv: ['cat'], chdir: '/srv' }), { changes: [] });
    expect(calls[0].command).toBe('(\ncd /srv || exit 1\nexec cat </dev/null\n)');
  });

  it('fails with the output tail on a non-zero exit, unless failedWhen decides otherwise', async () => {
    const { ctx } = fakeContext(() => ({ exitCode: 3, stderr: 'boom\n' }));
    await expect(shellModule.apply(ctx, shellSchema.parse({ command: 'false' }), { changes: [] })).rejects.toThrow(/exited 3:\nboom/);
    const tolerant = shellSchema.parse({ command: 'false', failedWhen: (r: CommandOutput) => r.exitCode > 3, changedWhen: () => false });
    await expect(shellModule.apply(ctx, tolerant, { changes: [] })).resolves.toMatchObject({ changed: false, output: { exitCode: 3, changed: false } });
  });

  it('validates arguments', () => {
    expect(runSchema.safeParse({ argv: [] }).success).toBe(false);
    expect(shellSchema.safeParse({ command: 'x', env: { 'BAD-NAME': '1' } }).success).toBe(false);
    expect(shellSchema.safeParse({ command: 'x', changedWhen: 'yes' }).success).toBe(false);
  });
});
