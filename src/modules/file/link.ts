/**
 * file.link: a symbolic link at `dest` pointing to `src`. A file in the way is replaced only with
 * `force`; a directory in the way is never removed (remove it with file.absent first).
 */
import { z } from 'zod';
import { TaskError } from '../../errors.ts';
import { sh } from '../../transport/quote.ts';
import type { Module, Plan, TaskContext } from '../../task/types.ts';
import { absolutePath } from './attributes.ts';
import { probePath, type PathState } from './probe.ts';

export const linkSchema = z
  .object({
    /** What the link points to (may be relative to the link's directory, and need not exist yet). */
    src: z.string().min(1),
    dest: absolutePath,
    /** Replace a file (not a directory) that stands where the link should be. */
    force: z.boolean().default(false),
  })
  .strict();

export type LinkArgs = z.output<typeof linkSchema>;

/** Pure planner. */
export function planLink(current: PathState, args: LinkArgs): Plan {
  const { src, dest } = args;
  switch (current.kind) {
    case 'absent':
      return { changes: [{ description: `link ${dest} → ${src}` }] };
    case 'link':
      if (current.linkTarget === src) return { changes: [] };
      return { changes: [{ description: `relink ${dest}: ${current.linkTarget} → ${src}` }] };
    case 'directory':
      throw new TaskError(`${dest} is a directory; remove it first (file.absent) to put a link there`);
    default:
      if (!args.force) throw new TaskError(`${dest} exists and is not a link (force: true replaces it)`);
      return { changes: [{ description: `replace ${current.kind === 'file' ? 'file' : 'special file'} ${dest} with a link → ${src}` }] };
  }
}

async function plan(ctx: TaskContext, args: LinkArgs): Promise<Plan> {
  return planLink(await probePath(ctx, args.dest), args);
}

async function apply(ctx: TaskContext, args: LinkArgs): Promise<void> {
  // Made beside the destination then renamed over it, so the path is never missing in between.
  const temp = `${args.dest}.shipshape-${process.pid}-${Date.now()}`;
  await ctx.run(sh`ln -s -- ${args.src} ${temp} && { mv -Tf -- ${temp} ${args.dest} || { rm -f -- ${temp}; false; }; }`);
}

export const fileLinkModule: Module<LinkArgs, unknown, z.input<typeof linkSchema>> = {
  name: 'file.link',
  manages: (args) => [{ key: `file:${args.dest}`, state: `link to ${args.src}` }],
  schema: linkSchema,
  describe: (args) => `link ${args.dest} → ${args.src}`,
  plan,
  apply,
};
