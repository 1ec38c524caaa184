/**
 * A role's test bench (what Molecule is to Ansible): throwaway systemd+sshd hosts of the lab image
 * (hosts.ts), their inventory, playbooks applied in-process with structured results, and the three
 * checks every role needs: converges from fresh, a second run changes nothing, drift is planned and fixed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sshConnector } from '../cli/connector.ts';
import { exitCode, type Recap } from '../engine/result.ts';
import { runPlaybook } from '../engine/run.ts';
import { selectHosts } from '../inventory/patterns.ts';
import { loadInventory } from '../inventory/load.ts';
import type { TaskResult } from '../task/types.ts';
import { loadPlaybook } from '../playbook/load.ts';
import type { Reporter, TaskEvent } from '../engine/reporter.ts';
import { startTestHosts, TEST_LABEL, type TestHost, type TestHosts } from './hosts.ts';

export interface ApplyOptions {
  /** Plan only (`shipshape plan`): exit code 2 when something would change. */
  check?: boolean;
  /** Inventory-wide vars for this run (besides those given to startLab). */
  vars?: Record<string, unknown>;
}

export interface TaskOutcome extends TaskEvent {
  result: TaskResult;
}

export interface ApplyResult {
  /** As the CLI's: 0 success, 1 a failure or an unreachable host, 2 changes planned (check). */
  exitCode: number;
  recap: Recap;
  /** Every task's result, in the order they finished. */
  results: TaskOutcome[];
  /** Tasks that changed (or, in check mode, would change). */
  changed: TaskOutcome[];
  /** Tasks that failed (not ignored) and hosts that could not be reached, one line each. */
  failures: string[];
}

export interface StartLabOptions {
  /** Inventory-wide vars every run gets. */
  vars?: Record<string, unknown>;
  /** Groups of the inventory: `{ web: ['web-01'] }`. */
  groups?: Record<string, string[]>;
}

export interface TestLab extends TestHosts {
  /** The hosts as a JSON inventory (what `-i` takes), connecting as `deploy` with sudo. */
  inventory(vars?: Record<string, unknown>): Record<string, unknown>;
  /** Writes inventory() to a JSON file (by default in the lab's own temporary directory) and returns its path. */
  writeInventory(file?: string, vars?: Record<string, unknown>): string;
  host(name: string): TestHost;
  apply(playbook: string, options?: ApplyOptions): Promise<ApplyResult>;
  /** Applies to fresh hosts: must succeed (exit 0). */
  expectConverges(playbook: string, options?: Omit<ApplyOptions, 'check'>): Promise<ApplyResult>;
  /** Applies again, then plans: nothing may change, nor be planned. */
  expectIdempotent(playbook: string, options?: Omit<ApplyOptions, 'check'>): Promise<ApplyResult>;
  /** Runs `drift` on every host, then: the plan must show changes (exit 2), apply must fix them, a new plan none. */
  expectDriftFixed(playbook: string, drift: (host: TestHost) => Promise<void>, options?: Omit<ApplyOptions, 'check'>): Promise<ApplyResult>;
}

/** A failed expectation of the lab's checks, with what the run reported. */
export class LabExpectationError extends Error {
  constructor(message: string, readonly result: ApplyResult) {
    super(`${message}\n${describe(result)}`);
    this.name = 'LabExpectationError';
  }
}

function describe(result: ApplyResult): string {
  const lines = [`exit code ${result.exitCode}`];
  for (const failure of result.failures) lines.push(`  failed: ${failure}`);
  for (const task of result.changed) lines.push(`  changed: ${task.host} ${task.task}${task.result.changes.map((c) => `\n    - ${c.description}`).join('')}`);
  return lines.join('\n');
}

/** Starts `names` as lab hosts; remove them with `await lab.stop()` (also done at process exit). */
export async function startLab(names: string[], options: StartLabOptions = {}): Promise<TestLab> {
  const hosts = await startTestHosts(names);
  const release = removeAtExit(hosts.labels[TEST_LABEL], hosts.network);
  const workDir = mkdtempSync(path.join(tmpdir(), 'shipshape-lab-run-'));
  const stop = async () => {
    release();
    rmSync(workDir, { recursive: true, force: true });
    await hosts.stop();
  };
  const inventory = (vars: Record<string, unknown> = {}) => {
    const first = hosts.hosts[0];
    return {
      defaults: { user: 'deploy', become: true, privateKey: first.privateKeyPath, knownHosts: first.knownHostsPath },
      hosts: Object.fromEntries(hosts.hosts.map((h) => [h.name, { address: h.address, port: h.port }])),
      groups: Object.fromEntries(Object.entries(options.groups ?? {}).map(([group, members]) => [group, { hosts: members }])),
      vars: { ...options.vars, ...vars },
    };
  };
  const writeInventory = (file = path.join(workDir, 'inventory.json'), vars?: Record<string, unknown>) => {
    writeFileSync(file, `${JSON.stringify(inventory(vars), null, 2)}\n`);
    return file;
  };
  const apply = (playbook: string, applyOptions: ApplyOptions = {}) => applyInProcess(path.resolve(playbook), writeInventory(undefined, applyOptions.vars), applyOptions.check ?? false);
  const lab: TestLab = {
    ...hosts,
    stop,
    inventory,
    writeInventory,
    host(name) {
      const found = hosts.hosts.find((h) => h.name === name);
      if (!found) throw new Error(`no lab host named ${name} (hosts: ${hosts.hosts.map((h) => h.name).join(', ')})`);
      return found;
    },
    apply,
    async expectConverges(playbook, runOptions = {}) {
      const result = await apply(playbook, runOptions);
      if (result.exitCode !== 0) throw new LabExpectationError(`${playbook} did not converge`, result);
      return result;
    },
    async expectIdempotent(playbook, runOptions = {}) {
      const again = await apply(playbook, runOptions);
      if (again.exitCode !== 0 || again.changed.length > 0) throw new LabExpectationError(`${playbook} is not idempotent: a second run changed something`, again);
      const plan = await apply(playbook, { ...runOptions, check: true });
      if (plan.exitCode !== 0) throw new LabExpectationError(`${playbook} is not idempotent: after two runs the plan still shows changes`, plan);
      return again;
    },
    async expectDriftFixed(playbook, drift, runOptions = {}) {
      for (const host of hosts.hosts) await drift(host);
      const planned = await apply(playbook, { ...runOptions, check: true });
      if (planned.exitCode !== 2) throw new LabExpectationError(`${playbook}: the drift was not planned (expected exit code 2)`, planned);
      const fixed = await apply(playbook, runOptions);
      if (fixed.exitCode !== 0) throw new LabExpectationError(`${playbook}: applying did not fix the drift`, fixed);
      const after = await apply(playbook, { ...runOptions, check: true });
      if (after.exitCode !== 0) throw new LabExpectationError(`${playbook}: after the fix the plan still shows changes`, after);
      return fixed;
    },
  };
  return lab;
}

async function applyInProcess(playbookFile: string, inventoryFile: string, check: boolean): Promise<ApplyResult> {
  const inventory = await loadInventory(inventoryFile);
  const { playbook, baseDir } = await loadPlaybook(playbookFile);
  const results: TaskOutcome[] = [];
  const failures: string[] = [];
  const reporter: Reporter = {
    runStart() {},
    hostUnreachable: (host, reason) => void failures.push(`${host}: unreachable: ${reason}`),
    playStart() {},
    taskStart() {},
    taskResult(event) {
      results.push(event);
      if (event.result.status === 'failed' && !event.result.ignored) failures.push(`${event.host} ${event.task}: ${event.result.error ?? 'failed'}`);
    },
    hostDone() {},
    playEnd() {},
    recap() {},
  };
  const runLock = check ? undefined : { timeoutS: 60, label: `test ${path.basename(playbookFile)}` };
  const recap = await runPlaybook(playbook, inventory, sshConnector({ acceptNewHostKeys: false, runLock }), reporter, {
    check,
    forks: 20,
    baseDir,
    playbookName: playbook.name ?? path.basename(playbookFile),
    selectHosts: (pattern) => selectHosts(inventory, pattern),
  });
  return { exitCode: exitCode(recap), recap, results, changed: results.filter((r) => r.result.status === 'changed'), failures };
}

const pending = new Map<string, string>();
let hooked = false;

/**
 * Removes a lab's containers and network when the process ends without stop() (a crashed test, a
 * Ctrl-C). Exit handlers cannot wait, so this runs docker synchronously.
 */
function removeAtExit(runId: string, network: string): () => void {
  pending.set(runId, network);
  if (!hooked) {
    hooked = true;
    process.once('exit', removePending);
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        removePending();
        process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
      });
    }
  }
  return () => pending.delete(runId);
}

function removePending(): void {
  for (const [runId, network] of pending) {
    try {
      const ids = execFileSync('docker', ['ps', '-aq', '--filter', `label=${TEST_LABEL}=${runId}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
      if (ids.length > 0) execFileSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore' });
      execFileSync('docker', ['network', 'rm', network], { stdio: 'ignore' });
    } catch {
      // best effort: the engine may be gone already
    }
  }
  pending.clear();
}
