/**
 * `systemd.unit`: installs a unit file in /etc/systemd/system from content, reloads systemd when it
 * changed, and optionally enables and starts it. A running unit whose definition changed is
 * restarted (restartOnChange), since systemd keeps running the old definition otherwise.
 */
import { z } from 'zod';
import { parseFiles, readFilesScript } from '../../facts/file-contents.ts';
import { section, splitSections } from '../../facts/sections.ts';
import { parseSystemctlShow, UNIT_PROPERTIES, unitName, type UnitState } from './probe.ts';
import { TaskError } from '../../errors.ts';
import { moduleFunction } from '../../task/task.ts';
import { sh } from '../../transport/quote.ts';
import { writeRemoteAtomic } from '../../transport/remote-files.ts';
import { runUnitCommands } from './unit-apply.ts';
import { planUnit, type UnitStep } from './unit-plan.ts';
import type { Change, Module } from '../../task/types.ts';

const UNIT_DIR = '/etc/systemd/system';

/** `[Install]` with a WantedBy/RequiredBy/Alias/Also line: what `systemctl enable` needs. */
export function hasInstallSection(content: string): boolean {
  const install = /^\[Install\]\s*$([\s\S]*?)(?=^\[|(?![\s\S]))/m.exec(content);
  return install !== null && /^\s*(WantedBy|RequiredBy|UpheldBy|Alias|Also)\s*=\s*\S/m.test(install[1]);
}

const systemdUnitSchema = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9:_.@\\-]+$/, 'not a systemd unit name'),
    /** The unit file's text. */
    content: z.string().optional(),
    state: z.enum(['present', 'absent']).default('present'),
    enabled: z.boolean().optional(),
    started: z.boolean().optional(),
    /** Restart the unit when its file changed and it is running. */
    restartOnChange: z.boolean().default(true),
  })
  .refine((a) => a.state === 'absent' || a.content !== undefined, { message: 'content is required with state present', path: ['content'] })
  .refine((a) => a.state === 'present' || (a.content === undefined && a.enabled === undefined && a.started === undefined), {
    message: 'state absent takes no content, enabled or started',
    path: ['state'],
  })
  .refine((a) => a.enabled !== true || a.content === undefined || hasInstallSection(a.content), {
    message: 'enabled: true needs an [Install] section with WantedBy= (or RequiredBy=, Alias=) in content',
    path: ['enabled'],
  });

export type SystemdUnitArgs = z.output<typeof systemdUnitSchema>;

interface UnitPlanData {
  unit: string;
  path: string;
  /** New content to write first, or null to leave the file. */
  write: string | null;
  steps: UnitStep[];
}

export interface UnitProbe {
  content: string | null;
  state: UnitState;
}

export function probeCommand(unit: string): string {
  return ['(', ...readFilesScript({ file: `${UNIT_DIR}/${unit}` }), sh`echo @@show; systemctl show -p ${UNIT_PROPERTIES.join(',')} -- ${unit}`, ')'].join('\n');
}

export function parseProbe(stdout: string): UnitProbe | null {
  const { file } = parseFiles(stdout, ['file']);
  const [state] = parseSystemctlShow(section(splitSections(stdout), 'show'));
  return state ? { content: file, state } : null;
}

/** Pure planner: the probed file and unit against the wanted ones. */
export function planSystemdUnit(args: SystemdUnitArgs, probe: UnitProbe, context: { host: string; task: string }): Omit<UnitPlanData, 'unit'> {
  const unit = probe.state.id;
  const path = `${UNIT_DIR}/${unit}`;
  const running = ['active', 'activating', 'reloading'].includes(probe.state.activeState);

  if (args.state === 'absent') {
    if (probe.content === null) return { path, write: null, steps: [] };
    const steps: UnitStep[] = [];
    if (running) steps.push({ change: { description: `stop ${unit}` }, command: sh`systemctl stop ${unit}` });
    if (!['disabled', 'static', ''].includes(probe.state.unitFileState)) {
      steps.push({ change: { description: `disable ${unit}` }, command: sh`systemctl disable ${unit}` });
    }
    steps.push({ change: { description: `remove ${path}`, diff: { path, before: probe.content, after: '' } }, command: sh`rm -f ${path}` });
    steps.push({ change: { description: 'daemon-reload' }, command: 'systemctl daemon-reload' });
    return { path, write: null, steps };
  }

  const content = args.content!;
  const changed = probe.content !== content;
  const wanted = { enabled: args.enabled, state: args.started === undefined ? undefined : args.started ? ('started' as const) : ('stopped' as const) };
  if (!changed) return { path, write: null, steps: planUnit(probe.state, { ...wanted, daemonReload: true }, context) };

  const fileChange: Change = {
    description: `${probe.content === null ? 'create' : 'update'} ${path}`,
    diff: { path, before: probe.content ?? '', after: content },
  };
  // What systemd will see after the write and a daemon-reload: a new unit is loaded and stopped,
  // an existing one keeps its run state and enablement.
  const loaded: UnitState =
    probe.state.loadState === 'not-found'
      ? { ...probe.state, loadState: 'loaded', activeState: 'inactive', unitFileState: hasInstallSection(content) ? 'disabled' : 'static', needDaemonReload: false }
      : { ...probe.state, needDaemonReload: false };
  const steps: UnitStep[] = [{ change: { description: `daemon-reload (${unit} changed)` }, command: 'systemctl daemon-reload' }];
  steps.push(...planUnit(loaded, wanted, context));
  if (running && args.restartOnChange && args.started !== false) {
    steps.push({ change: { description: `restart ${unit} (its unit file changed)` }, command: sh`systemctl restart ${unit}`, starts: true });
  }
  return { path, write: content, steps: [{ change: fileChange, command: '' }, ...steps] };
}

export const systemdUnitModule: Module<SystemdUnitArgs, UnitPlanData, z.input<typeof systemdUnitSchema>> = {
  name: 'systemd.unit',
  schema: systemdUnitSchema,
  describe: (args) => `unit ${unitName(args.name)}${args.state === 'absent' ? ' absent' : ''}`,
  async plan(ctx, args) {
    const context = { host: ctx.host.name, task: ctx.task };
    if (ctx.host.facts.init !== 'systemd') throw new TaskError(`${ctx.host.name} does not run systemd`, context);
    const unit = unitName(args.name);
    const probe = parseProbe((await ctx.run(probeCommand(unit))).stdout);
    if (!probe) throw new TaskError(`systemctl show printed nothing for ${unit}`, context);
    const plan = planSystemdUnit(args, probe, context);
    return { changes: plan.steps.map((s) => s.change), data: { unit, ...plan } };
  },
  async apply(ctx, _args, { data }) {
    const { unit, path, write, steps } = data;
    if (write !== null) await writeRemoteAtomic(ctx, path, write, { owner: 'root', group: 'root', mode: '0644' });
    await runUnitCommands(ctx, unit, steps.map((s) => s.command).filter((c) => c !== ''), { verifyRunning: steps.some((s) => s.starts) });
  },
};

/** `systemd.unit({ name: 'app', content, enabled: true, started: true })` */
export const unit = moduleFunction(systemdUnitModule);
