import { z } from 'zod';
import { Secret } from '../../secrets/secret.ts';

/** What a command task registers for later tasks (Ansible's register). */
export interface CommandOutput {
  stdout: string;
  stderr: string;
  exitCode: number;
}

const predicate = z.custom<(result: CommandOutput) => boolean>((v) => typeof v === 'function', 'must be a function (result) => boolean');

/** A guard command: a shell string, or an argv array (quoted for you). */
const guardCommand = z.union([z.string().min(1), z.array(z.string()).min(1)]);

const commonShape = {
  /** Skip (status ok) when this path exists: the command's work is already done. */
  creates: z.string().min(1).optional(),
  /** Skip when this path does not exist: there is nothing left to remove. */
  removes: z.string().min(1).optional(),
  /** Skip when this command exits 0. It also runs under --check, so it must only read. */
  unless: guardCommand.optional(),
  /** Run only when this command exits 0. It also runs under --check, so it must only read. */
  onlyIf: guardCommand.optional(),
  /** Working directory for the command and its guards. */
  chdir: z.string().min(1).optional(),
  /** Environment variables (visible in the process list: pass secrets through stdin). */
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'not an environment variable name'), z.string()).default({}),
  /** Fed to the command's standard input; a Secret never appears on a command line or in a log. */
  stdin: z.union([z.string(), z.instanceof(Secret)]).optional(),
  /** Decides "changed" from the result instead of always; false reports the task ok. */
  changedWhen: predicate.optional(),
  /** Decides failure from the result instead of the exit code. */
  failedWhen: predicate.optional(),
};

export const runSchema = z.strictObject({
  /** Program and arguments, each quoted: no shell syntax is interpreted. */
  argv: z.array(z.string()).min(1, 'give at least the program to run'),
  ...commonShape,
});

export const shellSchema = z.strictObject({
  /** A bash script: pipes, redirections and variables work. */
  command: z.string().min(1),
  ...commonShape,
});

export type RunArgs = z.output<typeof runSchema>;
export type ShellArgs = z.output<typeof shellSchema>;
export type CommonArgs = Omit<RunArgs, 'argv'>;
