import type { HostFacts } from '../facts/types.ts';
import type { Inventory, InventoryHost } from '../inventory/types.ts';
import type { HostView, InventoryView } from '../task/types.ts';
import type { Play, Playbook, PlayStep } from '../playbook/define.ts';
import type { Reporter } from './reporter.ts';
import type { HostConnection } from '../transport/types.ts';
import { RunLockError, ShipshapeError } from '../errors.ts';
import { expandTasks, runHostPlay, type HostState } from './host-run.ts';
import { emptyTally, type Recap } from './result.ts';
import { mapLimit } from './concurrency.ts';
import { serialBatches } from './serial.ts';
import { connectEach } from './connect.ts';
import { OnDemandPeers } from './on-demand-peers.ts';
import { traceEvent } from '../util/trace.ts';
import { errorInfo } from '../error-info.ts';
import type { TaskConflict } from './conflicts.ts';
import { assignPendingHandlers, type PendingHandlerStore } from './pending-handlers.ts';

/** How the engine reaches hosts; the CLI passes SSH (C = its connection type). */
export interface Connector<C extends HostConnection = HostConnection> {
  connect(host: InventoryHost): Promise<C>;
  gatherFacts(conn: C, options?: { become?: boolean }): Promise<HostFacts>;
  /** Takes the host's run lock (apply); must hold before the host's first task. */
  lock?(conn: C): Promise<void>;
  /** The host's record of handlers notified but not run (pending-handlers.ts); without it, none is kept. */
  pendingHandlers?(conn: C, options: { become: boolean; playbook: string }): Promise<PendingHandlerStore>;
}

export interface RunOptions {
  check: boolean;
  forks: number;
  baseDir: string;
  tags?: string[];
  skipTags?: string[];
  signal?: AbortSignal;
  /** Per-command timeout for tasks without their own `timeout` (apply --timeout). */
  defaultTimeoutMs?: number;
  playbookName: string;
  /** Hosts each play targets, already intersected with --limit. */
  selectHosts(pattern: string): string[];
  /** Found by the preflight (tasks that fight): reported right after the run starts, before any connection. */
  warnings?: TaskConflict[];
}

/**
 * Runs plays in order; within a play, hosts in parallel (bounded by forks, batched by serial).
 * Connections open and facts are gathered for every targeted host at the start, in parallel, so the
 * first play does not wait host after host.
 */
export async function runPlaybook<C extends HostConnection>(
  playbook: Playbook,
  inventory: Inventory,
  connector: Connector<C>,
  reporter: Reporter,
  options: RunOptions,
): Promise<Recap> {
  const started = performance.now();
  const targeted = new Set(playbook.plays.flatMap((play) => options.selectHosts(play.hosts)));
  const hostNames = [...inventory.hosts.keys()].filter((name) => targeted.has(name));
  reporter.runStart({ playbook: options.playbookName, check: options.check, hosts: hostNames });
  for (const warning of options.warnings ?? []) reporter.warning?.(warning);

  const recap: Recap = { hosts: {}, durationMs: 0, check: options.check, interrupted: false };
  for (const name of hostNames) recap.hosts[name] = emptyTally();

  const inventoryView = viewOfInventory(inventory);
  const states = new Map<string, HostState>();
  /** Why a host that is not connected is not (unreachable, run lock held). */
  const unavailable = new Map<string, string>();
  await connectEach(hostNames, options.forks, {
    async connect(name) {
      traceEvent({ host: name, event: 'connect' });
      const conn = await connector.connect(inventory.hosts.get(name)!);
      traceEvent({ host: name, event: 'connected' });
      // Retried drops are counted, not failures: the host was reached.
      if (conn.connectRetries) (recap.connectRetries ??= {})[name] = conn.connectRetries;
      return conn;
    },
    async prepare(conn, name) {
      const become = inventory.hosts.get(name)!.connection.become;
      // Facts only read: gather them while the run lock is being taken (one round trip less). The
      // pending handlers are read in the same shell right after them: no round trip of their own.
      const [facts, , pending] = await Promise.all([
        connector.gatherFacts(conn, { become }).finally(() => traceEvent({ host: name, event: 'facts' })),
        connector.lock?.(conn).finally(() => traceEvent({ host: name, event: 'locked' })),
        connector.pendingHandlers?.(conn, { become, playbook: options.playbookName }),
      ]);
      return { facts, pending };
    },
    ready(name, conn, { facts, pending }) {
      const host = inventory.hosts.get(name)!;
      const view: HostView = { name, vars: host.vars, facts, groups: host.groups, inventory: inventoryView };
      states.set(name, {
        view,
        conn,
        become: host.connection.become,
        registered: {},
        tally: recap.hosts[name],
        earlierChanges: false,
        failed: false,
        pendingStore: pending,
        pending: pending ? assignPendingHandlers(pending.entries, playbook, view, options.selectHosts) : [],
      });
    },
    failed(name, error) {
      const message = error instanceof Error ? error.message : String(error);
      unavailable.set(name, message);
      if (error instanceof RunLockError) {
        // Reachable but busy (another run holds its lock): a failure of this host, not unreachable.
        recap.hosts[name].failed = 1;
        reporter.taskResult({ play: '(connect)', host: name, task: '(run lock)', result: { status: 'failed', changes: [], error: message, errorInfo: errorInfo(error), durationMs: 0 } });
      } else {
        recap.hosts[name].unreachable = 1;
        reporter.hostUnreachable(name, message);
      }
    },
  });

  const peers = new OnDemandPeers(new Map([...states].map(([name, state]) => [name, state.conn] as const)), (name) => {
    const host = inventory.hosts.get(name);
    return host && !targeted.has(name) ? connector.connect(host) : undefined;
  });
  // A host that failed (or never connected) is no source for another: a replica seeded from a
  // primary that stopped half-way would copy its half-made state.
  const unusablePeer = (name: string): string | undefined => {
    const state = states.get(name);
    if (state?.failed) return state.failedAt ? `it failed in play "${state.failedAt.play}", task "${state.failedAt.task}"` : 'it failed earlier in this run';
    const reason = unavailable.get(name);
    return reason === undefined ? undefined : `it is not connected (${reason})`;
  };
  /** Why the run stopped early (a play's maxFail exceeded): later batches and plays do not start. */
  let stopped: string | undefined;
  const notStartedBecauseStopped = (playName: string, host: string) =>
    reporter.taskResult({
      play: playName,
      host,
      task: '(not started)',
      result: { status: 'skipped', changes: [], notes: [`not started: ${stopped}`], durationMs: 0 },
    });
  try {
    for (const play of playbook.plays) {
      if (stopped) {
        reporter.playStart({ name: play.name, hosts: [] });
        for (const name of options.selectHosts(play.hosts)) if (states.has(name) && !states.get(name)!.failed) notStartedBecauseStopped(play.name, name);
        await reporter.playEnd({ name: play.name });
        continue;
      }
      if (options.signal?.aborted) {
        for (const name of options.selectHosts(play.hosts)) {
          const state = states.get(name);
          if (state && !state.failed) (state.notStarted ??= []).push(`play "${play.name}" (all its tasks)`);
        }
        continue;
      }
      const live = options.selectHosts(play.hosts).filter((name) => states.has(name) && !states.get(name)!.failed);
      reporter.playStart({ name: play.name, hosts: live });
      traceEvent({ event: 'play', play: play.name });
      const taskLists = buildTaskLists(play, live, states, recap, reporter);
      traceEvent({ event: 'task lists built', play: play.name });
      for (const batch of serialBatches(live.filter((name) => taskLists.has(name)), play.serial)) {
        if (options.signal?.aborted) {
          for (const name of batch) (states.get(name)!.notStarted ??= []).push(`play "${play.name}" (all its tasks)`);
          continue;
        }
        const failedSoFar = live.filter((name) => states.get(name)!.failed).length;
        if (play.maxFail !== undefined && failedSoFar > play.maxFail) {
          // A rolling update stops at the first bad batch: the hosts not yet touched keep serving
          // the old release. They are reported, not counted as failed.
          stopped ??= `play "${play.name}": ${failedSoFar} host(s) failed, more than maxFail ${play.maxFail}`;
          for (const name of batch) {
            notStartedBecauseStopped(play.name, name);
            reporter.hostDone(play.name, name, { failed: false });
          }
          continue;
        }
        await mapLimit(batch, options.forks, async (name) => {
          await runHostPlay(play, taskLists.get(name)!, states.get(name)!, reporter, {
            check: options.check,
            baseDir: options.baseDir,
            tags: options.tags,
            skipTags: options.skipTags,
            signal: options.signal,
            peers,
            unusablePeer,
            defaultTimeoutMs: options.defaultTimeoutMs,
          });
        });
      }
      await reporter.playEnd({ name: play.name });
    }
    traceEvent({ event: 'plays done' });
  } finally {
    await Promise.allSettled([...[...states.values()].map((state) => state.conn.close()), peers.close()]);
  }
  recap.interrupted = options.signal?.aborted ?? false;
  if (recap.interrupted) {
    recap.notStarted = {};
    for (const [name, state] of states) if (state.notStarted?.length) recap.notStarted[name] = state.notStarted;
  }
  traceEvent({ event: 'closed' });
  recap.durationMs = Math.round(performance.now() - started);
  await reporter.recap(recap);
  return recap;
}

/**
 * Expands each host's task list before any task of the play runs, so a mistake in a task function
 * (bad module arguments, unknown handler) fails the host before it is changed.
 */
function buildTaskLists(
  play: Play<any>,
  hosts: string[],
  states: Map<string, HostState>,
  recap: Recap,
  reporter: Reporter,
): Map<string, PlayStep[]> {
  const lists = new Map<string, PlayStep[]>();
  for (const name of hosts) {
    const state = states.get(name)!;
    try {
      const view = { ...state.view, vars: { ...(play.vars ?? {}), ...state.view.vars } };
      lists.set(name, expandTasks(play, view));
    } catch (error) {
      const message = error instanceof ShipshapeError ? error.message : `building tasks failed: ${(error as Error).message}`;
      state.failed = true;
      state.failedAt ??= { play: play.name, task: '(building the task list)' };
      recap.hosts[name].failed += 1;
      reporter.taskResult({
        play: play.name,
        host: name,
        task: '(building the task list)',
        result: { status: 'failed', changes: [], error: message, errorInfo: errorInfo(error), durationMs: 0 },
      });
      reporter.hostDone(play.name, name, { failed: true });
    }
  }
  return lists;
}


export function viewOfInventory(inventory: Inventory): InventoryView {
  const hosts: InventoryView['hosts'] = {};
  for (const [name, host] of inventory.hosts) {
    hosts[name] = { name, address: host.connection.address, vars: host.vars, groups: host.groups };
  }
  const groups: InventoryView['groups'] = {};
  for (const [name, group] of inventory.groups) groups[name] = [...group.hosts];
  groups.all ??= [...inventory.hosts.keys()];
  return { hosts, groups };
}
