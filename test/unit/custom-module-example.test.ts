/**
 * The README's "Writing a module" section, as a user would follow it: examples/custom-module/ holds
 * exactly its files (checked here against the README), its own planner test runs as part of this
 * suite, its playbook loads, and its probe is really coalesced.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runPlaybook, type Connector } from '../../src/engine/run.ts';
import { expandTasks } from '../../src/engine/host-run.ts';
import type { HostFacts } from '../../src/facts/types.ts';
import type { Inventory } from '../../src/inventory/types.ts';
import type { HostView } from '../../src/task/types.ts';
import { loadPlaybook } from '../../src/playbook/load.ts';
import { JsonReporter } from '../../src/report/json.ts';
import type { ExecResult, HostConnection } from '../../src/transport/types.ts';
// The example's own planner test (fixtures in examples/custom-module/permissions.json) runs here.
import '../../examples/custom-module/permissions.test.ts';
import { onlyTasks } from '../../src/playbook/flush-handlers.ts';

const EXAMPLE = 'examples/custom-module';
const FILES = ['permissions.ts', 'playbook.ts', 'permissions.json', 'permissions.test.ts'];

function readmeSection(): string {
  const readme = readFileSync('README.md', 'utf8');
  const start = readme.indexOf('\n## Writing a module\n');
  expect(start).toBeGreaterThan(-1);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
}

describe('the README\'s "Writing a module" example (examples/custom-module)', () => {
  it('the README shows exactly the example\'s files, in order', () => {
    const blocks = [...readmeSection().matchAll(/\n```(?:ts|json)\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks).toEqual(FILES.map((file) => readFileSync(`${EXAMPLE}/${file}`, 'utf8')));
  });

  it('its playbook loads and builds its tasks', async () => {
    const { playbook } = await loadPlaybook(`${EXAMPLE}/playbook.ts`);
    const view: HostView = { name: 'web-01', vars: {}, facts: {} as HostFacts, groups: ['all'], inventory: { hosts: {}, groups: {} } };
    const tasks = onlyTasks(expandTasks(playbook.plays[0], view));
    expect(tasks.map((t) => [t.module.name, t.name, t.args])).toEqual([
      ['example.permissions', 'mode 600 on /etc/ssh/sshd_config', { path: '/etc/ssh/sshd_config', mode: '600' }],
      ['example.permissions', 'mode 640 on /etc/shadow', { path: '/etc/shadow', mode: '640' }],
    ]);
  });

  it('its two tasks plan with one stat command for both paths', async () => {
    const { playbook } = await loadPlaybook(`${EXAMPLE}/playbook.ts`);
    const ran: string[] = [];
    const exec = async (command: string): Promise<ExecResult> => {
      ran.push(command);
      const stdout = command.includes('%n') ? '644 /etc/ssh/sshd_config\n640 /etc/shadow\n' : '';
      return { command, exitCode: 0, stdout, stderr: '', stdoutBytes: Buffer.from(stdout), durationMs: 1 };
    };
    const connector: Connector = {
      connect: async (host) => ({ host: host.name, channelsOpened: 0, exec, close: async () => {} }) as HostConnection,
      gatherFacts: async () => ({}) as HostFacts,
    };
    const inventory: Inventory = {
      source: 'test',
      hosts: new Map([['web-01', { name: 'web-01', connection: { address: '127.0.0.1', port: 22, user: 'x', become: false, connectTimeout: 1 }, vars: {}, groups: ['all'] }]]),
      groups: new Map([['all', { name: 'all', hosts: ['web-01'], children: [], vars: {} }]]),
    };
    const lines: Array<Record<string, any>> = [];
    await runPlaybook(playbook, inventory, connector, new JsonReporter((l) => lines.push(JSON.parse(l))), { check: true, forks: 1, baseDir: EXAMPLE, playbookName: 'p', selectHosts: () => ['web-01'] });
    expect(ran.filter((c) => c.startsWith('stat '))).toEqual(["stat -c '%a %n' -- /etc/ssh/sshd_config /etc/shadow"]);
    expect(lines.filter((l) => l.type === 'task').map((l) => [l.status, l.changes.map((c: { description: string }) => c.description)])).toEqual([
      ['changed', ['mode of /etc/ssh/sshd_config: 644 → 600']],
      ['ok', []],
    ]);
  });
});
