/** `service`: a systemd unit's run state and enablement (started/stopped/restarted/reloaded, enabled). */
import { z } from 'zod';
import { parseSystemctlShow, UNIT_PROPERTIES, unitName } from '../systemd/probe.ts';
import { TaskError } from '../../errors.ts';
import { throwIfFailed } from '../../transport/command-failure.ts';
import type { ExecResult } from '../../transport/types.ts';
import type { Coalescable } from '../../task/coalesce.ts';
import { sh } from '../../transport/quote.ts';
import { planUnit, type UnitStep } from '../systemd/unit-plan.ts';
import { runUnitCommands } from '../systemd/unit-apply.ts';
import type { Module } from '../../task/types.ts';

const serviceSchema = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9:_.@\\-]+$/, 'not a systemd unit name'),
    state: z.enum(['started', 'stopped', 'restarted', 'reloaded']).optional(),
    enabled: z.boolean().optional(),
    /** Reload systemd's unit definitions first, when this unit's file changed on disk. */
    daemonReload: z.boolean().default(false),
  })
  .refine((a) => a.state !== undefined || a.enabled !== undefined || a.daemonReload, {
    message: 'say what to ensure: state, enabled or daemonReload',
  });

export type ServiceArgs = z.output<typeof serviceSchema>;

const showCommand = (units: string[]) => sh`systemctl show -p ${UNIT_PROPERTIES.join(',')} -- ${units}`;

/**
 * `systemctl show` of the units several service tasks plan at once, in one command: systemctl
 * prints one block per unit asked, in order (an unknown unit still gets its block). Each task gets
 * the command's result with only its own unit's block.
 */
export const systemctlShow: Coalescable<string, ExecResult> = {
  kind: 'systemctl show',
  runOne: (exec, unit) => exec(showCommand([unit])),
  async runMany(exec, units) {
    const unique = [...new Set(units)];
    const result = await exec(showCommand(unique));
    if (result.exitCode !== 0) return undefined;
    const blocks = result.stdout.split(/\n\s*\n/).filter((block) => /^Id=/m.test(block)).map((block) => block.trim());
    if (blocks.length !== unique.length) return undefined;
    const byUnit = new Map(unique.map((unit, i) => [unit, blocks[i]]));
    return units.map((unit) => ({ ...result, stdout: `${byUnit.get(unit)}\n`, stdoutBytes: Buffer.from(`${byUnit.get(unit)}\n`) }));
  },
};

export const serviceModule: Module<ServiceArgs, { unit: string; steps: UnitStep[] }, z.input<typeof serviceSchema>> = {
  name: 'service',
  manages: (args) => {
    const unit = args.name.includes('.') ? args.name : `${args.name}.service`;
    const running = args.state === undefined ? [] : [{ key: `unit:${unit}`, state: args.state === 'stopped' ? 'stopped' : 'running' }];
    const enabled = args.enabled === undefined ? [] : [{ key: `unit-enablement:${unit}`, state: args.enabled ? 'enabled' : 'disabled' }];
    return [...running, ...enabled];
  },
  schema: serviceSchema,
  describe(args) {
    const parts = [args.state, args.enabled === undefined ? undefined : args.enabled ? 'enabled' : 'disabled'].filter(Boolean);
    return `service ${args.name}${parts.length ? `: ${parts.join(', ')}` : ''}`;
  },
  async plan(ctx, args) {
    if (ctx.host.facts.init !== 'systemd') {
      throw new TaskError(`${ctx.host.name} does not run systemd: the service module manages systemd units only`);
    }
    const unit = unitName(args.name);
    const result = await ctx.coalesce(systemctlShow, unit);
    throwIfFailed(result);
    const [state] = parseSystemctlShow(result.stdout);
    if (!state) throw new TaskError(`systemctl show printed nothing for ${unit}`);
    const steps = planUnit(state, args, { host: ctx.host.name, task: ctx.task });
    return { changes: steps.map((s) => s.change), data: { unit, steps } };
  },
  async apply(ctx, _args, { data }) {
    await runUnitCommands(ctx, data.unit, data.steps.map((s) => s.command), { verifyRunning: data.steps.some((s) => s.starts) });
  },
};

/** `service({ name: 'nginx', state: 'started', enabled: true })` */
