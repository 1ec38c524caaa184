/**
 * Handlers notified but not run yet, kept on the host itself. A task that changed a file notifies
 * its handler, which runs at the end of the play; a run interrupted in between (Ctrl-C, a crashed
 * controller, a lost connection) would otherwise forget it, and the next run finds the file right,
 * notifies nothing, and the service keeps its old configuration. So the engine records each
 * notification on the host as soon as the notifying task changed it, clears it once the handler
 * ran, and replays whatever is still recorded at the start of the next run.
 *
 * One small JSON file per host and playbook: `/var/lib/shipshape/pending-handlers/KEY.json` when
 * the host's tasks become root (directory 0700, file 0600, both root's), else under the login
 * user's `~/.local/state/shipshape/`. It is read in the shell the facts use, issued together with
 * them (one round trip for both), and written only by a run that changes the host (which holds
 * the run lock).
 */
import { raw, sh } from '../transport/quote.ts';
import { writeRemoteAtomic } from '../transport/remote-files.ts';
import type { HostConnection } from '../transport/types.ts';
import { CommandError } from '../errors.ts';
import type { HostView } from '../task/types.ts';
import { handlersFor, type Play, type Playbook } from '../playbook/define.ts';

/** A handler notified in a play (by the play's name when it was notified). */
export interface PendingHandler {
  play: string;
  handler: string;
}

/** The record of one host for one playbook. */
export interface PendingHandlerStore {
  /** What the host had recorded when the run started. */
  readonly entries: readonly PendingHandler[];
  /** Replaces the record (removes it when empty). */
  save(entries: readonly PendingHandler[]): Promise<void>;
}

const ROOT_DIR = '/var/lib/shipshape/pending-handlers';
const USER_DIR = '"$HOME/.local/state/shipshape/pending-handlers"';

/** A file name for the playbook's record: its name with anything unusual replaced. */
export function pendingFileName(playbook: string): string {
  return `${playbook.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_') || 'playbook'}.json`;
}

/** Parses a record; a damaged one counts as empty (the next save replaces it). */
export function parsePendingRecord(text: string): PendingHandler[] {
  if (!text.trim()) return [];
  try {
    const parsed = JSON.parse(text) as { pending?: unknown };
    if (!Array.isArray(parsed.pending)) return [];
    return parsed.pending.filter(
      (entry): entry is PendingHandler => typeof entry?.play === 'string' && typeof entry?.handler === 'string',
    ).map(({ play, handler }) => ({ play, handler }));
  } catch {
    return [];
  }
}

/** Reads the host's record for the playbook; the returned store writes it back. */
export async function openPendingHandlers(conn: HostConnection, options: { become: boolean; playbook: string }): Promise<PendingHandlerStore> {
  const file = pendingFileName(options.playbook);
  const dir = raw(options.become ? ROOT_DIR : USER_DIR);
  // The directory's absolute path comes back first, so writes need no $HOME of their own.
  const read = await conn.exec(sh`__d=${dir}; printf '%s\\n' "$__d"; if [ -f "$__d"/${file} ]; then cat -- "$__d"/${file}; fi`, {
    become: options.become,
  });
  if (read.exitCode !== 0) {
    throw new CommandError(`host ${conn.host}: cannot read the pending handlers: ${read.stderr.trim() || `exit status ${read.exitCode}`}`, read, { host: conn.host });
  }
  const newline = read.stdout.indexOf('\n');
  const absoluteDir = read.stdout.slice(0, newline);
  const path = `${absoluteDir}/${file}`;
  return {
    entries: parsePendingRecord(read.stdout.slice(newline + 1)),
    async save(entries) {
      if (entries.length === 0) {
        const removed = await conn.exec(sh`rm -f -- ${path}`, { become: options.become });
        if (removed.exitCode !== 0) throw new CommandError(`host ${conn.host}: cannot remove ${path}: ${removed.stderr.trim()}`, removed, { host: conn.host });
        return;
      }
      const text = `${JSON.stringify({ pending: entries })}\n`;
      // Issued together: the shell runs them in order, at the cost of one round trip. A failed
      // mkdir shows in the write's own error (mktemp cannot create the file).
      const [, written] = await Promise.allSettled([
        conn.exec(sh`mkdir -p -m 0700 -- ${absoluteDir}`, { become: options.become }),
        writeRemoteAtomic(conn, path, text, { mode: '0600', become: options.become }),
      ]);
      if (written.status === 'rejected') throw written.reason;
    },
  };
}

/**
 * Which play of this run replays each recorded handler on the host: the play that notified it, or,
 * when that play was renamed or no longer declares the handler, the first of the host's plays that
 * declares a handler of that name. A handler no play declares any more cannot run: dropped (the
 * next save forgets it).
 */
export function assignPendingHandlers(
  entries: readonly PendingHandler[],
  playbook: Playbook,
  view: HostView,
  selectHosts: (pattern: string) => string[],
): PendingHandler[] {
  const plays = playbook.plays.filter((play) => selectHosts(play.hosts).includes(view.name));
  const declares = (play: Play<any>, handler: string): boolean => {
    try {
      return Object.hasOwn(handlersFor(play, { ...view, vars: { ...(play.vars ?? {}), ...view.vars } }), handler);
    } catch {
      return false; // the play's own run reports a broken handlers function
    }
  };
  const assigned: PendingHandler[] = [];
  for (const entry of entries) {
    const play = plays.find((p) => p.name === entry.play && declares(p, entry.handler)) ?? plays.find((p) => declares(p, entry.handler));
    if (play && !assigned.some((e) => e.play === play.name && e.handler === entry.handler)) assigned.push({ play: play.name, handler: entry.handler });
  }
  return assigned;
}
