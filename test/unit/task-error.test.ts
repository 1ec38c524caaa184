import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { runPlaybook, type Connector } from '../../src/engine/run.ts';
import type { HostFacts } from '../../src/facts/types.ts';
import type { Inventory } from '../../src/inventory/types.ts';
import type { Module } from '../../src/task/types.ts';
import { definePlaybook, play } from '../../src/playbook/define.ts';
import { moduleFunction } from '../../src/task/task.ts';
import { JsonReporter } from '../../src/report/json.ts';
import { PlainReporter } from '../../src/report/plain.ts';
import type { Reporter } from '../../src/engine/reporter.ts';
import { clearSecretValues, registerSecretValue } from '../../src/secrets/mask.ts';
import type { ExecResult, HostConnection } from '../../src/transport/types.ts';
import { TaskError } from '../../src/errors.ts';

/**
 * A failing task's error keeps its structure on the way out: the engine names host and task once,
 * --json carries class, command, exit code, stderr tail and cause (masked), -v prints the stack.
 */
const SECRET = 'hunter2-very-secret';
const STDERR = [...Array.from({ length: 30 }, (_, i) => `noise line ${i + 1}`), `access denied for password ${SECRET}`].join('\n');

const failing: Module<{ wrap: boolean }> = {
  name: 'test.fail',
  schema: z.object({ wrap: z.boolean() }),
  describe: () => 'fail',
  async plan(ctx, args) {
    if (!args.wrap) await ctx.run('/usr/bin/deploy-thing --go');
    try {
      await ctx.run('/usr/bin/deploy-thing --go');
    } catch (error) {
      throw new TaskError('could not deploy the thing', { cause: error });
    }
    return { changes: [] };
  },
  async apply() {},
};
const fail = moduleFunction(failing);

const facts = { os: { id: 'debian', version: '13', codename: 'trixie', name: 'Debian', family: ['debian'] } } as unknown as HostFacts;

function connector(): Connector {
  return {
    async connect(host) {
      const exec = async (command: string): Promise<ExecResult> => ({ command, exitCode: 3, stdout: '', stderr: STDERR, stdoutBytes: Buffer.alloc(0), durationMs: 1 });
      return { host: host.name, channelsOpened: 0, exec, close: async () => {} } as HostConnection;
    },
    gatherFacts: async () => facts,
  };
}

const inventory: Inventory = {
  source: 'test',
  hosts: new Map([['web-1', { name: 'web-1', connection: { address: '127.0.0.1', port: 22, user: 'x', become: false, connectTimeout: 1 }, vars: {}, groups: ['all'] }]]),
  groups: new Map([['all', { name: 'all', hosts: ['web-1'], children: [], vars: {} }]]),
};

async function runWith(reporter: Reporter, wrap: boolean) {
  const book = definePlaybook([play({ name: 'p', hosts: 'all', tasks: [fail({ wrap }, { name: 'deploy it' })] })]);
  return runPlaybook(book, inventory, connector(), reporter, { check: false, forks: 1, baseDir: '.', playbookName: 'test', selectHosts: () => ['web-1'] });
}

async function jsonTask(wrap: boolean) {
  const lines: string[] = [];
  await runWith(new JsonReporter((line) => lines.push(line)), wrap);
  const raw = lines.find((line) => JSON.parse(line).type === 'task')!;
  return { raw, task: JSON.parse(raw) };
}

describe('structured task errors', () => {
  afterEach(() => clearSecretValues());

  it('--json carries the failed command, its exit code and stderr tail, host and task named by the engine', async () => {
    const { task } = await jsonTask(false);
    expect(task.status).toBe('failed');
    expect(task.error).toMatch(/^command `\/usr\/bin\/deploy-thing --go` exited 3:/);
    expect(task.errorInfo).toMatchObject({ class: 'CommandError', host: 'web-1', task: 'deploy it', command: '/usr/bin/deploy-thing --go', exitCode: 3 });
    const tail = task.errorInfo.stderrTail.split('\n');
    expect(tail).toHaveLength(20);
    expect(tail[0]).toBe('noise line 12');
    expect(tail.at(-1)).toBe(`access denied for password ${SECRET}`);
    expect(task.errorInfo.stack).toBeUndefined();
  });

  it('keeps the cause chain, and masks a secret in stderr everywhere in the line', async () => {
    registerSecretValue(SECRET);
    const { raw, task } = await jsonTask(true);
    expect(raw).not.toContain(SECRET);
    expect(task.errorInfo).toMatchObject({ class: 'TaskError', message: 'could not deploy the thing', host: 'web-1', task: 'deploy it' });
    expect(task.errorInfo.cause).toMatchObject({ class: 'CommandError', exitCode: 3 });
    expect(task.errorInfo.cause.stderrTail.split('\n').at(-1)).toBe('access denied for password ********');
  });

  it('-v prints the stack of the error and of its cause; without -v no stack', async () => {
    registerSecretValue(SECRET);
    const output = async (verbose: boolean) => {
      const text: string[] = [];
      await runWith(new PlainReporter({ check: false, diff: false, verbose, write: (t) => text.push(t) }), true);
      return text.join('\n');
    };
    const verbose = await output(true);
    expect(verbose).toMatch(/TaskError: could not deploy the thing\n\s+at /);
    expect(verbose).toMatch(/caused by: CommandError: command `\/usr\/bin\/deploy-thing --go` exited 3/);
    expect(verbose).not.toContain(SECRET);
    const quiet = await output(false);
    expect(quiet).toContain('could not deploy the thing');
    expect(quiet).not.toMatch(/\n\s+at /);
  });
});
