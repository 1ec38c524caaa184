import path from 'node:path';
import type { Command } from 'commander';
import { runPlaybook } from '../engine/run.ts';
import { exitCode } from '../engine/result.ts';
import { preflightPlaybook } from '../engine/preflight.ts';
import { loadPlaybook } from '../playbook/load.ts';
import { addInventoryOptions, collect, hostSelector, loadInventoryFromOptions, parsePositiveInt, type InventoryOptions } from './common.ts';
import { sshConnector } from './connector.ts';
import { chooseReporter } from './reporter.ts';
import { traceEvent } from '../util/trace.ts';
import { checkOpenFilesLimit } from './open-files.ts';

interface ApplyOptions extends InventoryOptions {
  check?: boolean;
  diff?: boolean;
  tags?: string[];
  skipTags?: string[];
  forks: number;
  json?: boolean;
  verbose?: boolean;
  acceptNewHostKeys?: boolean;
  timeout?: number;
  lockTimeout: number;
  connectTimeout?: number;
}

function splitTags(values: string[] | undefined): string[] | undefined {
  if (!values || values.length === 0) return undefined;
  return values.flatMap((v) => v.split(',')).map((t) => t.trim()).filter(Boolean);
}

/** Runs a playbook; returns the exit code. */
export async function applyPlaybook(file: string, options: ApplyOptions): Promise<number> {
  // Validate everything local (inventory, playbook, arguments) before any host is contacted.
  traceEvent({ event: 'cli start' });
  const inventory = await loadInventoryFromOptions(options);
  traceEvent({ event: 'inventory loaded' });
  if (options.connectTimeout !== undefined) {
    // The command line wins over the inventory and ssh_config: a big fleet on a loaded controller
    // may need longer handshakes than the hosts' usual setting.
    for (const host of inventory.hosts.values()) {
      host.connection.connectTimeout = options.connectTimeout;
      host.connection.setByInventory = [...new Set([...(host.connection.setByInventory ?? []), 'connectTimeout' as const])];
    }
  }
  const selectHosts = hostSelector(inventory, options);
  const { playbook, baseDir } = await loadPlaybook(file);
  traceEvent({ event: 'playbook loaded' });
  const warnings = preflightPlaybook(playbook, inventory, selectHosts, file);
  const targeted = new Set(playbook.plays.flatMap((play) => selectHosts(play.hosts)));
  checkOpenFilesLimit([...inventory.hosts.values()].filter((host) => targeted.has(host.name)));
  const check = options.check ?? false;
  const reporter = await chooseReporter({ json: options.json, check, diff: options.diff ?? false, verbose: options.verbose ?? false, shard: options.shard, hosts: targeted.size });

  const abort = new AbortController();
  const onSigint = () => {
    if (abort.signal.aborted) process.exit(130);
    process.stderr.write('\ninterrupted: finishing running tasks, starting no new ones (Ctrl-C again to quit now)\n');
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    // Only a run that changes hosts takes their run lock; --check and plan only read.
    const runLock = check
      ? undefined
      : {
          timeoutS: options.lockTimeout,
          label: `playbook ${path.basename(file)}`,
          onWait: (holder: string, host: string) => process.stderr.write(`host ${host}: waiting up to ${options.lockTimeout} s for the run lock held by ${holder}\n`),
        };
    const connector = sshConnector({ acceptNewHostKeys: options.acceptNewHostKeys ?? false, runLock });
    const recap = await runPlaybook(playbook, inventory, connector, reporter, {
      check,
      forks: options.forks,
      baseDir,
      tags: splitTags(options.tags),
      skipTags: splitTags(options.skipTags),
      signal: abort.signal,
      defaultTimeoutMs: options.timeout === undefined ? undefined : options.timeout * 1000,
      playbookName: playbook.name ?? path.basename(file),
      selectHosts,
      warnings,
    });
    return exitCode(recap);
  } finally {
    process.off('SIGINT', onSigint);
  }
}

function addRunOptions(command: Command): Command {
  return addInventoryOptions(command)
    .option('-t, --tags <tags>', 'only tasks with these tags (comma-separated, repeatable)', collect, [])
    .option('--skip-tags <tags>', 'skip tasks with these tags', collect, [])
    .option('-f, --forks <n>', 'hosts in parallel', parsePositiveInt('--forks'), 20)
    .option('--json', 'one JSON object per line')
    .option('--timeout <seconds>', 'fail (and kill) any remote command of a task without its own timeout after this long', parsePositiveInt('--timeout'))
    .option('--connect-timeout <seconds>', "how long one host's SSH connection (TCP, key exchange, login) may take before it is unreachable; overrides the inventory's connectTimeout (default 10)", parsePositiveInt('--connect-timeout'))
    .option('--lock-timeout <seconds>', "how long to wait for another run's lock on a host before failing it", parsePositiveInt('--lock-timeout'), 60)
    .option('--accept-new-host-keys', "record unknown host keys (OpenSSH's accept-new); a changed key is always refused")
    .option('-v, --verbose', 'module output and stack traces');
}

export function registerApplyCommands(program: Command, run: (code: Promise<number>) => Promise<void>): void {
  addRunOptions(program.command('apply').argument('<playbook>', 'playbook .ts file'))
    .description('run a playbook: plan each task, apply only the difference')
    .option('-C, --check', 'change nothing; report what would change (exit 2 if anything would)')
    .option('-D, --diff', 'show file diffs')
    .action((file: string, options: ApplyOptions) => run(applyPlaybook(file, options)));

  addRunOptions(program.command('plan').argument('<playbook>', 'playbook .ts file'))
    .description('apply --check --diff: what would change; exit 2 when anything drifted')
    .action((file: string, options: ApplyOptions) => run(applyPlaybook(file, { ...options, check: true, diff: true })));
}
