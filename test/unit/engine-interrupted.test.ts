import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { runPlaybook, type Connector } from '../../src/engine/run.ts';
import { exitCode } from '../../src/engine/result.ts';
import { assignPendingHandlers, parsePendingRecord, pendingFileName, type PendingHandler } from '../../src/engine/pending-handlers.ts';
import type { HostFacts } from '../../src/facts/types.ts';
import type { Inventory, InventoryHost } from '../../src/inventory/types.ts';
import type { Module } from '../../src/task/types.ts';
import { definePlaybook, play, type Playbook } from '../../src/playbook/define.ts';
import { moduleFunction, type Task } from '../../src/task/task.ts';
import { JsonReporter } from '../../src/report/json.ts';
import type { HostConnection } from '../../src/transport/types.ts';
import { TaskError } from '../../src/errors.ts';

/**
 * What the engine does about interruptions and failed hosts, on in-memory "hosts" (a key-value
 * store each): handlers notified before an interruption are kept on the host and replayed by the
 * next run; a host that failed is not used as another host's peer. The SSH side of the record is
 * covered by test/integration/faults.test.ts.
 */
const stores = new Map<string, Map<string, string>>();
/** Each host's record of pending handlers (what pending-handlers.ts keeps in a file on the host). */
const records = new Map<string, PendingHandler[]>();
let abort = new AbortController();

const kv = (name: string) => stores.get(name)!;

const setModule: Module<{ key: string; value: string }, unknown, { key: string; value: string }> = {
  name: 'kv.set',
  schema: z.object({ key: z.string(), value: z.string() }).strict(),
  describe: (a) => `set ${a.key}`,
  async plan(ctx, args) {
    return kv(ctx.host.name).get(args.key) === args.value ? { changes: [] } : { changes: [{ description: `${args.key} → ${args.value}` }] };
  },
  async apply(ctx, args) {
    if (args.value === 'boom') throw new TaskError('apply failed');
    kv(ctx.host.name).set(args.key, args.value);
  },
};
const set = moduleFunction(setModule);

/** Ctrl-C, as the CLI delivers it: aborts the run's signal while this task applies. */
const interruptModule: Module<Record<string, never>, unknown, Record<string, never>> = {
  name: 'interrupt',
  schema: z.object({}).strict(),
  describe: () => 'interrupt',
  async plan() {
    return { changes: [{ description: 'Ctrl-C' }] };
  },
  async apply() {
    abort.abort();
  },
};
const interrupt = moduleFunction(interruptModule);

/** Copies a key from a peer's store: what the replica's seed does with its primary. */
const copyFromModule: Module<{ from: string; key: string }, unknown, { from: string; key: string }> = {
  name: 'kv.copyFrom',
  schema: z.object({ from: z.string(), key: z.string() }).strict(),
  describe: (a) => `copy ${a.key} from ${a.from}`,
  async plan(ctx, args) {
    ctx.peer(args.from);
    return kv(ctx.host.name).get(args.key) === kv(args.from).get(args.key) ? { changes: [] } : { changes: [{ description: `copy ${args.key}` }] };
  },
  async apply(ctx, args) {
    kv(ctx.host.name).set(args.key, kv(args.from).get(args.key) ?? '');
  },
};
const copyFrom = moduleFunction(copyFromModule);

const facts = { os: { id: 'debian' } } as unknown as HostFacts;

function inventory(names: string[]): Inventory {
  const hosts = new Map<string, InventoryHost>();
  for (const name of names) {
    hosts.set(name, { name, connection: { address: '127.0.0.1', port: 22, user: 'x', become: true, connectTimeout: 1 }, vars: {}, groups: ['all'] });
  }
  return { source: 'test', hosts, groups: new Map([['all', { name: 'all', hosts: names, children: [], vars: {} }]]) };
}

const connector = (unreachable: string[] = []): Connector => ({
  async connect(host) {
    if (unreachable.includes(host.name)) throw new Error('connection refused');
    return { host: host.name, channelsOpened: 0, exec: async () => { throw new Error('not used'); }, close: async () => {} } as HostConnection;
  },
  gatherFacts: async () => facts,
  async pendingHandlers(conn) {
    return {
      entries: structuredClone(records.get(conn.host) ?? []),
      async save(entries) {
        records.set(conn.host, structuredClone([...entries]));
      },
    };
  },
});

async function run(book: Playbook, names: string[], options: { check?: boolean; unreachable?: string[]; limit?: string[]; connector?: Connector } = {}) {
  abort = new AbortController();
  const lines: Record<string, any>[] = [];
  const targeted = options.limit ?? names;
  const recap = await runPlaybook(book, inventory(names), options.connector ?? connector(options.unreachable), new JsonReporter((l) => lines.push(JSON.parse(l))), {
    check: options.check ?? false,
    forks: 5,
    baseDir: '.',
    signal: abort.signal,
    playbookName: 'test',
    selectHosts: (pattern) => (pattern === 'all' ? targeted : targeted.filter((n) => n === pattern)),
  });
  return { recap, tasks: lines.filter((l) => l.type === 'task'), code: exitCode(recap) };
}

const nginxPlay = (name: string, tasks: Task[]) =>
  play({ name, hosts: 'all', tasks, handlers: { 'restart nginx': set({ key: 'restarts', value: 'restarted' }) } });

describe('handlers notified before an interruption', () => {
  it('are recorded on the host, replayed (plan shows them, exit 2) and cleared once they ran', async () => {
    stores.set('a', new Map());
    records.clear();
    const interrupted = definePlaybook([nginxPlay('web', [set({ key: 'conf', value: 'new' }, { notify: 'restart nginx' }), interrupt({}), set({ key: 'never', value: '1' })])]);
    const first = await run(interrupted, ['a']);
    expect(first.recap.interrupted).toBe(true);
    expect(kv('a').get('conf')).toBe('new');
    expect(kv('a').has('restarts')).toBe(false); // no handler after Ctrl-C
    expect(first.recap.notStarted).toEqual({ a: ['set never', 'handler "restart nginx"'] });
    expect(records.get('a')).toEqual([{ play: 'web', handler: 'restart nginx' }]);

    // The next run finds the file right: nothing notifies, but the record does.
    const book = definePlaybook([nginxPlay('web', [set({ key: 'conf', value: 'new' }, { notify: 'restart nginx' })])]);
    const plan = await run(book, ['a'], { check: true });
    expect(plan.tasks[0]).toMatchObject({ task: 'pending handlers', status: 'changed', changes: [{ description: 'pending from an interrupted run: restart nginx' }] });
    expect(plan.code).toBe(2);
    expect(kv('a').has('restarts')).toBe(false);
    expect(records.get('a')).toEqual([{ play: 'web', handler: 'restart nginx' }]); // --check writes nothing

    const applied = await run(book, ['a']);
    expect(applied.tasks.map((t) => `${t.task}:${t.status}`)).toEqual(['pending handlers:ok', 'set conf:ok', 'restart nginx:changed']);
    expect(kv('a').get('restarts')).toBe('restarted');
    expect(records.get('a')).toEqual([]);

    kv('a').delete('restarts');
    const third = await run(book, ['a']);
    expect(third.tasks.map((t) => `${t.task}:${t.status}`)).toEqual(['set conf:ok']);
    expect(kv('a').has('restarts')).toBe(false);
  });

  it('are recorded as soon as the notifying task changed, and stay recorded while the handler fails', async () => {
    stores.set('a', new Map());
    records.clear();
    let seen: PendingHandler[] | undefined;
    const spy: Module<Record<string, never>, unknown, Record<string, never>> = {
      ...interruptModule,
      async apply() {
        seen = structuredClone(records.get('a'));
      },
    };
    const failing = definePlaybook([
      play({
        name: 'web',
        hosts: 'all',
        tasks: [set({ key: 'conf', value: 'new' }, { notify: 'restart nginx' }), moduleFunction(spy)({})],
        handlers: { 'restart nginx': set({ key: 'restarts', value: 'boom' }) },
      }),
    ]);
    const result = await run(failing, ['a']);
    expect(seen).toEqual([{ play: 'web', handler: 'restart nginx' }]);
    expect(result.code).toBe(1);
    expect(records.get('a')).toEqual([{ play: 'web', handler: 'restart nginx' }]);
  });

  it('follow a renamed play by handler name; a handler no play declares any more is dropped', () => {
    const book = definePlaybook([
      play({ name: 'base', hosts: 'all', tasks: [] }),
      play({ name: 'web (renamed)', hosts: 'all', tasks: [], handlers: { 'restart nginx': set({ key: 'r', value: '1' }) } }),
    ]);
    const view = { name: 'a', vars: {}, facts, groups: ['all'], inventory: { hosts: {}, groups: {} } };
    const assigned = assignPendingHandlers(
      [
        { play: 'web', handler: 'restart nginx' },
        { play: 'web', handler: 'reload gone' },
      ],
      book,
      view,
      () => ['a'],
    );
    expect(assigned).toEqual([{ play: 'web (renamed)', handler: 'restart nginx' }]);
  });

  it('record file: a safe name per playbook; a damaged record reads as empty', () => {
    expect(pendingFileName('site.ts')).toBe('site.ts.json');
    expect(pendingFileName('../x y')).toBe('__x_y.json');
    expect(parsePendingRecord('{"pending":[{"play":"p","handler":"h"},{"play":1}]}')).toEqual([{ play: 'p', handler: 'h' }]);
    expect(parsePendingRecord('{"pend')).toEqual([]);
    expect(parsePendingRecord('')).toEqual([]);
  });
});

describe('a host that failed is no peer', () => {
  it('a later play that reads it as a peer fails clearly instead of copying its half-made state', async () => {
    stores.set('primary', new Map());
    stores.set('replica', new Map());
    const book = definePlaybook([
      play({ name: 'primary', hosts: 'primary', tasks: [set({ key: 'data', value: 'half' }), set({ key: 'accounts', value: 'boom' }, { name: 'create accounts' })] }),
      play({ name: 'replica', hosts: 'replica', tasks: [copyFrom({ from: 'primary', key: 'data' }, { name: 'seed' })] }),
    ]);
    const result = await run(book, ['primary', 'replica']);
    const seed = result.tasks.find((t) => t.task === 'seed')!;
    expect(seed).toMatchObject({ host: 'replica', status: 'failed' });
    expect(seed.error).toBe('peer primary is not used as a source: it failed in play "primary", task "create accounts"');
    expect(kv('replica').has('data')).toBe(false);
    expect(result.code).toBe(1);

    // A peer that never connected is named with the reason.
    const unreachable = await run(book, ['primary', 'replica'], { unreachable: ['primary'] });
    expect(unreachable.tasks.find((t) => t.task === 'seed')!.error).toBe('peer primary is not used as a source: it is not connected (connection refused)');
  });
});

/** Reads a key on a peer through the peer's connection (what x509 does with its CA host: `connect`). */
const readPeerModule: Module<{ from: string; key: string; connect: boolean }, unknown, { from: string; key: string; connect: boolean }> = {
  name: 'kv.readPeer',
  schema: z.object({ from: z.string(), key: z.string(), connect: z.boolean() }).strict(),
  describe: (a) => `read ${a.key} on ${a.from}`,
  async plan(ctx, args) {
    const value = (await ctx.peer(args.from, { connect: args.connect }).exec(args.key)).stdout;
    return kv(ctx.host.name).get(args.key) === value ? { changes: [] } : { changes: [{ description: `copy ${args.key}` }] };
  },
  async apply(ctx, args) {
    kv(ctx.host.name).set(args.key, (await ctx.peer(args.from, { connect: args.connect }).exec(args.key)).stdout);
  },
};
const readPeer = moduleFunction(readPeerModule);

describe('a host outside --limit', () => {
  it('is connected when a task needs it as a peer (connect: like delegate_to), and closed with the run; else not waited on', async () => {
    stores.set('ca', new Map([['root', 'CA-CERT']]));
    stores.set('web', new Map());
    const events: string[] = [];
    const kvConnector: Connector = {
      async connect(host) {
        events.push(`connect ${host.name}`);
        return {
          host: host.name,
          channelsOpened: 0,
          exec: async (command: string) => ({ command, exitCode: 0, stdout: kv(host.name).get(command) ?? '', stderr: '', stdoutBytes: Buffer.alloc(0), durationMs: 0 }),
          close: async () => void events.push(`close ${host.name}`),
        } as HostConnection;
      },
      gatherFacts: async () => facts,
    };
    const book = definePlaybook([play({ name: 'web', hosts: 'all', tasks: [readPeer({ from: 'ca', key: 'root', connect: true }, { name: 'trust the CA' })] })]);
    const limited = await run(book, ['ca', 'web'], { limit: ['web'], connector: kvConnector });
    expect(limited.tasks.map((t) => `${t.host} ${t.task} ${t.status}`)).toEqual(['web trust the CA changed']);
    expect(kv('web').get('root')).toBe('CA-CERT');
    expect(limited.code).toBe(0);
    expect(events.sort()).toEqual(['close ca', 'close web', 'connect ca', 'connect web']);

    // Without `connect` (a peer read only if it answers: the failover's old primary), a host left out is not contacted.
    events.length = 0;
    stores.set('web', new Map());
    const optional = definePlaybook([play({ name: 'web', hosts: 'all', tasks: [readPeer({ from: 'ca', key: 'root', connect: false }, { name: 'trust' })] })]);
    const left = await run(optional, ['ca', 'web'], { limit: ['web'], connector: kvConnector });
    expect(left.tasks[0]).toMatchObject({ status: 'failed', error: 'host "ca" is not connected in this run (left out by --limit?)' });
    expect(events.sort()).toEqual(['close web', 'connect web']);

    // A peer that cannot be reached fails the task with the connection's error (and nothing else: no unhandled rejection).
    const deadCa: Connector = { ...kvConnector, connect: async (host) => (host.name === 'ca' ? Promise.reject(new Error('ca: connection refused')) : kvConnector.connect(host)) };
    const dead = await run(book, ['ca', 'web'], { limit: ['web'], connector: deadCa });
    expect(dead.tasks[0]).toMatchObject({ status: 'failed', error: 'ca: connection refused' });

    const unknown = await run(definePlaybook([play({ name: 'web', hosts: 'all', tasks: [readPeer({ from: 'nowhere', key: 'root', connect: true }, { name: 'trust' })] })]), ['web'], { connector: kvConnector });
    expect(unknown.tasks[0]).toMatchObject({ status: 'failed', error: 'host "nowhere" is not in the inventory' });
  });
});
