import type { Command } from 'commander';
import { gatherFacts } from '../facts/gather.ts';
import { mask } from '../secrets/mask.ts';
import { addInventoryOptions, hostSelector, loadInventoryFromOptions, parsePositiveInt, type InventoryOptions } from './common.ts';
import { forEachHost } from './hosts-each.ts';

interface FactsOptions extends InventoryOptions {
  json?: boolean;
  forks: number;
  acceptNewHostKeys?: boolean;
}

export function registerFactsCommand(program: Command, run: (code: Promise<number>) => Promise<void>): void {
  addInventoryOptions(program.command('facts'))
    .description('gather and print facts of the selected hosts')
    .option('--json', 'one JSON object per host and line')
    .option('-f, --forks <n>', 'hosts in parallel', parsePositiveInt('--forks'), 20)
    .option('--accept-new-host-keys', 'record unknown host keys')
    .action((options: FactsOptions) =>
      run(
        (async () => {
          const inventory = await loadInventoryFromOptions(options);
          const names = hostSelector(inventory, options)('all');
          const outcomes = await forEachHost(inventory, names, { forks: options.forks, acceptNewHostKeys: options.acceptNewHostKeys ?? false }, (conn) => gatherFacts(conn));
          for (const outcome of outcomes) {
            const line = 'value' in outcome
              ? options.json ? JSON.stringify({ host: outcome.host, facts: outcome.value }) : `${outcome.host}:\n${JSON.stringify(outcome.value, null, 2)}`
              : options.json ? JSON.stringify({ host: outcome.host, unreachable: true, error: outcome.error }) : `${outcome.host}: unreachable: ${outcome.error}`;
            process.stdout.write(`${mask(line)}\n`);
          }
          return outcomes.some((o) => 'error' in o) ? 1 : 0;
        })(),
      ),
    );
}
