import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { runPlaybook, type Connector } from '../../src/engine/run.ts';
import { exitCode } from '../../src/engine/result.ts';
import type { HostFacts } from '../../src/facts/types.ts';
import type { Inventory, InventoryHost } from '../../src/inventory/types.ts';
import type { Module } from '../../src/task/types.ts';
import { definePlaybook, play } from '../../src/playbook/define.ts';
import { moduleFunction } from '../../src/task/task.ts';
import { flushHandlers } from '../../src/playbook/flush-handlers.ts';
import { JsonReporter } from '../../src/report/json.ts';
import type { HostConnection } from '../../src/transport/types.ts';
import { TaskError } from '../../src/errors.ts';

/**
 * The engine's semantics (ordering, handlers, tags, check mode, failures, exit codes) on an
 * in-memory "host": a key-value store a tiny module reads and writes. SSH and real modules are
 * covered by the integration tests; here the point is what the engine decides.
 */
type Store = Map<string, string>;
const stores = new Map<string, Store>();

const setModule: Module<{ key: string; value: string; requires?: string }, unknown, { key: string; value: string; requires?: string }> = {
  name: 'kv.set',
  schema: z.object({ key: z.string(), value: z.string(), requires: z.string().optional() }).strict(),
  describe: (a) => `set ${a.key}`,
  async plan(ctx, args) {
    const store = stores.get(ctx.host.name)!;
    if (args.requires && !store.has(args.requires)) throw new TaskError(`${args.requires} is missing`);
    return store.get(args.key) === args.value ? { changes: [] } : { changes: [{ description: `${args.key}: ${store.get(args.key) ?? '(none)'} → ${args.value}` }] };
  },
  async apply(ctx, args) {
    if (args.value === 'boom') throw new TaskError('apply failed');
    stores.get(ctx.host.name)!.set(args.key, args.value);
  },
};
const set = moduleFunction(setModule);

const facts = { os: { id: 'debian', version: '13', codename: 'trixie', name: 'Debian', family: ['debian'] } } as unknown as HostFacts;

function inventory(names: string[]): Inventory {
  const hosts = new Map<string, InventoryHost>();
  for (const name of names) {
    hosts.set(name, {
      name,
      connection: { address: '127.0.0.1', port: 22, user: 'x', become: false, connectTimeout: 1 },
      vars: { role: name },
      groups: ['all'],
    });
  }
  return { source: 'test', hosts, groups: new Map([['all', { name: 'all', hosts: names, children: [], vars: {} }]]) };
}

function connector(unreachable: string[] = []): Connector {
  return {
    async connect(host) {
      if (unreachable.includes(host.name)) throw new Error('connection refused');
      return { host: host.name, channelsOpened: 0, exec: async () => { throw new Error('not used'); }, close: async () => {} } as HostConnection;
    },
    gatherFacts: async () => facts,
  };
}

async function run(book: ReturnType<typeof definePlaybook>, names: string[], options: { check?: boolean; tags?: string[]; unreachable?: string[] } = {}) {
  const lines: Record<string, unknown>[] = [];
  const inv = inventory(names);
  const recap = await runPlaybook(book, inv, connector(options.unreachable), new JsonReporter((l) => lines.push(JSON.parse(l))), {
    check: options.check ?? false,
    forks: 5,
    baseDir: '.',
    tags: options.tags,
    playbookName: 'test',
    selectHosts: (pattern) => (pattern === 'all' ? names : names.filter((n) => n === pattern)),
  });
  return { recap, tasks: lines.filter((l) => l.type === 'task'), code: exitCode(recap) };
}

function fresh(...names: string[]) {
  for (const name of names) stores.set(name, new Map());
}

describe('engine', () => {
  it('applies only differences, and a second run changes nothing', async () => {
    fresh('a', 'b');
    const book = definePlaybook([play({ name: 'p', hosts: 'all', tasks: [set({ key: 'x', value: '1' }), set({ key: 'y', value: '2' })] })]);
    const first = await run(book, ['a', 'b']);
    expect(first.recap.hosts.a).toMatchObject({ changed: 2, ok: 0, failed: 0 });
    expect(stores.get('b')!.get('y')).toBe('2');
    const second = await run(book, ['a', 'b']);
    expect(second.recap.hosts.a).toMatchObject({ changed: 0, ok: 2 });
    expect(second.code).toBe(0);
  });

  it('--check changes nothing, reports the changes and exits 2', async () => {
    fresh('a');
    const book = definePlaybook([play({ name: 'p', hosts: 'all', tasks: [set({ key: 'x', value: '1' })] })]);
    const checked = await run(book, ['a'], { check: true });
    expect(stores.get('a')!.size).toBe(0);
    expect(checked.tasks[0]).toMatchObject({ status: 'changed', changes: [{ description: 'x: (none) → 1' }] });
    expect(checked.code).toBe(2);
  });

  it('--check reports "would change, after earlier changes" where an earlier task would create what a plan reads', async () => {
    fresh('a');
    const book = definePlaybook([
      play({ name: 'p', hosts: 'all', tasks: [set({ key: 'pkg', value: 'installed' }), set({ key: 'svc', value: 'on', requires: 'pkg' })] }),
    ]);
    const checked = await run(book, ['a'], { check: true });
    expect(checked.tasks[1]).toMatchObject({ status: 'changed', afterEarlierChanges: true });
    expect(checked.code).toBe(2);
    // Without an earlier change, the same missing prerequisite is a real failure.
    fresh('a');
    const alone = definePlaybook([play({ name: 'p', hosts: 'all', tasks: [set({ key: 'svc', value: 'on', requires: 'pkg' })] })]);
    const failed = await run(alone, ['a'], { check: true });
    expect(failed.tasks[0]).toMatchObject({ status: 'failed', error: 'pkg is missing' });
    expect(failed.code).toBe(1);
  });

  it('runs a notified handler once at the end of the play, even when a later task fails', async () => {
    fresh('a');
    const book = definePlaybook([
      play({
        name: 'p',
        hosts: 'all',
        tasks: [set({ key: 'conf', value: '1' }, { notify: 'restart' }), set({ key: 'c2', value: '2' }, { notify: 'restart' }), set({ key: 'bad', value: 'boom' }), set({ key: 'never', value: '1' })],
        handlers: { restart: set({ key: 'restarted', value: 'yes' }) },
      }),
    ]);
    const result = await run(book, ['a']);
    const names = result.tasks.map((t) => `${t.task}:${t.status}`);
    expect(names).toEqual(['set conf:changed', 'set c2:changed', 'set bad:failed', 'restart:changed']);
    expect(stores.get('a')!.has('never')).toBe(false);
    expect(result.code).toBe(1);
  });

  it('flushHandlers() runs the handlers notified so far at that point; later notifications run at the end', async () => {
    fresh('a');
    const book = definePlaybook([
      play({
        name: 'p',
        hosts: 'all',
        tasks: [
          set({ key: 'conf', value: '1' }, { notify: 'restart' }),
          flushHandlers(),
          // Sees the handler's effect: it requires what the handler wrote.
          set({ key: 'after', value: '1', requires: 'restarted' }, { notify: 'reload' }),
          flushHandlers(),
          set({ key: 'late', value: '1' }, { notify: 'restart' }),
        ],
        handlers: { restart: set({ key: 'restarted', value: 'yes' }), reload: set({ key: 'reloaded', value: 'yes' }) },
      }),
    ]);
    const result = await run(book, ['a'], { tags: ['other'] });
    // Tags do not skip a flush (it is `always`); here they select nothing else.
    expect(result.tasks).toEqual([]);
    const all = await run(book, ['a']);
    expect(all.tasks.map((t) => `${t.task}:${t.status}${t.handler ? ' (handler)' : ''}`)).toEqual([
      'set conf:changed',
      'restart:changed (handler)',
      'set after:changed',
      'reload:changed (handler)',
      'set late:changed',
      // Notified again after its flush: once more at the end.
      'restart:ok (handler)',
    ]);
    // A second run notifies nothing, so no handler runs anywhere.
    const again = await run(book, ['a']);
    expect(again.tasks.every((t) => !t.handler)).toBe(true);
    expect(again.recap.hosts.a).toMatchObject({ changed: 0, ok: 3 });
  });

  it('a failing host does not stop the others, and is skipped by later plays', async () => {
    fresh('a', 'b');
    const book = definePlaybook([
      play({ name: 'one', hosts: 'all', tasks: (host) => [set({ key: 'x', value: host.name === 'a' ? 'boom' : 'ok' })] }),
      play({ name: 'two', hosts: 'all', tasks: [set({ key: 'y', value: '1' })] }),
    ]);
    const result = await run(book, ['a', 'b']);
    expect(stores.get('b')!.get('y')).toBe('1');
    expect(stores.get('a')!.has('y')).toBe(false);
    expect(result.recap.hosts.a.failed).toBe(1);
  });

  it('an unreachable host is marked and the others finish (exit 1)', async () => {
    fresh('a', 'b');
    const book = definePlaybook([play({ name: 'p', hosts: 'all', tasks: [set({ key: 'x', value: '1' })] })]);
    const result = await run(book, ['a', 'b'], { unreachable: ['a'] });
    expect(result.recap.hosts.a.unreachable).toBe(1);
    expect(stores.get('b')!.get('x')).toBe('1');
    expect(result.code).toBe(1);
  });

  it('honours when, tags, register, retries/until and ignoreErrors', async () => {
    fresh('a');
    let attempts = 0;
    const flaky: Module<Record<string, never>, unknown, Record<string, never>> = {
      name: 'flaky',
      schema: z.object({}).strict(),
      describe: () => 'flaky',
      async plan() {
        attempts++;
        if (attempts < 3) throw new TaskError('not yet');
        return { changes: [] };
      },
      async apply() {},
    };
    const book = definePlaybook([
      play({
        name: 'p',
        hosts: 'all',
        tasks: [
          set({ key: 'x', value: '1' }, { register: 'first', tags: ['one'] }),
          set({ key: 'y', value: '1' }, { when: (ctx) => ctx.registered.first?.status === 'changed', tags: ['one'] }),
          set({ key: 'z', value: '1' }, { tags: ['other'] }),
          moduleFunction(flaky)({}, { retries: 5, delay: 0, tags: ['one'] }),
          set({ key: 'w', value: 'boom' }, { ignoreErrors: true, tags: ['one'] }),
          set({ key: 'after', value: '1' }, { tags: ['one'] }),
        ],
      }),
    ]);
    const result = await run(book, ['a'], { tags: ['one'] });
    expect(stores.get('a')!.get('y')).toBe('1');
    expect(stores.get('a')!.has('z')).toBe(false);
    expect(attempts).toBe(3);
    expect(stores.get('a')!.get('after')).toBe('1');
    expect(result.code).toBe(0);
  });

  it('rejects invalid module arguments when the task is built, naming the field', () => {
    expect(() => set({ key: 'x', value: 1 as unknown as string }, { name: 'bad one' })).toThrow(/task "bad one" \(kv.set\): invalid arguments\n {2}value:/);
  });
});

describe('engine: notes and upkeep (Plan.notes, Plan.upkeep)', () => {
  // Like apt's lists older than cacheValidTime: worth showing and refreshing, not a change.
  const refreshModule: Module<{ key: string; turnsIntoChange?: boolean }, unknown, { key: string; turnsIntoChange?: boolean }> = {
    name: 'kv.refresh',
    schema: z.object({ key: z.string(), turnsIntoChange: z.boolean().optional() }).strict(),
    describe: (a) => `refresh ${a.key}`,
    async plan(ctx, args) {
      const stale = stores.get(ctx.host.name)!.get(args.key) === 'stale';
      return stale ? { changes: [], notes: [`${args.key} is stale`], upkeep: true } : { changes: [] };
    },
    async apply(ctx, args) {
      stores.get(ctx.host.name)!.set(args.key, 'fresh');
      // Says nothing unless it changed something: upkeep alone must still count as ok.
      return args.turnsIntoChange ? { changed: true } : undefined;
    },
  };
  const refresh = moduleFunction(refreshModule);

  it('check mode shows the notes, counts no change and exits 0; apply does the upkeep and stays ok', async () => {
    fresh('a');
    stores.get('a')!.set('cache', 'stale');
    const book = definePlaybook([play({ name: 'p', hosts: 'all', tasks: [refresh({ key: 'cache' })] })]);
    const checked = await run(book, ['a'], { check: true });
    expect(checked.tasks[0]).toMatchObject({ status: 'ok', changes: [], notes: ['cache is stale'] });
    expect(checked.code).toBe(0);
    expect(stores.get('a')!.get('cache')).toBe('stale');

    const applied = await run(book, ['a']);
    expect(applied.tasks[0]).toMatchObject({ status: 'ok', changes: [], notes: ['cache is stale'] });
    expect(applied.recap.hosts.a).toMatchObject({ ok: 1, changed: 0 });
    expect(stores.get('a')!.get('cache')).toBe('fresh');
    expect((await run(book, ['a'], { check: true })).tasks[0]).not.toHaveProperty('notes');
  });

  it('a module whose plan waits (http.check) is planned in its turn, not ahead with the tasks before it', async () => {
    fresh('a');
    const timeline: string[] = [];
    const probe = (waits: boolean): Module<Record<string, never>, unknown, Record<string, never>> => ({
      name: 'probe',
      schema: z.object({}).strict(),
      describe: () => 'probe',
      waits,
      async plan(ctx) {
        timeline.push(`probe sees ${stores.get(ctx.host.name)!.get('app') ?? 'nothing'}`);
        return { changes: [] };
      },
      async apply() {},
    });
    for (const waits of [true, false]) {
      fresh('a');
      const noted = set({ key: 'app', value: 'v1' });
      const book = definePlaybook([play({ name: 'p', hosts: 'all', tasks: [set({ key: 'other', value: 'x' }), noted, moduleFunction(probe(waits))({})] })]);
      expect((await run(book, ['a'])).code).toBe(0);
      timeline.push('---');
    }
    // Waiting: one plan, after the deploy. Not waiting: planned ahead too (and again after the apply dropped it).
    expect(timeline).toEqual(['probe sees v1', '---', 'probe sees nothing', 'probe sees v1', '---']);
  });

  it('upkeep that turns into a change (apply says changed: true) is counted', async () => {
    fresh('a');
    stores.get('a')!.set('cache', 'stale');
    const book = definePlaybook([play({ name: 'p', hosts: 'all', tasks: [refresh({ key: 'cache', turnsIntoChange: true })] })]);
    expect((await run(book, ['a'])).recap.hosts.a).toMatchObject({ ok: 0, changed: 1 });
  });
});

describe('rolling updates: serial with maxFail', () => {
  const rolling = (maxFail: number | undefined) =>
    definePlaybook([
      play({
        name: 'roll',
        hosts: 'all',
        serial: 1,
        maxFail,
        tasks: (host) => [set({ key: 'release', value: host.name === 'b' ? 'boom' : 'v2' })],
      }),
      play({ name: 'after', hosts: 'all', tasks: [set({ key: 'after', value: 'yes' })] }),
    ]);

  it('maxFail 0: the first failed host stops the rollout; the next hosts and later plays do not start', async () => {
    fresh('a', 'b', 'c');
    const { tasks, code } = await run(rolling(0), ['a', 'b', 'c']);
    expect(code).toBe(1);
    expect(stores.get('a')!.get('release')).toBe('v2');
    expect(stores.get('c')!.has('release')).toBe(false);
    expect(stores.get('a')!.has('after')).toBe(false);
    const notStarted = tasks.filter((t) => t.task === '(not started)').map((t) => `${t.play}/${t.host}`);
    expect(notStarted).toEqual(['roll/c', 'after/a', 'after/c']);
    expect(tasks.find((t) => t.host === 'c')!.notes).toEqual(['not started: play "roll": 1 host(s) failed, more than maxFail 0']);
  });

  it('without maxFail every batch runs (a failed host does not stop the others)', async () => {
    fresh('a', 'b', 'c');
    await run(rolling(undefined), ['a', 'b', 'c']);
    expect(stores.get('c')!.get('release')).toBe('v2');
    expect(stores.get('c')!.get('after')).toBe('yes');
  });

  it('maxFail 1 tolerates one failed host', async () => {
    fresh('a', 'b', 'c');
    await run(rolling(1), ['a', 'b', 'c']);
    expect(stores.get('c')!.get('release')).toBe('v2');
  });
});
