/**
 * Module `sysctl`: a kernel parameter, set live (`sysctl -w`) and persisted in a sysctl.d file so it
 * survives a reboot, like Ansible's ansible.posix.sysctl. The plan compares both: the live value
 * and the file's line; apply changes only the one that differs.
 */
import { z } from 'zod';
import { sh } from '../../transport/quote.ts';
import { TaskError } from '../../errors.ts';
import { normalizeValue, parseSysctlFile, setSysctlLine } from './parse.ts';
import type { Change, Module, Plan, TaskContext } from '../../task/types.ts';

export const sysctlSchema = z
  .strictObject({
    /** `net.ipv4.ip_nonlocal_bind` (dots; slashes are accepted and read as dots). */
    key: z
      .string()
      .regex(/^[A-Za-z0-9_][A-Za-z0-9_.\/-]*$/, 'not a sysctl key (letters, digits, _ - . /)')
      .transform((k) => k.replace(/\//g, '.')),
    value: z.union([z.string().min(1), z.number()]).transform((v) => normalizeValue(String(v))),
    /** The sysctl.d file that keeps it across reboots. */
    file: z
      .string()
      .regex(/^\/etc\/sysctl\.d\/[A-Za-z0-9_.-]+\.conf$/, 'must be a .conf file in /etc/sysctl.d/')
      .default('/etc/sysctl.d/60-shipshape.conf'),
    /** Set the running kernel too (false: only the file, for the next boot). */
    live: z.boolean().default(true),
  });

export type SysctlArgs = z.output<typeof sysctlSchema>;

export interface SysctlState {
  /** `sysctl -n key`; undefined when the key does not exist on this kernel. */
  live: string | undefined;
  /** The file's text; '' when it does not exist. */
  fileText: string;
}

export interface SysctlPlanData {
  writeFile?: string;
  setLive: boolean;
}

/** Pure planner. */
export function planSysctl(state: SysctlState, args: SysctlArgs): Plan<SysctlPlanData> {
  const changes: Change[] = [];
  const inFile = parseSysctlFile(state.fileText).get(args.key);
  let writeFile: string | undefined;
  if (inFile !== args.value) {
    writeFile = setSysctlLine(state.fileText, args.key, args.value);
    changes.push({ description: `${args.file}: ${args.key} = ${args.value}`, diff: { path: args.file, before: state.fileText, after: writeFile } });
  }
  const setLive = args.live && state.live !== undefined && normalizeValue(state.live) !== args.value;
  if (setLive) changes.push({ description: `set ${args.key}: ${normalizeValue(state.live!)} → ${args.value}` });
  return { changes, data: { writeFile, setLive } };
}

// Markers keep the two reads of one command apart; a missing file or key prints only its marker.
const LIVE = '--- live';
const FILE = '--- file';

async function plan(ctx: TaskContext, args: SysctlArgs): Promise<Plan<SysctlPlanData>> {
  const result = await ctx.exec(sh`echo ${LIVE}; sysctl -n -- ${args.key} 2>/dev/null; echo ${FILE}; cat -- ${args.file} 2>/dev/null; true`);
  const out = result.stdout;
  const liveStart = out.indexOf(`${LIVE}\n`) + LIVE.length + 1;
  const fileStart = out.indexOf(`${FILE}\n`);
  if (liveStart <= LIVE.length || fileStart < 0) {
    throw new TaskError(`could not read sysctl ${args.key}: ${result.stderr.trim() || 'no output'}`);
  }
  const liveText = out.slice(liveStart, fileStart);
  const live = liveText.trim() === '' ? undefined : liveText;
  if (live === undefined && args.live) {
    throw new TaskError(`${args.key}: no such kernel parameter on ${ctx.host.name} (sysctl -n found nothing)`);
  }
  return planSysctl({ live, fileText: out.slice(fileStart + FILE.length + 1) }, args);
}

async function apply(ctx: TaskContext, args: SysctlArgs, planned: Plan<SysctlPlanData>): Promise<void> {
  const { writeFile, setLive } = planned.data;
  if (writeFile !== undefined) {
    // Written whole through a temporary file in the same directory, then renamed: never half a file.
    await ctx.run(sh`umask 022 && t=$(mktemp ${`${args.file}.XXXXXX`}) && cat > "$t" && chmod 0644 "$t" && mv -f "$t" ${args.file}`, { stdin: writeFile });
  }
  if (setLive) {
    const result = await ctx.exec(sh`sysctl -w ${`${args.key}=${args.value}`}`);
    if (result.exitCode !== 0) {
      const readOnly = /read-only|permission denied/i.test(result.stderr) ? ' (/proc/sys is read-only here: in a container, set it when the container starts)' : '';
      throw new TaskError(`sysctl -w ${args.key}=${args.value} failed${readOnly}: ${result.stderr.trim()}`);
    }
  }
}

export const sysctlModule: Module<SysctlArgs, SysctlPlanData, z.input<typeof sysctlSchema>> = {
  name: 'sysctl',
  manages: (args) => [{ key: `sysctl:${args.key}`, state: `= ${String(args.value)}` }],
  schema: sysctlSchema,
  describe: (args) => `sysctl ${args.key} = ${args.value}`,
  plan,
  apply,
};

/** `sysctl({ key: 'net.ipv4.ip_nonlocal_bind', value: 1 })` */
