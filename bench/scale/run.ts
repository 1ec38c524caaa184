/**
 * `npm run bench:scale -- [--hosts 1,10,50,100] [--reps 3] [--forks N] [--per-container 25] [--connect-timeout 60] [--no-means] [--cpu-prof DIR] [--keep]`:
 * a no-op run of a 20-task playbook (bench/scale/playbook.ts) on growing numbers of light hosts
 * (several per container: hosts.ts), with default settings unless --forks is given. Reports wall
 * time, engine time, the controller's peak RSS (GNU time's %M) and peak open descriptors (sampled
 * from /proc every 50 ms) per host count; writes bench/results/scale-<time>.json.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureLabImage } from '../../src/lab/image.ts';
import { PROJECT_ROOT } from '../../src/lab/paths.ts';
import { removeBenchContainers } from '../lab.ts';
import { median } from '../report.ts';
import { startLightHosts, type LightLab } from './hosts.ts';
import { sessionVsChannel } from './means.ts';

const argv = process.argv.slice(2);
const get = (flag: string) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);
const counts = (get('--hosts') ?? '1,10,50,100').split(',').map(Number);
const reps = Number(get('--reps') ?? 3);
const forks = get('--forks');
const cpuProf = get('--cpu-prof');
const perContainer = Number(get('--per-container') ?? 25);
// Hundreds of handshakes on a 2-core machine whose hosts share its CPU: sshd itself can take more
// than the default 10 s to answer under that load (seen at load 90 with 300 hosts).
const connectTimeout = get('--connect-timeout') ?? '60';
const log = (line: string) => console.log(`bench: ${line}`);

interface Run {
  seconds: number;
  engineSeconds: number;
  rssMb: number;
  /** Most descriptors the controller held open at once. */
  peakFds: number;
  /** Connections sshd dropped and shipshape made again (recap's connectRetries). */
  connectRetries: number;
  changed: number;
  failed: number;
}

async function applyOnce(lab: LightLab, count: number, workDir: string, profile = false, env: NodeJS.ProcessEnv = {}, forksOverride?: string): Promise<Run> {
  const inventory = join(workDir, `inventory-${count}.json`);
  const hosts = lab.hosts.slice(0, count);
  writeFileSync(
    inventory,
    JSON.stringify({
      hosts: Object.fromEntries(hosts.map((h) => [h.name, { address: h.address, port: h.port }])),
      defaults: { user: 'deploy', become: true, privateKey: lab.privateKey, knownHosts: lab.knownHosts },
    }),
  );
  const node = [...(profile && cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${cpuProf}`] : []), join(PROJECT_ROOT, 'bin/shipshape.js')];
  const args = ['apply', join(PROJECT_ROOT, 'bench/scale/playbook.ts'), '-i', inventory, '--json', '--connect-timeout', connectTimeout, ...((forksOverride ?? forks) ? ['--forks', (forksOverride ?? forks)!] : [])];
  const run = await timedWithFds('/usr/bin/time', ['-f', '@@rss %M', process.execPath, ...node, ...args], { cwd: PROJECT_ROOT, env: { ...process.env, ...env } });
  const recap = run.stdout.split('\n').filter((l) => l.includes('"type":"recap"')).map((l) => JSON.parse(l))[0];
  const tallies = Object.values((recap?.hosts ?? {}) as Record<string, { changed: number; failed: number; unreachable: number }>);
  const rss = /@@rss (\d+)/.exec(run.stderr);
  const result = {
    seconds: run.seconds,
    engineSeconds: recap ? recap.durationMs / 1000 : NaN,
    rssMb: rss ? Number(rss[1]) / 1024 : NaN,
    peakFds: run.peakFds,
    connectRetries: Object.values((recap?.connectRetries ?? {}) as Record<string, number>).reduce((s, n) => s + n, 0),
    changed: tallies.reduce((s, t) => s + t.changed, 0),
    failed: tallies.reduce((s, t) => s + t.failed + t.unreachable, 0) + (recap ? 0 : 1),
  };
  if (result.failed) {
    const errors = run.stdout.split('\n').filter((l) => l.includes('"failed"') || l.includes('unreachable')).slice(0, 5).join('\n');
    throw new Error(`apply on ${count} hosts failed:\n${errors}\n${run.stderr.slice(-1500)}`);
  }
  return result;
}

async function main(): Promise<void> {
  const started = new Date();
  await removeBenchContainers('scale');
  const workDir = join(tmpdir(), `shipshape-bench-scale-${process.pid}`);
  const image = (await ensureLabImage(log)).tag;
  const max = Math.max(...counts);
  log(`starting ${max} light hosts (lab image, sshd -D without systemd, ${perContainer} per container)`);
  const rows: Array<{ hosts: number; converge: number; noop: number; engine: number; rssMb: number; peakFds: number; load: string; runs: Run[] }> = [];
  try {
    const lab = await startLightHosts(workDir, image, max, perContainer);
    log(`hosts up; load: ${loadAverage()}`);
    // Converge all hosts once (untimed for the table), so every count below is a no-op.
    const first = await applyOnce(lab, max, workDir);
    log(`first converge of ${max} hosts: ${first.seconds.toFixed(2)} s, ${first.changed} changes, peak RSS ${first.rssMb.toFixed(0)} MB`);
    for (const count of counts) {
      const runs: Run[] = [];
      for (let rep = 0; rep < reps; rep++) {
        const run = await applyOnce(lab, count, workDir, rep === 0 && count === max);
        if (run.changed) throw new Error(`no-op on ${count} hosts changed ${run.changed}`);
        runs.push(run);
        log(`${String(count).padStart(4)} hosts no-op: ${run.seconds.toFixed(2)} s (engine ${run.engineSeconds.toFixed(2)} s), peak RSS ${run.rssMb.toFixed(0)} MB, peak fds ${run.peakFds}, connect retries ${run.connectRetries}; load ${loadAverage()}`);
      }
      rows.push({
        hosts: count,
        converge: count === max ? first.seconds : NaN,
        noop: median(runs.map((r) => r.seconds)),
        engine: median(runs.map((r) => r.engineSeconds)),
        rssMb: Math.max(...runs.map((r) => r.rssMb)),
        peakFds: Math.max(...runs.map((r) => r.peakFds)),
        load: loadAverage(),
        runs,
      });
    }
    console.log(`\nno-op run of a 20-task playbook; default settings${forks ? ` except --forks ${forks}` : ''}; medians of ${reps}`);
    console.log('| hosts | wall s | engine s | peak RSS MB | peak fds | ms per added host | load after |');
    console.log('|------:|-------:|---------:|------------:|---------:|------------------:|-----------:|');
    rows.forEach((row, i) => {
      const prev = rows[i - 1];
      const marginal = prev ? (((row.noop - prev.noop) * 1000) / (row.hosts - prev.hosts)).toFixed(0) : '-';
      console.log(`| ${row.hosts} | ${row.noop.toFixed(2)} | ${row.engine.toFixed(2)} | ${row.rssMb.toFixed(0)} | ${row.peakFds} | ${marginal} | ${row.load} |`);
    });
    if (argv.includes('--no-means')) {
      writeResults(started, rows, undefined);
      return;
    }
    // The means, one at a time (issue 4): each against its own absence.
    const means: Record<string, unknown> = { transport: await sessionVsChannel(lab, lab.hosts[0]) };
    const noop = async (count: number, env: NodeJS.ProcessEnv, forksOverride?: string) => {
      const runs: Run[] = [];
      for (let rep = 0; rep < reps; rep++) runs.push(await applyOnce(lab, count, workDir, false, env, forksOverride));
      return { wall: median(runs.map((r) => r.seconds)), engine: median(runs.map((r) => r.engineSeconds)) };
    };
    const prefetchAt = Math.min(max, 50);
    means.prefetch = {
      hosts: prefetchAt,
      on: await noop(prefetchAt, {}),
      off: await noop(prefetchAt, { SHIPSHAPE_PREFETCH: '0' }),
      oneHostOn: await noop(1, {}),
      oneHostOff: await noop(1, { SHIPSHAPE_PREFETCH: '0' }),
    };
    means.parallelConnect = { hosts: prefetchAt, forks1: await noop(prefetchAt, {}, '1'), forks20: await noop(prefetchAt, {}, '20') };
    console.log(`\nmeans: ${JSON.stringify(means, (_key, v) => (typeof v === 'number' ? Number(v.toFixed(3)) : v), 2)}`);
    writeResults(started, rows, means);
  } finally {
    if (argv.includes('--keep')) log(`kept the hosts; inventories in ${workDir}`);
    else await removeBenchContainers('scale');
  }
}

function writeResults(started: Date, rows: unknown[], means: unknown): void {
  const outDir = join(PROJECT_ROOT, 'bench/results');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `scale-${started.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify({ started: started.toISOString(), node: process.version, forks: forks ?? 'default', perContainer, reps, rows, means }, null, 2)}\n`);
  console.log(`\nwrote ${file}`);
}

function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

/** Descriptors open in `pid` and its descendants' most-descriptor process (the controller under GNU time). */
function countFds(pid: number): number {
  let most = 0;
  const visit = (p: number) => {
    try {
      most = Math.max(most, readdirSync(`/proc/${p}/fd`).length);
      for (const child of readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').split(' ').filter(Boolean)) visit(Number(child));
    } catch {
      // The process ended between two reads.
    }
  };
  visit(pid);
  return most;
}

/** timed(), sampling the controller's open descriptors every 50 ms. */
function timedWithFds(file: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<{ code: number; stdout: string; stderr: string; seconds: number; peakFds: number }> {
  return new Promise((resolve, reject) => {
    const startedAt = performance.now();
    const child = spawn(file, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let peakFds = 0;
    const sampler = setInterval(() => (peakFds = Math.max(peakFds, countFds(child.pid!))), 50);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(sampler);
      resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), seconds: (performance.now() - startedAt) / 1000, peakFds });
    });
  });
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
