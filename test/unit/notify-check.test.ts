import { describe, expect, it } from 'vitest';
import { expandTasks } from '../../src/engine/host-run.ts';
import { ConfigError } from '../../src/errors.ts';
import type { HostFacts } from '../../src/facts/types.ts';
import { play } from '../../src/playbook/define.ts';
import { flushHandlers } from '../../src/playbook/flush-handlers.ts';
import { loadPlaybook } from '../../src/playbook/load.ts';
import { service } from '../../src/modules/service/index.ts';
import type { HostView } from '../../src/task/types.ts';

const view: HostView = { name: 'web-01', vars: {}, facts: {} as HostFacts, groups: ['all', 'web'], inventory: { hosts: {}, groups: {} } };

describe('a notify naming no handler', () => {
  it('fails loading a static playbook, naming the file, play, task and handler', async () => {
    const file = 'test/fixtures/playbooks/unknown-handler.ts';
    await expect(loadPlaybook(file)).rejects.toThrow(`${file}: play "web", task "nginx running": notify names unknown handler "reload nginx"`);
  });

  it('fails building the task list of a play that is a function of the host, naming the host', () => {
    const web = play({
      name: 'web',
      hosts: 'web',
      tasks: () => [flushHandlers(), [service({ name: 'nginx', state: 'started' }, { name: 'nginx running', notify: ['restart nginx', 'reload nginx'] })]],
      handlers: () => ({ 'restart nginx': service({ name: 'nginx', state: 'restarted' }) }),
    });
    let thrown: unknown;
    try {
      expandTasks(web, view);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).message).toBe('play "web", task "nginx running": notify names unknown handler "reload nginx"');
    expect((thrown as ConfigError).host).toBe('web-01');
  });

  it('passes when every notified handler is declared (directives included in the list)', () => {
    const web = play({
      name: 'web',
      hosts: 'web',
      tasks: () => [flushHandlers(), service({ name: 'nginx', state: 'started' }, { name: 'nginx running', notify: 'restart nginx' })],
      handlers: { 'restart nginx': service({ name: 'nginx', state: 'restarted' }) },
    });
    expect(expandTasks(web, view).map((step) => step.name)).toEqual(['flush handlers', 'nginx running']);
  });
});
