import { describe, expect, it } from 'vitest';
import { coalesce, type Coalescable, type Exec } from '../../src/task/coalesce.ts';
import { mysqlQueries } from '../../src/modules/mysql/client.ts';
import { systemctlShow } from '../../src/modules/service/service.ts';
import type { ExecOptions, ExecResult } from '../../src/transport/types.ts';

function result(stdout: string, exitCode = 0, command = 'x'): ExecResult {
  return { command, exitCode, stdout, stderr: exitCode ? 'boom' : '', stdoutBytes: Buffer.from(stdout), durationMs: 1 };
}

/** A kind that records how it was called; `failBatch` makes runMany give up. */
function recordingKind(failBatch = false, name = 'test') {
  const calls: string[] = [];
  const kind: Coalescable<string, string> = {
    kind: name,
    async runOne(_exec, item) {
      calls.push(`one ${item}`);
      if (item === 'bad') throw new Error('bad item');
      return `r(${item})`;
    },
    async runMany(_exec, items) {
      calls.push(`many ${items.join(',')}`);
      return failBatch ? undefined : items.map((item) => `m(${item})`);
    },
  };
  return { kind, calls };
}

const noExec: Exec = async () => result('');

describe('coalesce', () => {
  it('merges requests of one kind made in the same turn into one runMany, results in order', async () => {
    const { kind, calls } = recordingKind();
    const scope = {};
    const results = await Promise.all(['a', 'b', 'c'].map((item) => coalesce(scope, true, kind, noExec, item)));
    expect(results).toEqual(['m(a)', 'm(b)', 'm(c)']);
    expect(calls).toEqual(['many a,b,c']);
  });

  it('runs a lone request with runOne, and keeps hosts, become settings and kinds apart', async () => {
    const { kind, calls } = recordingKind();
    const other = recordingKind(false, 'other');
    const [hostA, hostB] = [{}, {}];
    await Promise.all([
      coalesce(hostA, true, kind, noExec, 'a'),
      coalesce(hostB, true, kind, noExec, 'b'),
      coalesce(hostA, false, kind, noExec, 'c'),
      coalesce(hostA, true, other.kind, noExec, 'd'),
    ]);
    expect([...calls.sort(), ...other.calls]).toEqual(['one a', 'one b', 'one c', 'one d']);
  });

  it('falls back to one request at a time when the batch gives up, so each keeps its own error', async () => {
    const { kind, calls } = recordingKind(true);
    const scope = {};
    const outcomes = await Promise.allSettled(['a', 'bad', 'c'].map((item) => coalesce(scope, true, kind, noExec, item)));
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as Error).message))).toEqual(['r(a)', 'bad item', 'r(c)']);
    expect(calls).toEqual(['many a,bad,c', 'one a', 'one bad', 'one c']);
  });

  it('items the batch could not answer run alone, all together; the others keep their answers', async () => {
    const calls: string[] = [];
    const kind: Coalescable<string, string> = {
      kind: 'per-item',
      async runOne(_exec, item) {
        calls.push(`one ${item}`);
        if (item.startsWith('bad')) throw new Error(`${item} failed`);
        return `r(${item})`;
      },
      async runMany(_exec, items) {
        calls.push(`many ${items.join(',')}`);
        return items.map((item) => (item.startsWith('bad') ? undefined : `m(${item})`));
      },
    };
    const scope = {};
    const outcomes = await Promise.allSettled(['a', 'bad1', 'b', 'c', 'bad2', 'd'].map((item) => coalesce(scope, true, kind, noExec, item)));
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as Error).message))).toEqual([
      'm(a)',
      'bad1 failed',
      'm(b)',
      'm(c)',
      'bad2 failed',
      'm(d)',
    ]);
    // One batch, then the two it could not answer at once: two round trips, however many fail.
    expect(calls).toEqual(['many a,bad1,b,c,bad2,d', 'one bad1', 'one bad2']);
  });

  it('requests made in a later turn go in a later batch', async () => {
    const { kind, calls } = recordingKind();
    const scope = {};
    await Promise.all([coalesce(scope, true, kind, noExec, 'a'), coalesce(scope, true, kind, noExec, 'b')]);
    await coalesce(scope, true, kind, noExec, 'c');
    expect(calls).toEqual(['many a,b', 'one c']);
  });
});

describe('mysqlQueries', () => {
  it('sends all queries to one client, split back at the markers (empty results and empty values kept)', async () => {
    const sent: Array<{ command: string; stdin: string }> = [];
    const exec: Exec = async (command: string, options: ExecOptions = {}) => {
      const stdin = String(options.stdin);
      sent.push({ command, stdin });
      const markers = [...stdin.matchAll(/SELECT '(shipshape_part_[0-9a-f]+:\d)' AS shipshape_part;/g)].map((m) => m[1]);
      // As the client prints them: result sets one after another, each with its header line.
      return result(`name\tcharset\napp\tutf8mb4\nshipshape_part\n${markers[0]}\nshipshape_part\n${markers[1]}\nv\n\nshipshape_part\n${markers[2]}\n`);
    };
    const parts = await mysqlQueries.runMany(exec, [{ sql: 'SELECT a;' }, { sql: 'SELECT nothing WHERE 0;' }, { sql: "SELECT '' AS v;" }]);
    expect(sent).toHaveLength(1);
    expect(sent[0].stdin).toMatch(/^SET SESSION sql_mode/);
    expect(parts?.map((p) => p?.stdout)).toEqual(['name\tcharset\napp\tutf8mb4\n', '', 'v\n\n']);
  });

  it('runs with --force and leaves only the queries whose lines failed unanswered; gives up when the client fails to run or a marker is missing', async () => {
    const sent: string[] = [];
    const failingSecondAndFourth: Exec = async (command, options = {}) => {
      sent.push(command);
      const markers = [...String(options.stdin).matchAll(/SELECT '(shipshape_part_[0-9a-f]+:\d)' AS shipshape_part;/g)].map((m) => m[1]);
      const out = `a\n1\nshipshape_part\n${markers[0]}\nshipshape_part\n${markers[1]}\nb\n3\nshipshape_part\n${markers[2]}\nshipshape_part\n${markers[3]}\n`;
      // Input lines: 1 prelude; 2-3 first query + marker; 4-5 second; 6-8 third (two lines); 9-10 fourth.
      // MySQL 9's client exits 0 with --force even after refused statements: only stderr tells.
      return { ...result(out, 0), stderr: 'ERROR 1141 (42000) at line 4: There is no such grant\nERROR 1146 (42S02) at line 9: no such table\n' };
    };
    const parts = await mysqlQueries.runMany(failingSecondAndFourth, [
      { sql: 'SELECT 1 AS a;' },
      { sql: 'SHOW GRANTS;' },
      { sql: 'SELECT 3 AS b;\nSELECT 3 AS b;' },
      { sql: 'SELECT * FROM missing;' },
    ]);
    expect(sent).toEqual(['mysql --batch --default-character-set=utf8mb4 --force']);
    expect(parts?.map((p) => (p ? [p.exitCode, p.stdout] : undefined))).toEqual([[0, 'a\n1\n'], undefined, [0, 'b\n3\n'], undefined]);
    const down = { ...result('', 1), stderr: "ERROR 2002 (HY000): Can't connect to local MySQL server through socket" };
    expect(await mysqlQueries.runMany(async () => down, [{ sql: 'a' }, { sql: 'b' }])).toBeUndefined();
    expect(await mysqlQueries.runMany(async () => result('', 1), [{ sql: 'a' }, { sql: 'b' }])).toBeUndefined();
    expect(await mysqlQueries.runMany(async () => result('x\n1\n'), [{ sql: 'a' }, { sql: 'b' }])).toBeUndefined();
  });
});

describe('systemctlShow', () => {
  it('asks for each unit once and gives each task its own block', async () => {
    const commands: string[] = [];
    const exec: Exec = async (command: string) => {
      commands.push(command);
      return result('Id=nginx.service\nActiveState=active\n\nId=app.service\nActiveState=failed\n');
    };
    const states = await systemctlShow.runMany(exec, ['nginx.service', 'app.service', 'nginx.service']);
    expect(commands).toEqual(['systemctl show -p Id,LoadState,ActiveState,SubState,UnitFileState,NeedDaemonReload,CanReload,FragmentPath -- nginx.service app.service']);
    expect(states?.map((s) => s?.stdout)).toEqual(['Id=nginx.service\nActiveState=active\n', 'Id=app.service\nActiveState=failed\n', 'Id=nginx.service\nActiveState=active\n']);
  });

  it('gives up when systemctl fails or prints fewer blocks than units', async () => {
    expect(await systemctlShow.runMany(async () => result('', 1), ['a.service', 'b.service'])).toBeUndefined();
    expect(await systemctlShow.runMany(async () => result('Id=a.service\n'), ['a.service', 'b.service'])).toBeUndefined();
  });
});
