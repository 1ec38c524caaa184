/**
 * The remote run lock: one applying shipshape run per host at a time. A dedicated exec channel
 * runs `flock` on /run/lock/shipshape.lock and then just reads its stdin, so the lock is held for
 * exactly as long as the SSH connection lives: when the controller ends, crashes or loses the
 * network, sshd closes the channel, the holder sees end of input and the kernel drops the lock.
 * A crashed controller can therefore never leave a stale lock behind (a lock *file* would). When
 * the network dies instead, sshd may not notice for hours (TCP keepalive), so the controller also
 * writes a heartbeat line every HEARTBEAT_MS and the holder lets go after HOLDER_SILENCE_S of
 * silence: longer than the controller's own keepalive bound (about 20 s), after which the
 * controller has given the host up anyway.
 *
 * Who holds it (pid, controller host, user, start time, playbook) is written into the lock file,
 * so a run that waits or gives up can name the holder.
 */
import os from 'node:os';
import type { Duplex, Readable } from 'node:stream';
import { RunLockError } from '../errors.ts';
import type { ConnectionSettings } from '../inventory/types.ts';
import { sh } from './quote.ts';
import { sudoPasswordLine, viaSudo } from './sudo.ts';
import { traceEvent } from '../util/trace.ts';

export const RUN_LOCK_PATH = '/run/lock/shipshape.lock';

const HEARTBEAT_MS = 10_000;
const HOLDER_SILENCE_S = 60;

const TAKEN = 'SHIPSHAPE-LOCK-TAKEN';
const WAIT = 'SHIPSHAPE-LOCK-WAIT ';
const HELD = 'SHIPSHAPE-LOCK-HELD ';

export interface RunLockOptions {
  /** Seconds to wait for another run to finish before failing the host. */
  timeoutS: number;
  /** Shown to a run that finds the lock taken, e.g. the playbook's name. */
  label?: string;
  /** The lock file (default RUN_LOCK_PATH); tests of a local host keep it out of the controller's /run/lock. */
  path?: string;
  /** Called once when the lock is held by someone else and the wait begins. */
  onWait?: (holder: string, host: string) => void;
}

/** A command's stdin/stdout as one stream, its stderr beside it (an SSH exec channel, a local child). */
export type LockChannel = Duplex & { readonly stderr: Readable };

/** Something that opens an exec channel living until the connection closes (SshConnection, LocalConnection). */
export interface ChannelOpener {
  readonly host: string;
  startChannel(command: string): Promise<LockChannel>;
}

/** The holder's line: who, where, since when. */
export function ownerLine(label: string | undefined, now = new Date()): string {
  const user = (() => {
    try {
      return os.userInfo().username;
    } catch {
      return String(process.getuid?.() ?? '?');
    }
  })();
  return `pid ${process.pid} on ${os.hostname()} (user ${user}), since ${now.toISOString()}${label ? `, ${label}` : ''}`;
}

/**
 * The holder script (bash, for `read -t`). fd 9 keeps the lock; a file owned by another user (sticky
 * /run/lock) may only be openable read-only, which is enough for flock(2). Exit 75 = still held.
 */
export function lockScript(timeoutS: number, owner: string, path = RUN_LOCK_PATH): string {
  return sh`f=${path}; t=${timeoutS}; owner=${owner}` +
    `
{ exec 9>>"$f"; } 2>/dev/null || exec 9<"$f" || exit 1
if ! flock -n 9; then
  echo "${WAIT}$(head -c 400 "$f" | tr -d '\\n')"
  flock -w "$t" 9 || { echo "${HELD}$(head -c 400 "$f" | tr -d '\\n')"; exit 75; }
fi
printf '%s\\n' "$owner" > "$f" 2>/dev/null
echo ${TAKEN}
while IFS= read -r -t ${HOLDER_SILENCE_S} _; do :; done
: > "$f" 2>/dev/null
exit 0`;
}

/** The command the channel runs: as root through sudo when the host becomes root, so every run shares one lock. */
export function lockCommand(settings: LockSettings, script: string): string {
  const shell = sh`bash -c ${script}`;
  return throughSudo(settings) ? viaSudo(shell, settings) : shell;
}

export type LockSettings = Pick<ConnectionSettings, 'become' | 'becomePassword' | 'user'>;

/** Where a connection takes its run lock: the channel opener and the account the holder runs as. */
export interface LockSettingsTarget {
  opener: ChannelOpener;
  settings: LockSettings;
}

function throughSudo(settings: LockSettings): boolean {
  return settings.become && settings.user !== 'root';
}

/** Takes the run lock on the host; resolves once held (the lock then lives as long as the connection). */
export async function acquireRunLock(
  conn: ChannelOpener,
  settings: LockSettings,
  options: RunLockOptions,
): Promise<void> {
  const host = conn.host;
  traceEvent({ host, event: 'lock: opening channel' });
  const channel = await conn.startChannel(lockCommand(settings, lockScript(options.timeoutS, ownerLine(options.label), options.path)));
  traceEvent({ host, event: 'lock: channel open' });
  const password = throughSudo(settings) ? sudoPasswordLine(settings) : undefined;
  if (password) channel.write(password);
  await new Promise<void>((resolve, reject) => {
    let out = '';
    let err = '';
    let settled = false;
    const settle = (error?: Error): void => {
      if (settled) return;
      settled = true;
      if (error) reject(error);
      else resolve();
    };
    channel.stderr.on('data', (chunk: Buffer) => (err = (err + chunk.toString('utf8')).slice(-2000)));
    channel.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      let newline: number;
      while ((newline = out.indexOf('\n')) !== -1) {
        const line = out.slice(0, newline);
        out = out.slice(newline + 1);
        if (line === TAKEN) {
          settle();
          const heartbeat = setInterval(() => {
            if (channel.writable) channel.write('\n');
          }, HEARTBEAT_MS);
          heartbeat.unref();
          channel.once('close', () => clearInterval(heartbeat));
        }
        else if (line.startsWith(WAIT)) options.onWait?.(line.slice(WAIT.length) || 'another run', host);
        else if (line.startsWith(HELD)) {
          const holder = line.slice(HELD.length) || 'another run (no owner recorded)';
          settle(
            new RunLockError(
              `host ${host}: another shipshape run holds the run lock ${options.path ?? RUN_LOCK_PATH} (${holder}); ` +
                `gave up after waiting ${options.timeoutS} s (--lock-timeout)`,
              { host },
            ),
          );
        }
      }
    });
    channel.on('close', () => {
      const detail = err.trim() ? `: ${err.trim().split('\n').slice(-3).join('; ')}` : '';
      settle(new RunLockError(`host ${host}: cannot take the run lock ${options.path ?? RUN_LOCK_PATH}${detail}`, { host }));
    });
  });
}
