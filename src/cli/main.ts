import { Command, CommanderError } from 'commander';
import { z } from 'zod';
import { registerAdhocCommand } from './adhoc.ts';
import { registerApplyCommands } from './apply.ts';
import { registerCompletionCommand } from './completion.ts';
import { keepRunningWhenOutputCloses } from './closed-output.ts';
import { reportFatal } from './errors.ts';
import { registerFactsCommand } from './facts.ts';
import { registerInitCommand } from './init.ts';
import { registerInventoryCommand } from './inventory.ts';
import { registerLabCommand } from './lab.ts';
import { registerRecapCommand } from './recap.ts';
import { registerVaultCommand } from './vault.ts';

/** The CLI: parses argv, runs the command (resolving once it is done), sets process.exitCode. Never throws. */
export async function main(argv: string[]): Promise<void> {
  keepRunningWhenOutputCloses();
  // zod compiles each object schema to a function on its first parse, which pays off for a schema
  // parsed thousands of times; a run parses each of its many schemas a few times, so compiling
  // costs more CPU than it saves.
  z.config({ jitless: true });
  const program = new Command('shipshape')
    .description('agentless provisioning with typed TypeScript playbooks')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();

  const verbose = argv.includes('-v') || argv.includes('--verbose');

  /** Every action hands its promise here (and returns what this returns, so parsing waits for it): one place maps results and errors to exit codes. */
  function run(code: Promise<number>): Promise<void> {
    return code.then(
      (value) => {
        process.exitCode = value;
      },
      (error: unknown) => {
        process.exitCode = reportFatal(error, verbose);
      },
    );
  }

  registerApplyCommands(program, run);
  registerFactsCommand(program, run);
  registerAdhocCommand(program, run);
  registerInventoryCommand(program);
  registerVaultCommand(program);
  registerLabCommand(program);
  registerRecapCommand(program, run);
  registerInitCommand(program, run);
  registerCompletionCommand(program);

  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander already printed its message (or help); keep its code (0 for --help/--version).
      process.exitCode = error.exitCode === 0 ? 0 : 1;
    } else {
      process.exitCode = reportFatal(error, verbose);
    }
  }
}
