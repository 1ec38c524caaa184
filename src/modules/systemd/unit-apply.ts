import { CommandError } from '../../errors.ts';
import { sh } from '../../transport/quote.ts';
import type { TaskContext } from '../../task/types.ts';

/** Observations of `active` in a row, 0.2 s apart, that count as running. */
const STABLE_CHECKS = 3;
/** Checks before giving up on a unit still starting (0.2 s each). */
const MAX_CHECKS = 50;

/**
 * After a start: wait until the unit is active in three checks in a row (0.4 s) with no restart
 * in between, or a oneshot has finished with success. `systemctl start` of a Type=simple service
 * returns once the process is forked, so a service that dies at once (and is restarted by
 * Restart=always, `activating/auto-restart`) would otherwise pass as started. Fails on
 * auto-restart, failed, a restart seen, or still activating after 10 s.
 */
export function stayedRunningCommand(unit: string): string {
  return sh`( u=${unit}; n0=; seen=0; i=0; a=; b=
while [ "$i" -lt ${MAX_CHECKS} ]; do
  a=; b=; r=; n=
  while IFS='=' read -r k v; do case $k in ActiveState) a=$v ;; SubState) b=$v ;; Result) r=$v ;; NRestarts) n=$v ;; esac; done < <(systemctl show -p ActiveState -p SubState -p Result -p NRestarts -- "$u")
  [ -z "$n0" ] && n0=$n
  case "$a/$b" in
    */auto-restart*|failed/*) echo "$u did not stay running: $a/$b (result $r)" >&2; exit 1 ;;
  esac
  if [ "$n" != "$n0" ]; then echo "$u did not stay running: restarted by systemd (NRestarts $n0 -> $n)" >&2; exit 1; fi
  if [ "$a" = active ] || { [ "$a" = inactive ] && [ "$r" = success ]; }; then
    seen=$((seen + 1)); [ "$seen" -ge ${STABLE_CHECKS} ] && exit 0
  elif [ "$a" = inactive ]; then
    echo "$u did not stay running: $a/$b (result $r)" >&2; exit 1
  else seen=0; fi
  sleep 0.2; i=$((i + 1))
done
echo "$u did not become active: still $a/$b after 10 s" >&2; exit 1 )`;
}

/**
 * Runs systemctl steps as one remote command (one round trip). When one fails, the error carries
 * the unit's status and last journal lines: "start failed" alone never tells anyone why. With
 * `verifyRunning` (a step started the unit), the unit must then stay running.
 */
export async function runUnitCommands(ctx: TaskContext, unit: string, commands: string[], options: { verifyRunning?: boolean } = {}): Promise<void> {
  if (commands.length === 0) return;
  const all = options.verifyRunning ? [...commands, stayedRunningCommand(unit)] : commands;
  const result = await ctx.exec(all.join(' && '));
  if (result.exitCode === 0) return;
  const status = await ctx.exec(sh`systemctl status --no-pager --lines=15 ${unit} 2>&1 | tail -n 25`);
  const detail = [result.stderr.trim(), status.stdout.trim()].filter(Boolean).join('\n');
  throw new CommandError(`systemctl failed for ${unit} (exit ${result.exitCode}):\n${detail}`, result);
}
