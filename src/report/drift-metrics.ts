/**
 * `shipshape plan --json` read back as Prometheus metrics (the text format node exporter's textfile
 * collector reads), so a scheduled plan turns shipshape into a drift detector that alerts through
 * the same Prometheus as everything else:
 *
 *   shipshape_drift_changes{host,play,task}       changes the plan found pending (0: in the wanted state)
 *   shipshape_drift_last_run_timestamp_seconds    when the metrics were made
 *   shipshape_drift_run_failed                    1 if the plan did not run to the end: a task failed,
 *                                                 a host was unreachable, it was interrupted, it was
 *                                                 not a plan, or its recap line is missing
 *
 * The conversion itself never fails on its input: a monitoring timer must still report that its run
 * broke (run_failed 1) rather than leave the last good numbers standing.
 */

export interface DriftMetrics {
  text: string;
  /** Why run_failed is 1, for a message on stderr; empty when it is 0. */
  problems: string[];
}

type Line = Record<string, unknown>;

/** Label values escaped as the text format wants: backslash, double quote and newline. */
function labelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export function driftMetrics(jsonLines: string, nowMs: number): DriftMetrics {
  const problems: string[] = [];
  // Keyed by the label set: two tasks of one play may share a name, and a duplicate series would
  // make the collector reject the whole file.
  const changes = new Map<string, { host: string; play: string; task: string; count: number }>();
  let recap: Line | undefined;
  let start: Line | undefined;
  let unparsable = 0;
  for (const raw of jsonLines.split('\n')) {
    if (raw.trim() === '') continue;
    let line: Line;
    try {
      line = JSON.parse(raw) as Line;
    } catch {
      unparsable += 1;
      continue;
    }
    if (line.type === 'start') start = line;
    else if (line.type === 'recap') recap = line;
    else if (line.type === 'unreachable') problems.push(`host ${String(line.host)} unreachable`);
    else if (line.type === 'task' && !line.handler) {
      const host = String(line.host);
      const play = String(line.play);
      const task = String(line.task);
      if (line.status === 'failed' && !line.ignored) problems.push(`host ${host}: task "${task}" failed`);
      const pending = line.status === 'changed' && Array.isArray(line.changes) ? Math.max(line.changes.length, 1) : 0;
      const key = JSON.stringify([host, play, task]);
      const entry = changes.get(key) ?? { host, play, task, count: 0 };
      entry.count += pending;
      changes.set(key, entry);
    }
  }
  if (unparsable > 0) problems.push(`${unparsable} line(s) are not JSON (is this the output of plan --json?)`);
  if (start && start.check !== true) problems.push('the run was an apply, not a plan');
  if (!recap) problems.push('no recap line: the plan did not finish (or did not start)');
  else if (recap.interrupted) problems.push('the plan was interrupted');

  const out: string[] = [
    '# HELP shipshape_drift_changes Changes shipshape plan found pending, per host, play and task (0: in the wanted state).',
    '# TYPE shipshape_drift_changes gauge',
  ];
  for (const { host, play, task, count } of changes.values()) {
    out.push(`shipshape_drift_changes{host="${labelValue(host)}",play="${labelValue(play)}",task="${labelValue(task)}"} ${count}`);
  }
  out.push(
    '# HELP shipshape_drift_last_run_timestamp_seconds When the drift check last ran (Unix time).',
    '# TYPE shipshape_drift_last_run_timestamp_seconds gauge',
    `shipshape_drift_last_run_timestamp_seconds ${(nowMs / 1000).toFixed(3)}`,
    '# HELP shipshape_drift_run_failed 1 if the last drift check did not run to the end.',
    '# TYPE shipshape_drift_run_failed gauge',
    `shipshape_drift_run_failed ${problems.length > 0 ? 1 : 0}`,
  );
  return { text: `${out.join('\n')}\n`, problems };
}
