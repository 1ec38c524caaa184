import { describe, expect, it } from 'vitest';
import { expandTasks } from '../../src/engine/host-run.ts';
import type { HostFacts } from '../../src/facts/types.ts';
import type { HostView } from '../../src/task/types.ts';
import example from '../fixtures/playbooks/readme-example.ts';

describe("the README's playbook example", () => {
  it('builds valid tasks and handlers for an Ubuntu and a Debian host', () => {
    const view = (id: string): HostView => ({
      name: 'web-01',
      vars: {},
      facts: { os: { id } } as HostFacts,
      groups: ['all', 'web'],
      inventory: { hosts: {}, groups: {} },
    });
    const play = example.plays[0];
    expect(expandTasks(play, view('ubuntu')).map((t) => ('module' in t ? t.module.name : t.kind))).toEqual(['apt.packages', 'file.template', 'service', 'apt.packages']);
    expect(expandTasks(play, view('debian')).map((t) => ('module' in t ? t.module.name : t.kind))).toEqual(['apt.packages', 'file.template', 'service']);
  });
});
