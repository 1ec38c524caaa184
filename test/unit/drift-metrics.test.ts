/**
 * `shipshape recap metrics`: a plan's JSON lines as Prometheus drift metrics (textfile format),
 * written atomically; a broken run reports run_failed 1 instead of failing the conversion.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { driftMetrics } from '../../src/report/drift-metrics.ts';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const CLI = path.join(ROOT, 'bin/shipshape.js');
const PROMTOOL = process.env.PROMTOOL ?? path.join(ROOT, '.cache/promtool/promtool');
const dir = mkdtempSync(path.join(tmpdir(), 'shipshape-drift-metrics-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PLAY = 'servers';
const task = (host: string, name: string, status: string, changes: string[] = [], extra: object = {}) =>
  JSON.stringify({ type: 'task', play: PLAY, host, task: name, status, changes: changes.map((description) => ({ description })), durationMs: 3, ...extra });
const start = JSON.stringify({ type: 'start', playbook: 'site.ts', check: true, hosts: ['web-01', 'web-02'] });
const recap = (interrupted = false) => JSON.stringify({ type: 'recap', hosts: {}, durationMs: 900, check: true, interrupted });

const drifted = [
  start,
  JSON.stringify({ type: 'play', play: PLAY, hosts: ['web-01', 'web-02'] }),
  task('web-01', 'haproxy configuration', 'changed', ['update /etc/haproxy/haproxy.cfg', 'mode 0600 -> 0644']),
  task('web-01', 'firewall', 'ok'),
  task('web-02', 'firewall', 'changed', ['allow 443/tcp from any']),
  // Same name twice in one play: one series, summed.
  task('web-02', 'firewall', 'changed', ['allow 80/tcp from any']),
  task('web-02', 'say "hi"\\now', 'ok'),
  task('web-01', 'reload haproxy', 'changed', ['reload haproxy'], { handler: true }),
  recap(),
].join('\n');

function series(text: string): Record<string, number> {
  return Object.fromEntries(
    text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => {
      const at = l.lastIndexOf(' ');
      return [l.slice(0, at), Number(l.slice(at + 1))];
    }),
  );
}

describe('drift metrics from plan --json', () => {
  it('counts pending changes per host, play and task; handlers are not counted twice; run_failed 0', () => {
    const { text, problems } = driftMetrics(drifted, 1_700_000_000_500);
    expect(problems).toEqual([]);
    expect(series(text)).toEqual({
      'shipshape_drift_changes{host="web-01",play="servers",task="haproxy configuration"}': 2,
      'shipshape_drift_changes{host="web-01",play="servers",task="firewall"}': 0,
      'shipshape_drift_changes{host="web-02",play="servers",task="firewall"}': 2,
      'shipshape_drift_changes{host="web-02",play="servers",task="say \\"hi\\"\\\\now"}': 0,
      shipshape_drift_last_run_timestamp_seconds: 1_700_000_000.5,
      shipshape_drift_run_failed: 0,
    });
  });

  it('reports run_failed 1 for a failed task, an unreachable host, an interruption, a missing recap, an apply, or no JSON', () => {
    const failed = (lines: string[]) => driftMetrics(lines.join('\n'), 0);
    expect(failed([start, task('web-01', 'firewall', 'failed'), recap()]).problems).toEqual(['host web-01: task "firewall" failed']);
    expect(failed([start, task('web-01', 'firewall', 'failed', [], { ignored: true }), recap()]).problems).toEqual([]);
    expect(failed([start, JSON.stringify({ type: 'unreachable', host: 'web-02', error: 'timeout' }), recap()]).problems).toEqual(['host web-02 unreachable']);
    expect(failed([start, recap(true)]).problems).toEqual(['the plan was interrupted']);
    expect(failed([start, task('web-01', 'firewall', 'changed', ['x'])]).problems).toEqual(['no recap line: the plan did not finish (or did not start)']);
    expect(failed([start.replace('"check":true', '"check":false'), recap()]).problems).toEqual(['the run was an apply, not a plan']);
    const garbage = failed(['Error: inventory not found']);
    expect(garbage.problems).toContain('1 line(s) are not JSON (is this the output of plan --json?)');
    for (const result of [garbage, failed([]), failed([start, recap(true)])]) expect(series(result.text).shipshape_drift_run_failed).toBe(1);
  });

  it('is valid Prometheus text format (promtool check metrics)', async () => {
    if (!existsSync(PROMTOOL)) throw new Error(`promtool not found at ${PROMTOOL}: run scripts/ensure-promtool.sh`);
    const input = path.join(dir, 'check.prom');
    writeFileSync(input, driftMetrics(drifted, 1_700_000_000_000).text);
    // promtool reads the metrics on stdin; exit 0 means no format or lint problem.
    const result = await run('sh', ['-c', `"${PROMTOOL}" check metrics < "${input}"`]).then(
      (r) => ({ code: 0, out: r.stdout + r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
    );
    expect(result.code, result.out).toBe(0);
  });

  it('`recap metrics --output` writes the file atomically (0644, no temp file left), reading the plan from stdin', async () => {
    const out = path.join(dir, 'shipshape.prom');
    writeFileSync(path.join(dir, 'plan.jsonl'), drifted);
    const { stderr } = await run('sh', ['-c', `"${process.execPath}" "${CLI}" recap metrics - --output "${out}" < "${path.join(dir, 'plan.jsonl')}"`]);
    expect(stderr).toBe('');
    expect(series(readFileSync(out, 'utf8'))['shipshape_drift_changes{host="web-02",play="servers",task="firewall"}']).toBe(2);
    expect(statSync(out).mode & 0o777).toBe(0o644);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('`recap metrics` still writes run_failed 1 (exit 0) when the plan produced nothing, and names why on stderr', async () => {
    const out = path.join(dir, 'empty.prom');
    writeFileSync(path.join(dir, 'empty.jsonl'), '');
    const { stderr } = await run(process.execPath, [CLI, 'recap', 'metrics', path.join(dir, 'empty.jsonl'), '-o', out]);
    expect(stderr).toContain('recap metrics: no recap line');
    expect(series(readFileSync(out, 'utf8')).shipshape_drift_run_failed).toBe(1);
  });
});
