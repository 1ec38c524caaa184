/**
 * Plan.output: what a task gives as its output when apply does not run (nothing to change, or
 * --check) reaches the report and the registered result that later tasks read.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { runPlaybook } from '../../src/engine/run.ts';
import type { HostFacts } from '../../src/facts/types.ts';
import type { Inventory } from '../../src/inventory/types.ts';
import { definePlaybook, play } from '../../src/playbook/define.ts';
import { JsonReporter } from '../../src/report/json.ts';
import { moduleFunction } from '../../src/task/task.ts';
import type { Module } from '../../src/task/types.ts';
import type { HostConnection } from '../../src/transport/types.ts';

const probeModule: Module<{ answer: string }> = {
  name: 'test.probe',
  schema: z.strictObject({ answer: z.string() }),
  describe: () => 'probe',
  plan: async (_ctx, args) => ({ changes: [], output: { answer: args.answer } }),
  apply: async () => undefined,
};
const probe = moduleFunction(probeModule);

const seen: unknown[] = [];
const recordModule: Module<Record<string, never>> = {
  name: 'test.record',
  schema: z.strictObject({}),
  describe: () => 'record',
  plan: async () => ({ changes: [] }),
  apply: async () => undefined,
};
const record = moduleFunction(recordModule);

const inventory: Inventory = {
  source: 'test',
  hosts: new Map([['h1', { name: 'h1', connection: { address: '127.0.0.1', port: 22, user: 'x', become: false, connectTimeout: 1 }, vars: {}, groups: ['all'] }]]),
  groups: new Map([['all', { name: 'all', hosts: ['h1'], children: [], vars: {} }]]),
};

describe('Plan.output', () => {
  it.each([false, true])('is the task output in the report and for register (check: %s)', async (check) => {
    seen.length = 0;
    const lines: Array<Record<string, unknown>> = [];
    const book = definePlaybook([play({ name: 'p', hosts: 'all', tasks: [probe({ answer: '42' }, { register: 'probed' }), record({}, { when: (ctx) => seen.push(ctx.registered.probed?.output) > 0 })] })]);
    await runPlaybook(
      book,
      inventory,
      {
        connect: async (host) => ({ host: host.name, channelsOpened: 0, exec: async () => { throw new Error('not used'); }, close: async () => {} }) as HostConnection,
        gatherFacts: async () => ({}) as HostFacts,
      },
      new JsonReporter((line) => lines.push(JSON.parse(line))),
      { check, forks: 1, baseDir: '.', playbookName: 'test', selectHosts: () => ['h1'] },
    );
    const task = lines.find((l) => l.type === 'task' && l.task === 'probe');
    expect(task).toMatchObject({ status: 'ok', output: { answer: '42' } });
    expect(seen).toEqual([{ answer: '42' }]);
  });
});
