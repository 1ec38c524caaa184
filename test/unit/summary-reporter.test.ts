/**
 * The live view of a large fleet stays readable: counts per play instead of a row per host, the
 * failures with their errors, which hosts changed, and a recap naming only hosts that are not clean.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { emptyTally, type Recap } from '../../src/engine/result.ts';
import { chooseReporter } from '../../src/cli/reporter.ts';
import { ListrReporter } from '../../src/report/listr.ts';
import type { Reporter } from '../../src/engine/reporter.ts';
import { SummaryReporter } from '../../src/report/summary.ts';

const hosts = Array.from({ length: 200 }, (_, i) => `node-${String(i + 1).padStart(3, '0')}`);
const failing = new Set(['node-007', 'node-150']);
const changing = new Set(['node-001', 'node-002', 'node-003']);

function drive(reporter: Reporter): Recap {
  const recap: Recap = { hosts: {}, durationMs: 1234, check: false, interrupted: false };
  reporter.runStart({ playbook: 'scale', check: false, hosts });
  reporter.playStart({ name: 'twenty tasks', hosts });
  for (const host of hosts) {
    recap.hosts[host] = emptyTally();
    for (let t = 0; t < 20; t++) {
      const status = failing.has(host) && t === 5 ? 'failed' : changing.has(host) && t === 3 ? 'changed' : 'ok';
      reporter.taskStart({ play: 'twenty tasks', host, task: `task ${t}` });
      reporter.taskResult({
        play: 'twenty tasks',
        host,
        task: `task ${t}`,
        result: { status, changes: status === 'changed' ? [{ description: 'write /opt/x' }] : [], durationMs: 1, ...(status === 'failed' ? { error: `host ${host}: disk full` } : {}) },
      });
      recap.hosts[host][status] += 1;
      if (status === 'failed') break;
    }
    reporter.hostDone('twenty tasks', host, { failed: failing.has(host) });
  }
  reporter.playEnd({ name: 'twenty tasks' });
  reporter.recap(recap);
  return recap;
}

describe('the summary view', () => {
  it('prints counts, failures and changed hosts, not a row per host', () => {
    const lines: string[] = [];
    const statuses: string[] = [];
    drive(new SummaryReporter({ check: false, diff: false, verbose: false, write: (text) => lines.push(...text.split('\n')), status: (text) => statuses.push(text), statusIntervalMs: 0 }));
    const text = lines.join('\n');
    expect(lines.length).toBeLessThan(30);
    expect(text).toContain('failed node-007 › task 5\n  host node-007: disk full');
    expect(text).toContain('failed node-150 › task 5');
    expect(text).toContain('200/200 hosts done · tasks ok 3967, changed 3, failed 2, skipped 0');
    expect(text).toContain('changed on 3 host(s): node-001, node-002, node-003');
    expect(text).toContain('failed on 2 host(s): node-007, node-150');
    // The recap names the five hosts that are not clean, and no clean one.
    expect(text).toMatch(/^node-007 +ok=5 +changed=0 +failed=1/m);
    expect(text).not.toMatch(/^node-100 /m);
    expect(text).toContain('200 hosts: 195 clean, 5 changed, failed or unreachable; tasks ok=3967 changed=3 failed=2');
    // The status line is live: it counts up while hosts finish.
    expect(statuses).toContain('  100/200 hosts done · tasks ok 1982, changed 3, failed 1, skipped 0');
  });
});

describe('on a terminal', () => {
  const tty = process.stdout.isTTY;
  afterEach(() => void (process.stdout.isTTY = tty));

  it('a fleet above 50 hosts gets the summary view, a smaller one the listr tree', async () => {
    process.stdout.isTTY = true;
    const saved = process.env.CI;
    delete process.env.CI;
    try {
      const options = { check: false, diff: false, verbose: false };
      expect(await chooseReporter({ ...options, hosts: 51 })).toBeInstanceOf(SummaryReporter);
      expect(await chooseReporter({ ...options, hosts: 50 })).toBeInstanceOf(ListrReporter);
    } finally {
      if (saved !== undefined) process.env.CI = saved;
    }
  });
});
