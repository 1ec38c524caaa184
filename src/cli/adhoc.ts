import type { Command } from 'commander';
import { ConfigError } from '../errors.ts';
import { mask } from '../secrets/mask.ts';
import { color } from '../report/format.ts';
import { addInventoryOptions, hostSelector, loadInventoryFromOptions, parsePositiveInt, type InventoryOptions } from './common.ts';
import { forEachHost } from './hosts-each.ts';

interface AdhocOptions extends InventoryOptions {
  become?: boolean;
  forks: number;
  json?: boolean;
  timeout?: number;
  acceptNewHostKeys?: boolean;
}

/** `shipshape run -i INV PATTERN -- CMD`: one shell command on many hosts, output grouped per host. */
export function registerAdhocCommand(program: Command, run: (code: Promise<number>) => Promise<void>): void {
  addInventoryOptions(program.command('run'))
    .description('run an ad-hoc shell command on the hosts matching PATTERN')
    .argument('<pattern>', 'host pattern')
    .argument('<command...>', 'the command (after --)')
    .option('-b, --become', 'run through sudo')
    .option('-f, --forks <n>', 'hosts in parallel', parsePositiveInt('--forks'), 20)
    .option('--timeout <seconds>', 'kill the command after this long', parsePositiveInt('--timeout'))
    .option('--json', 'one JSON object per host and line')
    .option('--accept-new-host-keys', 'record unknown host keys')
    .action((pattern: string, words: string[], options: AdhocOptions) =>
      run(
        (async () => {
          const command = words.join(' ');
          if (command.trim() === '') throw new ConfigError('run: no command given (shipshape run -i INV PATTERN -- CMD)');
          const inventory = await loadInventoryFromOptions(options);
          const names = hostSelector(inventory, options)(pattern);
          if (names.length === 0) throw new ConfigError(`run: pattern "${pattern}" matches no host`);
          const outcomes = await forEachHost(
            inventory,
            names,
            { forks: options.forks, acceptNewHostKeys: options.acceptNewHostKeys ?? false },
            (conn) => conn.exec(command, { become: options.become, timeoutMs: options.timeout ? options.timeout * 1000 : undefined }),
          );
          let failures = 0;
          for (const outcome of outcomes) {
            if ('error' in outcome) {
              failures++;
              process.stdout.write(mask(options.json ? `${JSON.stringify({ host: outcome.host, unreachable: true, error: outcome.error })}\n` : `${color.red(`${outcome.host} | UNREACHABLE`)}: ${outcome.error}\n`));
              continue;
            }
            const r = outcome.value;
            if (r.exitCode !== 0) failures++;
            if (options.json) {
              process.stdout.write(mask(`${JSON.stringify({ host: outcome.host, exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, durationMs: r.durationMs })}\n`));
            } else {
              const head = r.exitCode === 0 ? color.green(`${outcome.host} | rc=0`) : color.red(`${outcome.host} | rc=${r.exitCode}`);
              process.stdout.write(mask(`${head}\n${r.stdout}${r.stdout.endsWith('\n') || r.stdout === '' ? '' : '\n'}${r.stderr ? color.red(r.stderr) : ''}`));
            }
          }
          return failures > 0 ? 1 : 0;
        })(),
      ),
    );
}
