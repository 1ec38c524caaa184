/**
 * SHIPSHAPE_TRACE=<file>: one JSON line per remote command (host, shell, when it was queued, began
 * and ended, relative to process start, and its first line), for finding where a run's time goes.
 * A debugging aid for developers (README, Development); off unless the variable is set.
 */
import { appendFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const traceFile = process.env.SHIPSHAPE_TRACE;

export const tracing = traceFile !== undefined && traceFile !== '';

/** SHIPSHAPE_TRACE_FULL=1: whole commands in the trace instead of their first line. */
export const traceFullCommands = tracing && Boolean(process.env.SHIPSHAPE_TRACE_FULL);

export function traceEvent(event: Record<string, unknown>): void {
  if (!tracing) return;
  appendFileSync(traceFile!, `${JSON.stringify({ at: Math.round(performance.now()), ...event })}\n`);
}
