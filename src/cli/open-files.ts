/**
 * The open-files limit against the fleet a run will hold open. A run keeps one SSH socket per host
 * (plus one per ProxyJump hop, three pipes for a `connection: 'local'` host) until its last play is
 * done, so a fleet of 1000 hosts needs over 1000 descriptors at once. Node raises its soft limit to
 * the hard limit when it starts, so what is read here is all this process may get; past it the
 * connections would fail one by one with EMFILE in the middle of a run. Checked up front instead,
 * saying how to raise it.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.ts';
import type { InventoryHost } from '../inventory/types.ts';

export interface OpenFilesLimit {
  soft: number;
  hard: number;
}

/** Descriptors the process uses besides its connections (stdio, esbuild, the bundle, timers). */
const BASE_DESCRIPTORS = 64;

/** The "Max open files" line of /proc/<pid>/limits; undefined when absent (not Linux) or unlimited. */
export function parseOpenFilesLimit(text: string): OpenFilesLimit | undefined {
  const match = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(text);
  if (!match || match[1] === 'unlimited') return undefined;
  return { soft: Number(match[1]), hard: match[2] === 'unlimited' ? Infinity : Number(match[2]) };
}

export function readOpenFilesLimit(): OpenFilesLimit | undefined {
  try {
    return parseOpenFilesLimit(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    return undefined;
  }
}

/** The descriptors a run over these hosts holds at once. */
export function descriptorsNeeded(hosts: Array<Pick<InventoryHost, 'connection'>>): number {
  let total = BASE_DESCRIPTORS;
  for (const { connection } of hosts) {
    if (connection.connection === 'local') total += 3;
    else total += 1 + (connection.proxyJump ? connection.proxyJump.split(',').length : 0);
  }
  return total;
}

/** Throws a ConfigError saying how to raise the limit when these hosts would not fit under it. */
export function checkOpenFilesLimit(hosts: Array<Pick<InventoryHost, 'connection'>>, limit = readOpenFilesLimit()): void {
  if (!limit) return;
  const needed = descriptorsNeeded(hosts);
  if (needed <= limit.soft) return;
  const suggested = 2 ** Math.ceil(Math.log2(needed));
  throw new ConfigError(
    `${hosts.length} hosts need about ${needed} open files at once (a connection each), but this process may open ${limit.soft}` +
      ` (hard limit ${limit.hard}): raise it before the run (\`ulimit -n ${suggested}\`; for the hard limit, as root or in` +
      ` /etc/security/limits.conf, or LimitNOFILE= in a systemd unit), or run part of the fleet at a time (--limit, --shard K/N)`,
  );
}
