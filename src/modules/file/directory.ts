/**
 * file.directory: a directory (parents created as needed) with owner, group and mode; with
 * `recurse`, owner and group apply to everything inside, and mode to the directories inside
 * (not to files: a directory's 0755 would make every file executable, Ansible's classic trap).
 */
import { z } from 'zod';
import { TaskError } from '../../errors.ts';
import { raw, sh } from '../../transport/quote.ts';
import type { Change, Module, Plan, TaskContext } from '../../task/types.ts';
import { absolutePath, attributeChanges, attributesShape, differingAttributes, setAttributesCommand, type Attributes } from './attributes.ts';
import { probeField, probePathRaw, type PathState } from './probe.ts';

export const directorySchema = z
  .object({
    path: absolutePath,
    ...attributesShape,
    recurse: z.boolean().default(false),
  })
  .strict();

export type DirectoryArgs = z.output<typeof directorySchema>;

export interface DirectoryPlanData {
  create: boolean;
  /** Attributes to set on the directory itself. */
  attributes: Attributes;
  /** Entries inside that drift (recurse only). */
  driftInside: number;
}

/** Counts entries under the directory whose owner, group or (directory) mode differ. */
export function insideDriftCommand(args: DirectoryArgs): string {
  const tests: string[] = [];
  if (args.owner) tests.push(sh`! -user ${args.owner}`);
  if (args.group) tests.push(sh`! -group ${args.group}`);
  if (args.mode) tests.push(sh`'(' -type d ! -perm ${args.mode} ')'`);
  if (tests.length === 0) return '';
  const find = sh`find ${args.path} -mindepth 1 '(' ${raw(tests.join(' -o '))} ')' -print 2>/dev/null | wc -l`;
  return sh`[ -d ${args.path} ] && printf 'inside:%s\n' "$(${raw(find)})"`;
}

/** Pure planner. `driftInside` is the count of drifting entries under the directory (recurse). */
export function planDirectory(current: PathState, args: DirectoryArgs, driftInside = 0): Plan<DirectoryPlanData> {
  const wanted: Attributes = { owner: args.owner, group: args.group, mode: args.mode };
  if (current.kind === 'absent') {
    const attrs = [args.owner && `owner ${args.owner}`, args.group && `group ${args.group}`, args.mode && `mode ${args.mode}`].filter(Boolean);
    return {
      changes: [{ description: `create directory ${args.path}${attrs.length ? ` (${attrs.join(', ')})` : ''}` }],
      data: { create: true, attributes: wanted, driftInside: 0 },
    };
  }
  if (current.kind !== 'directory') {
    throw new TaskError(`${args.path} exists and is not a directory (it is a ${current.kind === 'file' ? 'file' : current.kind})`);
  }
  const changes: Change[] = attributeChanges(current, wanted, args.path);
  if (args.recurse && driftInside > 0) {
    changes.push({ description: `owner/group/mode of ${driftInside} entr${driftInside === 1 ? 'y' : 'ies'} inside ${args.path}` });
  }
  return { changes, data: { create: false, attributes: differingAttributes(current, wanted), driftInside } };
}

async function plan(ctx: TaskContext, args: DirectoryArgs): Promise<Plan<DirectoryPlanData>> {
  // One round trip: the stat and, for recurse, the count of drifting entries inside.
  const extra = args.recurse ? insideDriftCommand(args) : '';
  const { state, output } = await probePathRaw(ctx, args.path, { follow: true, extra: extra ? `${extra} || true` : undefined });
  return planDirectory(state, args, Number(probeField(output, 'inside') ?? 0));
}

async function apply(ctx: TaskContext, args: DirectoryArgs, planned: Plan<DirectoryPlanData>): Promise<void> {
  const data = planned.data;
  const commands: string[] = [];
  if (data.create) commands.push(sh`mkdir -p -- ${args.path}`);
  const own = setAttributesCommand(args.path, data.attributes);
  if (own) commands.push(own);
  if (args.recurse && (data.create || data.driftInside > 0)) {
    const owner = { owner: args.owner, group: args.group };
    const chown = setAttributesCommand(args.path, owner, { recurse: true });
    if (chown) commands.push(chown);
    // The tree may belong to an account that swaps a directory for a link while find runs: chmod
    // -h (coreutils 9.5+, tested for first) never follows one; older chmod has no such option.
    if (args.mode) {
      commands.push(
        sh`if chmod -h --help >/dev/null 2>&1; then find ${args.path} -type d -exec chmod -h ${args.mode} -- {} +; else find ${args.path} -type d -exec chmod ${args.mode} -- {} +; fi`,
      );
    }
  }
  if (commands.length) await ctx.run(commands.join(' && '));
}

export const fileDirectoryModule: Module<DirectoryArgs, DirectoryPlanData, z.input<typeof directorySchema>> = {
  name: 'file.directory',
  manages: (args) => [{ key: `file:${args.path}`, state: 'directory' }],
  schema: directorySchema,
  describe: (args) => `directory ${args.path}`,
  plan,
  apply,
};
