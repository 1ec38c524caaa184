/**
 * `shipshape recap merge FILE...`: one recap and one exit code from the JSON lines of several runs (shards).
 * `shipshape recap metrics FILE --output PATH`: a plan's JSON lines as drift metrics for Prometheus.
 */
import { chmodSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { exitCode } from '../engine/result.ts';
import { ConfigError } from '../errors.ts';
import { recapText } from '../report/format.ts';
import { driftMetrics } from '../report/drift-metrics.ts';
import { mergeRecaps, type RunLines } from '../report/recap-merge.ts';

function readRun(file: string, command = 'recap merge'): RunLines {
  try {
    return { file, text: readFileSync(file === '-' ? 0 : file, 'utf8') };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(`${command}: cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`, { file, cause: error });
  }
}

/**
 * Temp file in the same directory, then rename: node exporter's textfile collector never reads a
 * half-written file, and its temp name does not end in .prom, so the collector skips it.
 */
function writeAtomically(file: string, text: string): void {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    writeFileSync(temp, text, { mode: 0o644 });
    chmodSync(temp, 0o644);
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw new ConfigError(`recap metrics: cannot write ${file}: ${(error as Error).message}`, { file, cause: error });
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
          const { recap: merged, problems } = mergeRecaps(files.map((file) => readRun(file)));
          if (options.json) process.stdout.write(`${JSON.stringify({ type: 'recap', ...merged, problems })}\n`);
          else process.stdout.write(`${recapText(merged)}\n`);
          for (const problem of problems) process.stderr.write(`recap merge: ${problem}\n`);
          return problems.length > 0 ? 1 : exitCode(merged);
        })(),
      ),
    );
  recap
    .command('metrics')
    .argument('<file>', 'the JSON lines of `shipshape plan --json` (- for stdin)')
    .description('drift metrics for Prometheus (node exporter textfile format): shipshape_drift_changes{host,play,task}, shipshape_drift_last_run_timestamp_seconds, shipshape_drift_run_failed')
    .option('-o, --output <path>', 'write to this file atomically (temp file and rename) instead of stdout')
    .action((file: string, options: { output?: string }) =>
      run(
        (async () => {
          const { text, problems } = driftMetrics(readRun(file, 'recap metrics').text, Date.now());
          if (options.output) writeAtomically(options.output, text);
          else process.stdout.write(text);
          for (const problem of problems) process.stderr.write(`recap metrics: ${problem}\n`);
          // The failure is in the metrics (run_failed 1) for the alert; writing them succeeded.
          return 0;
        })(),
      ),
    );
}
