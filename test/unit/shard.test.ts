/**
 * --shard K/N and `recap merge`: a CI matrix of N jobs provisions every host exactly once, and the
 * merged recap gives one table and one exit code.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import { inShard, parseShard, shardOf } from '../../src/inventory/shard.ts';
import { mergeRecaps } from '../../src/report/recap-merge.ts';

const names = Array.from({ length: 1000 }, (_, i) => `web-${String(i + 1).padStart(4, '0')}`);

describe('--shard K/N', () => {
  it('puts every host in exactly one shard, and the shards are near even', () => {
    for (const count of [1, 2, 3, 7, 16]) {
      const shards = Array.from({ length: count }, (_, i) => names.filter((name) => inShard(name, { index: i + 1, count })));
      const all = shards.flat();
      expect(all.length).toBe(names.length);
      expect(new Set(all).size).toBe(names.length);
      const ideal = names.length / count;
      for (const shard of shards) expect(Math.abs(shard.length - ideal)).toBeLessThan(ideal * 0.25 + 5);
    }
  });

  it("a host's shard depends on its name and N only: not on order, nor on the other hosts", () => {
    const before = new Map(names.map((name) => [name, shardOf(name, 4)]));
    const reversedAndGrown = [...names].reverse().concat(['db-new-1', 'db-new-2']);
    for (const name of reversedAndGrown) if (before.has(name)) expect(shardOf(name, 4)).toBe(before.get(name));
  });

  it('is the same in another process (no per-process seed)', () => {
    const script = `import('${path.resolve('src/inventory/shard.ts')}').then((m) => console.log(JSON.stringify(${JSON.stringify(names.slice(0, 50))}.map((n) => m.shardOf(n, 5)))))`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8' });
    expect(child.status, child.stderr).toBe(0);
    expect(JSON.parse(child.stdout)).toEqual(names.slice(0, 50).map((name) => shardOf(name, 5)));
  });

  it.each(['0/4', '5/4', '1/0', '2', 'a/b', '1/2/3'])('rejects %s with a clear error', (text) => {
    expect(() => parseShard(text)).toThrow(ConfigError);
    expect(() => parseShard(text)).toThrow(/--shard/);
  });
});

function lines(...values: unknown[]): string {
  return values.map((value) => JSON.stringify(value)).join('\n');
}
const tally = (t: Partial<Record<'ok' | 'changed' | 'failed' | 'skipped' | 'unreachable', number>>) => ({ ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 0, ...t });
const recapLine = (hosts: Record<string, ReturnType<typeof tally>>, extra: Record<string, unknown> = {}) => ({ type: 'recap', hosts, durationMs: 1000, check: false, interrupted: false, ...extra });

describe('recap merge', () => {
  it('adds the hosts of every shard into one recap', () => {
    const { recap, problems } = mergeRecaps([
      { file: 'a.jsonl', text: lines({ type: 'start', shard: '1/2' }, recapLine({ a: tally({ ok: 3, changed: 1 }) }, { durationMs: 4000 })) },
      { file: 'b.jsonl', text: lines({ type: 'start', shard: '2/2' }, recapLine({ b: tally({ ok: 4 }) }, { durationMs: 2500 })) },
    ]);
    expect(problems).toEqual([]);
    expect(recap.hosts).toEqual({ a: tally({ ok: 3, changed: 1 }), b: tally({ ok: 4 }) });
    expect(recap.durationMs).toBe(4000);
  });

  it('names a missing shard, a shard given twice, and a host recapped twice', () => {
    const { problems } = mergeRecaps([
      { file: 'a.jsonl', text: lines({ type: 'start', shard: '1/3' }, recapLine({ a: tally({ ok: 1 }) })) },
      { file: 'b.jsonl', text: lines({ type: 'start', shard: '1/3' }, recapLine({ a: tally({ ok: 1 }) })) },
    ]);
    expect(problems).toContain('host a is in the recaps of both a.jsonl and b.jsonl: were the shards of one N?');
    expect(problems).toContain('shard 1/3 is in both a.jsonl and b.jsonl');
    expect(problems).toContain('missing shards 2/3, 3/3: those hosts were not run');
  });

  it('a run without its recap line is a problem, and its task lines still count', () => {
    const { recap, problems } = mergeRecaps([
      { file: 'a.jsonl', text: lines(recapLine({ a: tally({ ok: 1 }) })) },
      { file: 'cut.jsonl', text: lines({ type: 'start' }, { type: 'task', host: 'b', status: 'changed' }, { type: 'task', host: 'b', status: 'failed', ignored: true }) },
    ]);
    expect(problems).toEqual(['cut.jsonl: no recap line: that run did not finish (its tasks so far are counted)']);
    expect(recap.hosts.b).toEqual(tally({ changed: 1, ok: 1 }));
  });

  it('a line that is not JSON names the file and line', () => {
    expect(() => mergeRecaps([{ file: 'x.jsonl', text: '{"type":"start"}\nRECAP\n' }])).toThrow('x.jsonl:2: not a JSON line');
  });
});

describe('the CLI: --shard through apply, then recap merge', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'shipshape-shard-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const cli = (args: string[]) => spawnSync(process.execPath, [path.resolve('bin/shipshape.js'), ...args], { encoding: 'utf8' });

  // Hosts on a closed loopback port: every one is unreachable at once, which is all a shard's run needs to show.
  const hostNames = Array.from({ length: 12 }, (_, i) => `h${i + 1}`);
  const inventory = path.join(dir, 'inventory.json');
  writeFileSync(inventory, JSON.stringify({ hosts: Object.fromEntries(hostNames.map((name) => [name, { address: '127.0.0.1', port: 1 }])) }));
  const playbook = path.join(dir, 'play.ts');
  writeFileSync(playbook, `import { definePlaybook, command } from 'shipshape';\nexport default definePlaybook({ plays: [{ name: 'p', hosts: 'all', tasks: [command.run({ argv: ['true'] })] }] });\n`);

  it('the jobs of a matrix cover every host once; the merge fails for the unreachable hosts and a missing shard', () => {
    const files: string[] = [];
    const seen: string[] = [];
    for (const index of [1, 2, 3]) {
      const listed = cli(['inventory', '-i', inventory, '--shard', `${index}/3`, '--json']);
      expect(listed.status, listed.stderr).toBe(0);
      const shardHosts = Object.keys(JSON.parse(listed.stdout).hosts);
      seen.push(...shardHosts);
      const run = cli(['apply', playbook, '-i', inventory, '--shard', `${index}/3`, '--json']);
      const start = JSON.parse(run.stdout.split('\n')[0]);
      expect(start).toMatchObject({ type: 'start', shard: `${index}/3` });
      expect([...start.hosts].sort()).toEqual([...shardHosts].sort());
      const file = path.join(dir, `shard-${index}.jsonl`);
      writeFileSync(file, run.stdout);
      files.push(file);
    }
    expect(seen.sort()).toEqual([...hostNames].sort());

    const merged = cli(['recap', 'merge', ...files, '--json']);
    expect(merged.status).toBe(1);
    const recap = JSON.parse(merged.stdout);
    expect(Object.keys(recap.hosts).sort()).toEqual([...hostNames].sort());
    for (const name of hostNames) expect(recap.hosts[name].unreachable).toBe(1);
    expect(recap.problems).toEqual([]);

    const partial = cli(['recap', 'merge', files[0], files[2]]);
    expect(partial.status).toBe(1);
    expect(partial.stderr).toContain('missing shard 2/3: those hosts were not run');
  });

  it('a clean merge exits 0, a plan with changes 2', () => {
    const clean = path.join(dir, 'clean.jsonl');
    writeFileSync(clean, lines(recapLine({ a: tally({ ok: 2 }) })));
    expect(cli(['recap', 'merge', clean]).status).toBe(0);
    const drift = path.join(dir, 'drift.jsonl');
    writeFileSync(drift, lines(recapLine({ b: tally({ changed: 1 }) }, { check: true })));
    const checkClean = path.join(dir, 'check-clean.jsonl');
    writeFileSync(checkClean, lines(recapLine({ a: tally({ ok: 2 }) }, { check: true })));
    const result = cli(['recap', 'merge', checkClean, drift]);
    expect(result.status).toBe(2);
    expect(result.stdout).toMatch(/^b\s+ok=0\s+changed=1/m);
  });

  it('a bad --shard fails before any host is contacted', () => {
    const result = cli(['apply', playbook, '-i', inventory, '--shard', '4/3']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('error: --shard "4/3": K must be between 1 and 3');
  });
});
