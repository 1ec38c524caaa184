/**
 * One timed run of each contender, as a user would start it: a fresh process, wall time from spawn
 * to exit. Each returns the tallies it reported, so the bench can check that a no-op run changed
 * nothing and that a converge did not fail (a fast failure is not a result).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../src/lab/paths.ts';

export interface RunResult {
  seconds: number;
  ok: boolean;
  changed: number;
  failed: number;
  /** Tool-specific figures (engine time, task counts), kept in the JSON. */
  detail: Record<string, unknown>;
  output: string;
}

export interface Timed {
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
}

export function timed(file: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(file, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.stdin.on('error', () => {});
    child.stdin.end(options.input);
    child.on('close', (code) =>
      resolve({
        code: code ?? 1,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        seconds: (performance.now() - started) / 1000,
      }),
    );
  });
}

/** `shipshape apply` through the published bin, as users run it. */
export async function runShipshape(playbook: string, inventory: string, extra: string[] = []): Promise<RunResult> {
  const run = await timed(process.execPath, [join(PROJECT_ROOT, 'bin/shipshape.js'), 'apply', playbook, '-i', inventory, '--json', ...extra], {
    cwd: PROJECT_ROOT,
  });
  const lines = run.stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, any>);
  const recap = lines.find((line) => line.type === 'recap');
  const tallies = Object.values((recap?.hosts ?? {}) as Record<string, { changed: number; failed: number; unreachable: number }>);
  const tasks = lines.filter((line) => line.type === 'task');
  return {
    seconds: run.seconds,
    ok: run.code === 0 && recap !== undefined,
    changed: tallies.reduce((sum, t) => sum + t.changed, 0),
    failed: tallies.reduce((sum, t) => sum + t.failed + t.unreachable, 0),
    detail: {
      engineSeconds: recap ? recap.durationMs / 1000 : undefined,
      taskResults: tasks.length,
      slowest: tasks
        .sort((a, b) => b.durationMs - a.durationMs)
        .slice(0, 5)
        .map((t) => `${t.host} ${t.task} ${(t.durationMs / 1000).toFixed(2)} s`),
    },
    output: run.code === 0 ? '' : `${run.stderr}\n${tasks.filter((t) => t.status === 'failed').map((t) => `${t.host} ${t.task}: ${t.error}`).join('\n')}${lines.filter((l) => l.type === 'unreachable').map((l) => JSON.stringify(l)).join('\n')}`,
  };
}

/**
 * The Ansible settings the bench compares: `plain` is the bench's ansible.cfg (pipelining on, forks
 * 5, facts once); `mitogen` adds Mitogen's `mitogen_linear` strategy (Debian's ansible-mitogen), the
 * setting Ansible users pick for speed; `tuned` is the best plain setting, for when Mitogen cannot
 * run: strategy free, forks 20, facts cached in a JSON file between runs.
 */
export type AnsibleSetting = 'plain' | 'mitogen' | 'tuned';

export function ansibleSettingEnv(setting: AnsibleSetting, cacheDir: string): NodeJS.ProcessEnv {
  if (setting === 'mitogen') return { ANSIBLE_STRATEGY: 'mitogen_linear' };
  if (setting === 'tuned') {
    return { ANSIBLE_STRATEGY: 'free', ANSIBLE_FORKS: '20', ANSIBLE_GATHERING: 'smart', ANSIBLE_CACHE_PLUGIN: 'jsonfile', ANSIBLE_CACHE_PLUGIN_CONNECTION: cacheDir };
  }
  return {};
}

/** `ansible-playbook` with the bench's ansible.cfg (pipelining on, forks 5, facts once), and `env` on top. */
export async function runAnsible(ansibleDir: string, inventory: string, extra: string[] = [], settingEnv: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  const env = { ...process.env, ANSIBLE_CONFIG: join(ansibleDir, 'ansible.cfg'), ANSIBLE_FORCE_COLOR: '0', ANSIBLE_HOST_KEY_CHECKING: 'True', ...settingEnv };
  const run = await timed('ansible-playbook', ['-i', inventory, join(ansibleDir, 'site.yml'), ...extra], { cwd: ansibleDir, env });
  let changed = 0;
  let failed = 0;
  let tasks = 0;
  for (const match of run.stdout.matchAll(/^\S+\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)/gm)) {
    tasks += Number(match[1]) + Number(match[5]);
    changed += Number(match[2]);
    failed += Number(match[3]) + Number(match[4]);
  }
  return {
    seconds: run.seconds,
    ok: run.code === 0,
    changed,
    failed,
    detail: { taskResults: tasks },
    output: run.code === 0 ? '' : `${run.stdout.slice(-4000)}\n${run.stderr.slice(-2000)}`,
  };
}

export interface SshTarget {
  name: string;
  address: string;
  port: number;
  user: string;
}

/**
 * The physical floor: per host, one hand-written probe script sent over ONE OpenSSH command
 * (a fresh connection, no multiplexing), all hosts in parallel. Nothing is planned or compared:
 * it only reads the state the site checks, so no tool can be faster than this.
 */
export async function runFloor(targets: Array<SshTarget & { script: string }>, privateKey: string, knownHosts: string, workDir: string): Promise<RunResult> {
  const started = performance.now();
  const runs = await Promise.all(
    targets.map((target) => {
      const scriptFile = join(workDir, `floor-${target.name}.sh`);
      writeFileSync(scriptFile, target.script);
      return timed(
        'ssh',
        [
          '-i', privateKey,
          '-o', 'IdentitiesOnly=yes',
          '-o', 'BatchMode=yes',
          '-o', `UserKnownHostsFile=${knownHosts}`,
          '-o', 'StrictHostKeyChecking=yes',
          '-o', 'ControlMaster=no',
          '-o', 'ControlPath=none',
          '-p', String(target.port),
          `${target.user}@${target.address}`,
          'sudo sh -s',
        ],
        { input: target.script },
      );
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const failedRuns = runs.filter((run) => run.code !== 0);
  return {
    seconds,
    ok: failedRuns.length === 0,
    changed: 0,
    failed: failedRuns.length,
    detail: { perHostSeconds: runs.map((run) => Number(run.seconds.toFixed(3))), outputBytes: runs.map((run) => run.stdout.length) },
    output: failedRuns.map((run) => run.stderr).join('\n'),
  };
}
