/** Module `group`: a local group (groupadd/groupmod/groupdel), planned from `getent group`. */
import { z } from 'zod';
import { sh } from '../../transport/quote.ts';
import type { Change, Module, Plan, TaskContext } from '../../task/types.ts';

/** Debian's NAME_REGEX with the system-account `$` allowed, as useradd/groupadd accept. */
export const accountName = z.string().regex(/^[a-z_][a-z0-9_-]*\$?$/, 'must be a valid user or group name (lowercase, digits, _ or -)').max(32);

export const groupSchema = z
  .object({
    name: accountName,
    gid: z.number().int().min(0).optional(),
    /** A system group (gid from the system range) when created. */
    system: z.boolean().default(false),
    state: z.enum(['present', 'absent']).default('present'),
  })
  .strict();

export type GroupArgs = z.output<typeof groupSchema>;

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

/** One `getent group` line: `name:x:gid:member,member`. */
export function parseGroupLine(line: string): GroupEntry | undefined {
  const fields = line.trim().split(':');
  if (fields.length < 4) return undefined;
  return { name: fields[0], gid: Number(fields[2]), members: fields[3] === '' ? [] : fields[3].split(',') };
}

export interface GroupPlanData {
  action: 'create' | 'modify' | 'remove' | 'none';
}

/** Pure planner. */
export function planGroup(current: GroupEntry | undefined, args: GroupArgs): Plan<GroupPlanData> {
  if (args.state === 'absent') {
    return current ? { changes: [{ description: `remove group ${args.name}` }], data: { action: 'remove' } } : { changes: [], data: { action: 'none' } };
  }
  if (!current) {
    const details = [args.gid !== undefined && `gid ${args.gid}`, args.system && 'system'].filter(Boolean);
    return {
      changes: [{ description: `create group ${args.name}${details.length ? ` (${details.join(', ')})` : ''}` }],
      data: { action: 'create' },
    };
  }
  const changes: Change[] = [];
  if (args.gid !== undefined && args.gid !== current.gid) changes.push({ description: `gid of group ${args.name}: ${current.gid} → ${args.gid}` });
  return { changes, data: { action: 'modify' } };
}

async function plan(ctx: TaskContext, args: GroupArgs): Promise<Plan<GroupPlanData>> {
  // getent exits 2 when the group does not exist.
  const result = await ctx.exec(sh`getent group ${args.name}`);
  return planGroup(result.exitCode === 0 ? parseGroupLine(result.stdout) : undefined, args);
}

async function apply(ctx: TaskContext, args: GroupArgs, planned: Plan<GroupPlanData>): Promise<void> {
  const gid = args.gid !== undefined ? ['-g', args.gid] : [];
  switch (planned.data.action) {
    case 'create':
      await ctx.run(sh`groupadd ${gid} ${args.system ? ['-r'] : []} ${args.name}`);
      return;
    case 'modify':
      await ctx.run(sh`groupmod ${gid} ${args.name}`);
      return;
    case 'remove':
      await ctx.run(sh`groupdel ${args.name}`);
  }
}

export const groupModule: Module<GroupArgs, GroupPlanData, z.input<typeof groupSchema>> = {
  name: 'group',
  manages: (args) => [{ key: `group:${args.name}`, state: args.state }],
  schema: groupSchema,
  describe: (args) => (args.state === 'absent' ? `group ${args.name} absent` : `group ${args.name}`),
  plan,
  apply,
};
