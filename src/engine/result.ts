import type { TaskResult } from '../task/types.ts';

export interface HostTally {
  ok: number;
  changed: number;
  failed: number;
  skipped: number;
  unreachable: number;
}

export interface Recap {
  hosts: Record<string, HostTally>;
  durationMs: number;
  check: boolean;
  /** Set by SIGINT: the run stopped starting new tasks. */
  interrupted: boolean;
  /** After SIGINT: per host, the tasks (and plays) that were not started. */
  notStarted?: Record<string, string[]>;
  /** Per host, connections its sshd dropped before the banner (MaxStartups) that were retried; only hosts with any. */
  connectRetries?: Record<string, number>;
}

export function emptyTally(): HostTally {
  return { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 0 };
}

export function count(tally: HostTally, result: TaskResult): void {
  // An ignored failure does not fail the host (Ansible lists it as "ignored"); count it as ok.
  tally[result.ignored ? 'ok' : result.status] += 1;
}

/** 0 success; 1 a task failed or a host was unreachable (or interrupted); 2 with --check when changes would be made. */
export function exitCode(recap: Recap): number {
  const tallies = Object.values(recap.hosts);
  if (recap.interrupted || tallies.some((t) => t.failed > 0 || t.unreachable > 0)) return 1;
  if (recap.check && tallies.some((t) => t.changed > 0)) return 2;
  return 0;
}
