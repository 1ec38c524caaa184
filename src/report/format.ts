import type { HostTally, Recap } from '../engine/result.ts';
import type { TaskResult } from '../task/types.ts';

const useColor = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: number) => (text: string) => (useColor ? `\u001b[${code}m${text}\u001b[0m` : text);
export const color = { green: paint(32), yellow: paint(33), red: paint(31), dim: paint(2), bold: paint(1), cyan: paint(36) };

export function statusWord(result: TaskResult, check: boolean): string {
  if (result.status === 'failed') return result.ignored ? color.red('failed (ignored)') : color.red('failed');
  if (result.status === 'changed') return color.yellow(check ? 'would change' : 'changed');
  if (result.status === 'skipped') return color.dim('skipped');
  return color.green('ok');
}

function tallyLine(name: string, tally: HostTally, width: number): string {
  const cell = (label: string, value: number, paintIt: (s: string) => string) =>
    value > 0 ? paintIt(`${label}=${value}`) : `${label}=${value}`;
  return [
    name.padEnd(width),
    cell('ok', tally.ok, color.green),
    cell('changed', tally.changed, color.yellow),
    cell('failed', tally.failed, color.red),
    cell('skipped', tally.skipped, color.dim),
    cell('unreachable', tally.unreachable, color.red),
  ].join('  ');
}

export function recapText(recap: Recap): string {
  const names = Object.keys(recap.hosts);
  const width = Math.max(4, ...names.map((n) => n.length));
  const lines = [color.bold(recap.check ? 'RECAP (check: nothing was changed)' : 'RECAP')];
  for (const name of names) lines.push(tallyLine(name, recap.hosts[name], width));
  if (recap.interrupted) {
    lines.push(color.red('interrupted: no new tasks were started after SIGINT'));
    for (const [host, tasks] of Object.entries(recap.notStarted ?? {})) lines.push(`  ${host}: not started: ${tasks.join('; ')}`);
  }
  const retried = Object.entries(recap.connectRetries ?? {});
  if (retried.length > 0) {
    const total = retried.reduce((sum, [, n]) => sum + n, 0);
    const some = retried.slice(0, 5).map(([host, n]) => `${host} ${n}`).join(', ');
    lines.push(color.dim(`connections retried after sshd dropped them (MaxStartups): ${total} on ${retried.length} host(s): ${some}${retried.length > 5 ? ', …' : ''}`));
  }
  lines.push(color.dim(`${(recap.durationMs / 1000).toFixed(2)} s`));
  return lines.join('\n');
}
