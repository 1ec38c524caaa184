import { CommandError } from '../../errors.ts';
import { sh } from '../../transport/quote.ts';
import type { TaskContext } from '../types.ts';

/**
 * Runs systemctl steps as one remote command (one round trip). When one fails, the error carries
 * the unit's status and last journal lines: "start failed" alone never tells anyone why.
 */
export async function runUnitCommands(ctx: TaskContext, unit: string, commands: string[]): Promise<void> {
  if (commands.length === 0) return;
  const result = await ctx.exec(commands.join(' && '));
  if (result.exitCode === 0) return;
  const status = await ctx.exec(sh`systemctl status --no-pager --lines=15 ${unit} 2>&1 | tail -n 25`);
  const detail = [result.stderr.trim(), status.stdout.trim()].filter(Boolean).join('\n');
  throw new CommandError(`systemctl failed for ${unit} (exit ${result.exitCode}):\n${detail}`, result, { host: ctx.host.name, task: ctx.task });
}
