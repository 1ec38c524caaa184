/** `shipshape recap merge FILE...`: one recap and one exit code from the JSON lines of several runs (shards). */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { exitCode } from '../engine/result.ts';
import { ConfigError } from '../errors.ts';
import { recapText } from '../report/format.ts';
import { mergeRecaps, type RunLines } from '../report/recap-merge.ts';

function readRun(file: string): RunLines {
  try {
    return { file, text: readFileSync(file, 'utf8') };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(`recap merge: cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`, { file, cause: error });
  }
}

export function registerRecapCommand(program: Command, run: (code: Promise<number>) => Promise<void>): void {
  const recap = program.command('recap').description('work with the JSON lines (--json) of finished runs');
  recap
    .command('merge')
    .argument('<files...>', 'JSON lines files, one per run (e.g. one per --shard K/N job)')
    .description('one recap and one exit code for several runs: 1 if any failed, was unreachable, did not finish or a shard is missing; 2 if a plan found changes')
    .option('--json', 'print the merged recap as one JSON line')
    .action((files: string[], options: { json?: boolean }) =>
      run(
        (async () => {
          const { recap: merged, problems } = mergeRecaps(files.map(readRun));
          if (options.json) process.stdout.write(`${JSON.stringify({ type: 'recap', ...merged, problems })}\n`);
          else process.stdout.write(`${recapText(merged)}\n`);
          for (const problem of problems) process.stderr.write(`recap merge: ${problem}\n`);
          return problems.length > 0 ? 1 : exitCode(merged);
        })(),
      ),
    );
}
