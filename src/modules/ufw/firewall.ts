/**
 * ufw.firewall: default policies, rules, logging and on/off, planned from ufw's own files and
 * applied in an order that never cuts the controller off (see plan.ts and lockout.ts).
 */
import { TaskError } from '../../errors.ts';
import { raw, sh } from '../../transport/quote.ts';
import type { Module, TaskContext } from '../../task/types.ts';
import { planFirewall, type FirewallPlan } from './plan.ts';
import { addRuleCommand, deleteRuleCommand, insertRuleCommand } from './rules.ts';
import { firewallSchema, type FirewallArgs, type FirewallInput } from './schema.ts';
import { parseProbe, probeCommand, UfwProbeError } from './state.ts';
import { parseTupleLine, ruleKey, type UfwRule } from './tuples.ts';

/**
 * The 1-based `ufw insert` position of `target` for a rule of `family`, read from ufw's files now
 * (after earlier deletes and inserts): IPv4 rules are numbered first, then IPv6 ones.
 */
async function positionOf(ctx: TaskContext, target: UfwRule, family: 4 | 6): Promise<number> {
  const files = (await ctx.run('cat /etc/ufw/user.rules; echo @@6; cat /etc/ufw/user6.rules')).stdout.split('@@6\n');
  const keys = (text: string, f: 4 | 6) => text.split('\n').map((line) => parseTupleLine(line, f)).filter((r) => r !== null).map((r) => ruleKey(r));
  const v4 = keys(files[0] ?? '', 4);
  const index = family === 4 ? v4.indexOf(ruleKey(target)) : keys(files[1] ?? '', 6).indexOf(ruleKey(target));
  if (index === -1) throw new TaskError(`ufw: rule "${ruleKey(target)}" vanished while reordering`);
  return (family === 4 ? 0 : v4.length) + index + 1;
}

/** ufw lives in /usr/sbin, which a non-login PATH may lack; C locale keeps its messages parseable. */
const ENV = raw('LC_ALL=C PATH="$PATH:/usr/sbin:/sbin"');

async function ufw(ctx: TaskContext, command: string): Promise<void> {
  await ctx.run(sh`${ENV} ${raw(command)}`);
}

export const ufwFirewallModule: Module<FirewallArgs, FirewallPlan, FirewallInput> = {
  name: 'ufw.firewall',
  schema: firewallSchema,
  describe(args) {
    const rules = `${args.rules.length} rule${args.rules.length === 1 ? '' : 's'}`;
    return `ufw ${args.state}${args.defaults.incoming ? `, incoming ${args.defaults.incoming}` : ''}, ${rules}${args.purge ? ' (purge others)' : ''}`;
  },
  async plan(ctx, args) {
    const context = { host: ctx.host.name, task: ctx.task };
    const result = await ctx.run(probeCommand());
    let state;
    try {
      state = parseProbe(result.stdout);
    } catch (error) {
      if (error instanceof UfwProbeError) throw new TaskError(`cannot read ufw's state: ${error.message}`, context);
      throw error;
    }
    const plan = planFirewall(args, state, context);
    return { changes: plan.changes, data: plan };
  },
  async apply(ctx, _args, { data }) {
    const steps = data.steps;
    if (steps.disable) await ufw(ctx, 'ufw disable');
    for (const rule of steps.add) await ufw(ctx, addRuleCommand(rule));
    for (const { rule, before } of steps.move ?? []) {
      await ufw(ctx, deleteRuleCommand(rule));
      await ufw(ctx, insertRuleCommand(rule, await positionOf(ctx, before, rule.families.includes(4) ? 4 : 6)));
    }
    for (const { direction, policy } of steps.policies) await ufw(ctx, sh`ufw default ${policy} ${direction}`);
    if (steps.logging) await ufw(ctx, sh`ufw logging ${steps.logging}`);
    // --force: ufw otherwise asks on a terminal whether to risk the SSH session; plan checked that.
    if (steps.enable) await ufw(ctx, 'ufw --force enable');
    for (const rule of steps.remove) await ufw(ctx, deleteRuleCommand(rule));
  },
};
