import { TaskError } from '../../errors.ts';
import { sh } from '../../transport/quote.ts';
import type { TaskContext } from '../../task/types.ts';

/** The lock `apt-get update` takes. apt fails at once when another process holds it (no timeout applies). */
export const LISTS_LOCKS = ['/var/lib/apt/lists/lock'];

/**
 * The locks an install or removal takes: dpkg's frontend lock and its own (DPkg::Lock::Timeout
 * waits for these two only), and the download directory's, which apt also fails on at once.
 */
export const DPKG_LOCKS = ['/var/lib/dpkg/lock-frontend', '/var/lib/dpkg/lock', '/var/cache/apt/archives/lock'];

/** Printed (tab-separated, to stderr) for each lock still held when the wait gives up. */
const HELD = '@@held';

/**
 * One time budget for every wait of a task (cloud-init, the lists lock, then dpkg's locks): a first
 * boot may hold them one after another (cloud-init's `apt-get update`, then unattended-upgrades),
 * and lockTimeout bounds the sum, not each.
 */
export class LockBudget {
  private spentMs = 0;
  constructor(readonly seconds: number) {}

  /** Whole seconds left, for apt-get's own DPkg::Lock::Timeout and the next wait. */
  remaining(): number {
    return Math.max(0, Math.floor(this.seconds - this.spentMs / 1000));
  }

  spend(ms: number): void {
    this.spentMs += ms;
  }
}

/**
 * Waits until no process holds any of `locks`, checking every second for up to `seconds`. apt and
 * dpkg lock with fcntl(2), so trying the lock with flock(1) would not see them: /proc/locks lists
 * every kind of lock by device and inode, with the holder's pid (-1 for an open file description
 * lock, whose holder it does not tell). Exits 75 after printing each holder, pid and command line.
 */
export function waitForLocksCommand(locks: string[], seconds: number): string {
  return [
    '(',
    sh`end=$((SECONDS + ${seconds}))`,
    'while :; do',
    '  held=',
    // %Hd/%Ld: the device's major and minor (decimal); /proc/locks prints them in hex.
    '  while read -r maj min ino f; do',
    '    key=$(printf "%02x:%02x:%s" "$maj" "$min" "$ino")',
    '    while read -r line; do',
    // A holder's line; a waiter's line has "->" after the number and is skipped.
    '      [[ $line =~ ^[0-9]+:\\ +[A-Z]+\\ +[A-Z]+\\ +[A-Z]+\\ +(-?[0-9]+)\\ +$key\\  ]] && held+="${BASH_REMATCH[1]} $f"$\'\\n\'',
    '    done < /proc/locks',
    sh`  done < <(stat -c '%Hd %Ld %i %n' ${locks} 2>/dev/null)`,
    '  [ -z "$held" ] && exit 0',
    '  [ $SECONDS -ge $end ] && break',
    '  sleep 1',
    'done',
    'while read -r pid f; do',
    '  [ -n "$f" ] || continue',
    '  comm=; args=',
    '  if [ "$pid" -gt 0 ] && [ -r "/proc/$pid/comm" ]; then read -r comm < "/proc/$pid/comm"; args=$(tr "\\0" " " < "/proc/$pid/cmdline"); fi',
    `  printf '${HELD}\\t%s\\t%s\\t%s\\t%s\\n' "$f" "$pid" "$comm" "\${args% }" >&2`,
    'done <<< "$held"',
    'exit 75',
    ')',
  ].join('\n');
}

/** "process 123 (perl: perl -e ...)" for one `@@held` line's fields. */
function describeHolder(pid: string, comm: string, args: string): string {
  if (Number(pid) <= 0) return 'an open file description lock (its holder is not shown in /proc/locks)';
  const command = args.length > 160 ? `${args.slice(0, 160)}…` : args;
  return `process ${pid} (${comm || 'exited'}${command ? `: ${command}` : ''})`;
}

/** The TaskError for a wait that gave up; null when the output is not one. */
export function explainHeldLocks(stderr: string, lockTimeout: number, context: { host: string; task: string }): TaskError | null {
  const held = stderr
    .split('\n')
    .filter((line) => line.startsWith(`${HELD}\t`))
    .map((line) => {
      const [, file, pid, comm, args] = line.split('\t');
      return `${file} by ${describeHolder(pid, comm ?? '', args ?? '')}`;
    });
  if (held.length === 0) return null;
  return new TaskError(`apt's lock is still held after waiting the lockTimeout of ${lockTimeout} s: ${held.join('; ')}`, context);
}

/** Waits for `locks` within what is left of `budget`; throws naming each holder when it runs out. */
export async function waitForLocks(ctx: TaskContext, locks: string[], budget: LockBudget): Promise<void> {
  const started = performance.now();
  const result = await ctx.exec(waitForLocksCommand(locks, budget.remaining()));
  budget.spend(performance.now() - started);
  if (result.exitCode === 0) return;
  const context = { host: ctx.host.name, task: ctx.task };
  throw (
    explainHeldLocks(result.stderr, budget.seconds, context) ??
    new TaskError(`waiting for apt's locks failed (exit ${result.exitCode}): ${result.stderr.trim() || result.stdout.trim()}`, context)
  );
}

/**
 * On a first boot cloud-init runs apt itself (its own update, the user-data's packages): with
 * waitForCloudInit, wait for `cloud-init status --wait` within the budget. Hosts without cloud-init
 * skip this silently. cloud-init's own verdict (done, error, degraded) is not this task's business.
 */
export async function waitForCloudInit(ctx: TaskContext, budget: LockBudget): Promise<void> {
  const started = performance.now();
  const result = await ctx.exec(
    sh`command -v cloud-init >/dev/null 2>&1 || exit 0; timeout ${Math.max(1, budget.remaining())} cloud-init status --wait >/dev/null 2>&1; rc=$?; [ $rc -eq 124 ] && exit 124; exit 0`,
  );
  budget.spend(performance.now() - started);
  if (result.exitCode === 124) {
    throw new TaskError(`cloud-init has not finished after waiting the lockTimeout of ${budget.seconds} s (waitForCloudInit)`, {
      host: ctx.host.name,
      task: ctx.task,
    });
  }
}
