import { gatherFacts } from '../../../src/facts/gather.ts';
import { runTask } from '../../../src/engine/task-run.ts';
import type { HostView, TaskResult } from '../../../src/task/types.ts';
import type { Task } from '../../../src/task/task.ts';
import { connect } from '../../../src/transport/ssh.ts';
import type { HostConnection } from '../../../src/transport/types.ts';
import type { TestHost } from './lab-hosts.ts';
import path from 'node:path';

export interface TestSession {
  conn: HostConnection;
  view: HostView;
  /** Runs one task through the real engine (plan, then apply unless check). */
  run(task: Task, options?: { check?: boolean; become?: boolean; vars?: Record<string, unknown> }): Promise<TaskResult>;
  close(): Promise<void>;
}

/** Connects to a test host over SSH as shipshape does (verified host key, key auth) and gathers facts. */
export async function openTestSession(host: TestHost, vars: Record<string, unknown> = {}): Promise<TestSession> {
  const conn = await connect(
    host.name,
    {
      address: host.address,
      port: host.port,
      user: host.user,
      privateKey: host.privateKeyPath,
      knownHosts: host.knownHostsPath,
      become: true,
      connectTimeout: 20,
    },
    { acceptNewHostKeys: false },
  );
  const facts = await gatherFacts(conn);
  const view: HostView = {
    name: host.name,
    vars,
    facts,
    groups: ['all'],
    inventory: { hosts: { [host.name]: { name: host.name, address: host.address, vars, groups: ['all'] } }, groups: { all: [host.name] } },
  };
  return {
    conn,
    view,
    run: (task, options = {}) =>
      runTask(task, {
        conn,
        host: options.vars ? { ...view, vars: { ...view.vars, ...options.vars } } : view,
        check: options.check ?? false,
        become: options.become ?? task.options.become ?? true,
        registered: {},
        baseDir: path.resolve('test/fixtures'),
        earlierChanges: false,
      }),
    close: () => conn.close(),
  };
}
