/**
 * The scaffolding every single-host module test shares: one throwaway lab host started before the
 * file's tests and removed after them, a session through the real engine, and the helpers that
 * check the host outside shipshape (`onHost`) or run tasks (`run`, `converge`, `checkThenFix`).
 * Call `useModuleHost` at the top level of a test file: it registers vitest's beforeAll/afterAll.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import type { TaskResult } from '../../../src/task/types.ts';
import type { Task } from '../../../src/task/task.ts';
import { CONFIG_TREES, expectSameHostState, snapshotHostState } from './host-state.ts';
import { startTestHosts, type TestHost, type TestHosts } from './lab-hosts.ts';
import { openTestSession, type TestSession } from './run-task.ts';

export interface ModuleHostOptions {
  /** Host vars the session's tasks see. */
  vars?: Record<string, unknown>;
  /**
   * Something the host needs next to it (e.g. an ACME server): started after the host and before
   * the session opens; stopped after the session closes and before the host is removed.
   */
  beside?: (host: TestHost, lab: TestHosts) => Promise<{ stop(): Promise<void> }>;
}

export type RunOptions = Parameters<TestSession['run']>[1];

export interface ModuleHost {
  /** The started host (only inside tests and hooks, after beforeAll). */
  readonly host: TestHost;
  /** The open session (only inside tests and hooks, after beforeAll). */
  readonly session: TestSession;
  /** Runs a command on the host as root, outside shipshape; fails the test if it fails. */
  onHost(cmd: string, input?: string): Promise<string>;
  /** Runs one task through the real engine (plan, then apply unless check). */
  run(task: Task, options?: RunOptions): Promise<TaskResult>;
  /**
   * First apply changes; the second changes nothing, judged by the host too: no file under the
   * configuration trees gets a new inode or mtime, no running service a new MainPID. Returns the
   * first result.
   */
  converge(task: Task): Promise<TaskResult>;
  /** --check reports the drift and leaves the host as it is; apply then fixes it. Returns the check result. */
  checkThenFix(task: Task, expected: string[], snapshot: () => Promise<string>): Promise<TaskResult>;
}

export function useModuleHost(name: string, options: ModuleHostOptions = {}): ModuleHost {
  let lab: TestHosts | undefined;
  let host: TestHost | undefined;
  let beside: { stop(): Promise<void> } | undefined;
  let session: TestSession | undefined;

  beforeAll(async () => {
    lab = await startTestHosts([name]);
    host = lab.hosts[0];
    if (options.beside) beside = await options.beside(host, lab);
    session = await openTestSession(host, options.vars);
  });

  afterAll(async () => {
    await session?.close();
    await beside?.stop();
    await lab?.stop();
  });

  const started = () => {
    if (!host) throw new Error(`test host ${name} is not started (use it inside tests or hooks)`);
    return host;
  };
  const opened = () => {
    if (!session) throw new Error(`no session to test host ${name} (use it inside tests or hooks)`);
    return session;
  };

  const onHost = async (cmd: string, input?: string): Promise<string> => {
    const result = await started().shell(cmd, input);
    expect(result.exitCode, `${cmd}: ${result.stderr}`).toBe(0);
    return result.stdout;
  };

  const run = (task: Task, runOptions: RunOptions = {}): Promise<TaskResult> => opened().run(task, runOptions);

  const converge = async (task: Task): Promise<TaskResult> => {
    const first = await run(task);
    expect(first.status, first.error).toBe('changed');
    const spec = { paths: CONFIG_TREES, services: 'running' as const };
    const before = await snapshotHostState(started(), spec);
    const second = await run(task);
    expect(second.status, second.error ?? JSON.stringify(second.changes)).toBe('ok');
    expect(second.changes).toEqual([]);
    expectSameHostState(before, await snapshotHostState(started(), spec));
    return first;
  };

  const checkThenFix = async (task: Task, expected: string[], snapshot: () => Promise<string>): Promise<TaskResult> => {
    const before = await snapshot();
    const checked = await run(task, { check: true });
    expect(checked.status, checked.error).toBe('changed');
    expect(checked.changes.map((c) => c.description)).toEqual(expected);
    expect(await snapshot()).toBe(before);
    const fixed = await run(task);
    expect(fixed.status, fixed.error).toBe('changed');
    expect((await run(task)).status).toBe('ok');
    return checked;
  };

  return {
    get host() {
      return started();
    },
    get session() {
      return opened();
    },
    onHost,
    run,
    converge,
    checkThenFix,
  };
}
