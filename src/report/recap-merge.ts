/**
 * `shipshape recap merge *.jsonl`: the JSON lines of several runs (one per shard of a CI matrix)
 * read back into one recap, so the matrix ends with one table and one exit code. Runs that cannot
 * be trusted are problems, not silence: a file without a recap line (its job died mid-run), a host
 * recapped by two files, a shard given twice or missing, runs that mix check and apply.
 */
import { count as countResult, emptyTally, type HostTally, type Recap } from '../engine/result.ts';
import { ConfigError } from '../errors.ts';
import { parseShard } from '../inventory/shard.ts';

export interface RunLines {
  /** Where the lines came from, for messages. */
  file: string;
  text: string;
}

export interface MergedRecap {
  recap: Recap;
  /** Reasons the merged run is not whole; any makes the exit code 1. */
  problems: string[];
}

interface ParsedRun {
  file: string;
  shard?: string;
  recap?: Recap;
  /** Tallies rebuilt from task and unreachable lines, for a run that never printed its recap. */
  partial: Record<string, HostTally>;
}

function parseRun({ file, text }: RunLines): ParsedRun {
  const run: ParsedRun = { file, partial: {} };
  const tally = (host: string) => (run.partial[host] ??= emptyTally());
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    let value: Record<string, unknown>;
    try {
      value = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new ConfigError(`${file}:${index + 1}: not a JSON line (is this the output of --json?)`, { file });
    }
    if (value.type === 'start' && typeof value.shard === 'string') run.shard = value.shard;
    else if (value.type === 'recap') run.recap = value as unknown as Recap;
    else if (value.type === 'unreachable' && typeof value.host === 'string') tally(value.host).unreachable += 1;
    else if (value.type === 'task' && typeof value.host === 'string') countResult(tally(value.host), value as never);
  });
  return run;
}

export function mergeRecaps(inputs: RunLines[]): MergedRecap {
  if (inputs.length === 0) throw new ConfigError('recap merge: no files given');
  const runs = inputs.map(parseRun);
  const problems: string[] = [];
  const hosts: Record<string, HostTally> = {};
  const recappedBy = new Map<string, string>();
  let durationMs = 0;
  let interrupted = false;
  const checks = new Set<boolean>();
  const notStarted: Record<string, string[]> = {};
  const connectRetries: Record<string, number> = {};

  for (const run of runs) {
    if (!run.recap) {
      problems.push(`${run.file}: no recap line: that run did not finish (its tasks so far are counted)`);
      for (const [host, tally] of Object.entries(run.partial)) hosts[host] = addTallies(hosts[host], tally);
      interrupted = true;
      continue;
    }
    const { recap } = run;
    checks.add(recap.check);
    durationMs = Math.max(durationMs, recap.durationMs);
    interrupted ||= recap.interrupted;
    for (const [host, tally] of Object.entries(recap.hosts)) {
      const earlier = recappedBy.get(host);
      if (earlier) problems.push(`host ${host} is in the recaps of both ${earlier} and ${run.file}: were the shards of one N?`);
      recappedBy.set(host, run.file);
      hosts[host] = addTallies(hosts[host], tally);
    }
    Object.assign(notStarted, recap.notStarted ?? {});
    for (const [host, n] of Object.entries(recap.connectRetries ?? {})) connectRetries[host] = (connectRetries[host] ?? 0) + n;
  }
  if (checks.size > 1) problems.push('the runs mix check (plan) and apply');
  problems.push(...shardProblems(runs));

  const recap: Recap = {
    hosts: Object.fromEntries(Object.entries(hosts).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    durationMs,
    check: checks.has(true) && checks.size === 1,
    interrupted,
    ...(Object.keys(notStarted).length > 0 ? { notStarted } : {}),
    ...(Object.keys(connectRetries).length > 0 ? { connectRetries } : {}),
  };
  return { recap, problems };
}

function addTallies(a: HostTally | undefined, b: HostTally): HostTally {
  const sum = a ? { ...a } : emptyTally();
  for (const key of Object.keys(sum) as (keyof HostTally)[]) sum[key] += b[key] ?? 0;
  return sum;
}

/** With --shard runs: every K of 1..N exactly once, all of one N. Runs without shards are not checked. */
function shardProblems(runs: ParsedRun[]): string[] {
  const sharded = runs.filter((run) => run.shard !== undefined);
  if (sharded.length === 0) return [];
  const problems: string[] = [];
  if (sharded.length < runs.length) problems.push('some runs used --shard and some did not');
  const counts = new Set(sharded.map((run) => parseShard(run.shard!).count));
  if (counts.size > 1) return [...problems, `the runs split the hosts different ways: --shard K/${[...counts].join(', K/')}`];
  const [total] = counts;
  const seen = new Map<number, string>();
  for (const run of sharded) {
    const { index } = parseShard(run.shard!);
    const earlier = seen.get(index);
    if (earlier) problems.push(`shard ${index}/${total} is in both ${earlier} and ${run.file}`);
    seen.set(index, run.file);
  }
  const missing = Array.from({ length: total }, (_, i) => i + 1).filter((index) => !seen.has(index));
  if (missing.length > 0) problems.push(`missing shard${missing.length > 1 ? 's' : ''} ${missing.map((index) => `${index}/${total}`).join(', ')}: those hosts were not run`);
  return problems;
}
