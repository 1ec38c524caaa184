/**
 * Two fresh lab hosts with MySQL from sid, for the tests of the MySQL modules (mysql.test.ts,
 * mysql-tls.test.ts): installed by hand (apt through docker exec, not shipshape), one SSH session
 * each, and the helpers both files check the hosts with, independently of shipshape.
 */
import path from 'node:path';
import { expect } from 'vitest';
import { runTask } from '../../../src/engine/task-run.ts';
import type { HostView, TaskResult } from '../../../src/task/types.ts';
import type { Task } from '../../../src/task/task.ts';
import { startTestHosts, type TestHost, type TestHosts } from './lab-hosts.ts';
import { openTestSession, type TestSession } from './run-task.ts';

export interface MysqlPair {
  lab: TestHosts;
  primary: TestHost;
  replica: TestHost;
  sessions: Record<string, TestSession>;
  /** Runs a task through the engine on `host`, with the other host as its peer. */
  run(host: TestHost, task: Task, options?: { check?: boolean }): Promise<TaskResult>;
  close(): Promise<void>;
}

/**
 * Starts the two hosts and installs mysql-server from sid on both at once (CPU-bound: minutes on a
 * shared machine); `prepare` runs on each host before its session opens.
 */
export async function startMysqlPair(names: [string, string], prepare?: (host: TestHost) => Promise<void>): Promise<MysqlPair> {
  const lab = await startTestHosts(names);
  const [primary, replica] = lab.hosts;
  const sessions: Record<string, TestSession> = {};
  await Promise.all(lab.hosts.map((host) => installMysqlFromSid(host)));
  if (prepare) await Promise.all(lab.hosts.map(prepare));
  for (const host of lab.hosts) sessions[host.name] = await openTestSession(host);

  const view = (host: TestHost): HostView => {
    const hosts = Object.fromEntries(lab.hosts.map((h) => [h.name, { name: h.name, address: h.address, vars: {}, groups: ['db'] }]));
    return { ...sessions[host.name].view, groups: ['all', 'db'], inventory: { hosts, groups: { all: Object.keys(hosts), db: Object.keys(hosts) } } };
  };
  return {
    lab,
    primary,
    replica,
    sessions,
    run: (host, task, options = {}) =>
      runTask(task, {
        conn: sessions[host.name].conn,
        host: view(host),
        check: options.check ?? false,
        become: true,
        registered: {},
        baseDir: path.resolve('test/fixtures'),
        earlierChanges: false,
        peers: new Map(lab.hosts.map((h) => [h.name, sessions[h.name].conn])),
      }),
    async close() {
      for (const session of Object.values(sessions)) await session.close();
      await lab.stop();
    },
  };
}

async function installMysqlFromSid(host: TestHost): Promise<void> {
  await onHost(
    host,
    [
      'echo "deb http://deb.debian.org/debian sid main" > /etc/apt/sources.list.d/sid.list',
      'printf "Package: *\\nPin: release n=sid\\nPin-Priority: 100\\n" > /etc/apt/preferences.d/sid',
      'apt-get -q -o Acquire::Check-Valid-Until=false update',
      // mysqld's first start in the postinst can time out on a loaded machine, leaving the package
      // unconfigured: configure it again once, as apt.packages does.
      '{ DEBIAN_FRONTEND=noninteractive apt-get install -y -q -t sid mysql-server || DEBIAN_FRONTEND=noninteractive dpkg --configure -a; }',
      'dpkg-query -W -f="\\${db:Status-Abbrev}" mysql-server | grep -q "^ii"',
    ].join(' && '),
  );
}

/** A command on the host through docker exec; fails the test on a non-zero exit. */
export async function onHost(host: TestHost, cmd: string, input?: string): Promise<string> {
  const result = await host.shell(cmd, input);
  expect(result.exitCode, `${cmd}: ${result.stderr}`).toBe(0);
  return result.stdout;
}

/** SQL as root on a host, independent of shipshape: `mysql --batch`, SQL on stdin. */
export const sql = (host: TestHost, text: string) => onHost(host, 'mysql --batch --skip-column-names', text);

/** `SHOW REPLICA STATUS` fields, read with -E (the 9.7 client refuses \G inside -e). */
export async function replicaStatusOf(host: TestHost): Promise<Record<string, string>> {
  const out = await onHost(host, 'mysql -E', 'SHOW REPLICA STATUS;');
  return Object.fromEntries(out.split('\n').filter((l) => l.includes(': ')).map((l) => [l.slice(0, l.indexOf(':')).trim(), l.slice(l.indexOf(':') + 2)]));
}

/** Polls a condition (bounded); the test asserts the value, never the time it took. */
export async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, tries = 60): Promise<T> {
  let value = await read();
  for (let i = 0; i < tries && !ok(value); i++) {
    await new Promise((r) => setTimeout(r, 500));
    value = await read();
  }
  return value;
}
