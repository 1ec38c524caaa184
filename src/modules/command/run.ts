/**
 * `command.run` (argv, no shell) and `command.shell` (a bash script): the escape hatch. Without a
 * guard they always report changed, like Ansible, and --check reports them as would-run without
 * running them; with creates/removes/unless/onlyIf saying the work is done they are ok and skipped.
 */
import type { z } from 'zod';
import { CommandError } from '../../errors.ts';
import { describeCommandFailure } from '../../transport/command-failure.ts';
import { revealed } from '../../secrets/secret.ts';
import { sh } from '../../transport/quote.ts';
import { guardsCommand, guardVerdict, hasGuards, preamble } from './guards.ts';
import { runSchema, shellSchema, type CommandOutput, type CommonArgs, type RunArgs, type ShellArgs } from './schema.ts';
import type { Applied, Module, TaskContext } from '../../task/types.ts';

/** The plan carries nothing for apply: a guard's verdict is the plan's output. */
type CommandPlanData = undefined;

function shorten(text: string, max = 120): string {
  const oneLine = text.replace(/\s*\n\s*/g, '; ');
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

async function planCommand(ctx: TaskContext, args: CommonArgs, shown: string) {
  if (hasGuards(args)) {
    const result = await ctx.run(guardsCommand(args));
    const reason = guardVerdict(args, result.stdout);
    if (reason !== null) return { changes: [], output: { skipped: true, reason } };
  }
  return { changes: [{ description: `run: ${shorten(shown)}` }] };
}

async function runCommand(ctx: TaskContext, args: CommonArgs, program: string): Promise<Applied> {
  // Without stdin of its own the command must not read the session's input stream.
  const input = args.stdin === undefined ? ' </dev/null' : '';
  const script = ['(', ...preamble(args, 'fail'), `exec ${program}${input}`, ')'].join('\n');
  const result = await ctx.exec(script, args.stdin === undefined ? {} : { stdin: revealed(args.stdin) });
  const output: CommandOutput = {
    // Like Ansible's register: one trailing newline is the command's, not the data's.
    stdout: result.stdout.replace(/\n$/, ''),
    stderr: result.stderr.replace(/\n$/, ''),
    exitCode: result.exitCode,
  };
  const failed = args.failedWhen ? args.failedWhen(output) : result.exitCode !== 0;
  if (failed) {
    const why = args.failedWhen ? 'failedWhen is true: ' : '';
    throw new CommandError(`${why}${describeCommandFailure({ ...result, command: program })}`, result);
  }
  const changed = args.changedWhen ? args.changedWhen(output) : true;
  // `changed` in the output too, like Ansible's registered result, for `when` of later tasks.
  return { changed, output: { ...output, changed } };
}

export const commandRunModule: Module<RunArgs, CommandPlanData, z.input<typeof runSchema>> = {
  name: 'command.run',
  schema: runSchema,
  describe: (args) => `run: ${shorten(sh`${args.argv}`, 60)}`,
  plan: (ctx, args) => planCommand(ctx, args, sh`${args.argv}`),
  apply: (ctx, args) => runCommand(ctx, args, sh`${args.argv}`),
};

export const commandShellModule: Module<ShellArgs, CommandPlanData, z.input<typeof shellSchema>> = {
  name: 'command.shell',
  schema: shellSchema,
  describe: (args) => `shell: ${shorten(args.command, 60)}`,
  plan: (ctx, args) => planCommand(ctx, args, args.command),
  apply: (ctx, args) => runCommand(ctx, args, sh`bash -c ${args.command}`),
};

/** `command.run({ argv: ['systemctl', 'is-active', 'nginx'] })` */
/** `command.shell({ command: 'curl -fsS http://localhost/ | grep ok', unless: 'test -f /etc/done' })` */
