/** file.absent: no file, link or directory (with its contents) at a path. */
import { z } from 'zod';
import { sh } from '../../transport/quote.ts';
import type { Module, Plan, TaskContext } from '../../task/types.ts';
import { absolutePath } from './attributes.ts';
import { probePath, type PathState } from './probe.ts';

export const absentSchema = z
  .object({
    path: absolutePath.refine((p) => p.replace(/\/+$/, '') !== '', 'refusing to remove /'),
  })
  .strict();

export type AbsentArgs = z.output<typeof absentSchema>;

const WHAT: Record<Exclude<PathState['kind'], 'absent'>, string> = {
  file: 'file',
  directory: 'directory (and everything in it)',
  link: 'symbolic link',
  other: 'special file',
};

/** Pure planner. */
export function planAbsent(current: PathState, path: string): Plan {
  if (current.kind === 'absent') return { changes: [] };
  const target = current.kind === 'link' ? ` (→ ${current.linkTarget})` : '';
  return { changes: [{ description: `remove ${WHAT[current.kind]} ${path}${target}` }] };
}

async function plan(ctx: TaskContext, args: AbsentArgs): Promise<Plan> {
  return planAbsent(await probePath(ctx, args.path), args.path);
}

async function apply(ctx: TaskContext, args: AbsentArgs): Promise<void> {
  // A link is removed itself, never what it points to: rm does not follow links.
  await ctx.run(sh`rm -rf -- ${args.path}`);
}

export const fileAbsentModule: Module<AbsentArgs, unknown, z.input<typeof absentSchema>> = {
  name: 'file.absent',
  manages: (args) => [{ key: `file:${args.path}`, state: 'absent' }],
  schema: absentSchema,
  describe: (args) => `absent ${args.path}`,
  plan,
  apply,
};
