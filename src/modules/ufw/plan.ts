/**
 * Pure planner for ufw.firewall: compares ufw's state with the declaration and returns the changes
 * in the order apply makes them. The order is what keeps the session alive: rules are added before
 * the default policy turns to deny and before the firewall is enabled, and rules are deleted last.
 */
import { TaskError } from '../../errors.ts';
import type { Change } from '../../task/types.ts';
import { admitsSsh, lockoutMessage, sshTarget } from './lockout.ts';
import { shadows } from './shadow.ts';
import { describeRule, toUfwRule } from './rules.ts';
import type { FirewallArgs } from './schema.ts';
import type { LogLevel, Policy, UfwState } from './state.ts';
import { familyKey, familyKeys, ruleKey, type UfwRule } from './tuples.ts';

export type PolicyDirection = 'incoming' | 'outgoing' | 'routed';

/** What apply runs, in this order. */
export interface FirewallSteps {
  disable: boolean;
  /** Missing rules, and rules whose comment changes (re-adding updates the comment in place). */
  add: UfwRule[];
  policies: Array<{ direction: PolicyDirection; policy: Policy }>;
  logging: LogLevel | 'on' | null;
  enable: boolean;
  /** Rules (or one family's half of a rule) to delete. */
  remove: UfwRule[];
  /** Declared rules that an earlier rule of the opposite verdict shadows: moved before it. */
  move: Array<{ rule: UfwRule; before: UfwRule }>;
}

export interface FirewallPlan {
  changes: Change[];
  steps: FirewallSteps;
}

function withComment(line: string, comment: string): string {
  return comment ? `${line} (comment '${comment}')` : line;
}

/** The rule limited to some of its families, described and deleted as such. */
function only(r: UfwRule, families: Array<4 | 6>): UfwRule {
  return { ...r, families };
}

/** Whether two rules match the same packets (they may differ in verdict, logging and comment). */
function sameMatch(a: UfwRule, b: UfwRule): boolean {
  return ruleKey({ ...a, action: 'allow', log: '' }) === ruleKey({ ...b, action: 'allow', log: '' });
}

export function planFirewall(args: FirewallArgs, state: UfwState, context: { host: string; task: string }): FirewallPlan {
  if (!state.installed) throw new TaskError('ufw is not installed (install the ufw package first, e.g. with apt.packages)', context);

  const changes: Change[] = [];
  const steps: FirewallSteps = { disable: false, add: [], policies: [], logging: null, enable: false, remove: [], move: [] };
  const wantEnabled = args.state === 'enabled';

  if (!wantEnabled && (state.active || state.enabledAtBoot)) {
    steps.disable = true;
    changes.push({ description: state.active ? 'disable firewall' : 'disable firewall (at boot)' });
  }

  const existing = new Map(state.rules.map((r) => [ruleKey(r), r]));
  const present = new Set(state.rules.flatMap(familyKeys));
  const declared = args.rules.map((r) => toUfwRule(r, state.ipv6));
  const wanted = new Set(declared.flatMap(familyKeys));
  const added: UfwRule[] = [];
  for (const rule of declared) {
    const missing = rule.families.filter((family) => !present.has(familyKey(rule, family)));
    const current = existing.get(ruleKey(rule));
    if (missing.length > 0) {
      // ufw adds the missing half and skips the present one ("Skipping adding existing rule").
      steps.add.push(rule);
      added.push(only(rule, missing));
      changes.push({ description: withComment(describeRule(only(rule, missing)), rule.comment) });
    } else if (rule.comment !== '' && rule.comment !== current?.comment) {
      // An undeclared comment is left alone: the rule's identity does not include it.
      steps.add.push(rule);
      changes.push({ description: `comment of ${describeRule(rule)}: '${current?.comment ?? ''}' → '${rule.comment}'` });
    }
  }

  for (const direction of ['incoming', 'outgoing', 'routed'] as const) {
    const policy = args.defaults[direction];
    if (policy !== undefined && policy !== state.policies[direction]) {
      steps.policies.push({ direction, policy });
      changes.push({ description: `default ${direction} ${state.policies[direction]} → ${policy}` });
    }
  }

  if (args.logging !== undefined) {
    const satisfied = args.logging === 'on' ? state.logLevel !== 'off' : args.logging === state.logLevel;
    if (!satisfied) {
      steps.logging = args.logging;
      changes.push({ description: `logging ${state.logLevel} → ${args.logging === 'on' ? 'low' : args.logging}` });
    }
  }

  if (wantEnabled && !(state.active && state.enabledAtBoot)) {
    steps.enable = true;
    changes.push({ description: state.active ? 'enable firewall (at boot)' : 'enable firewall' });
  }

  // The rules as they will stand: kept ones in their place (minus purged halves), new ones appended.
  const result: UfwRule[] = [];
  for (const r of state.rules) {
    const extra = args.purge ? r.families.filter((family) => !wanted.has(familyKey(r, family))) : [];
    if (extra.length > 0) {
      steps.remove.push(only(r, extra));
      changes.push({ description: `delete ${withComment(describeRule(only(r, extra)), r.comment)}` });
    }
    const kept = r.families.filter((family) => !extra.includes(family));
    if (kept.length > 0) result.push(only(r, kept));
  }
  // ufw adds a rule that differs from an existing one only in its verdict (allow → deny) by
  // replacing that rule where it stands ("Rule updated"), not by appending it.
  for (const rule of added) {
    const i = result.findIndex((r) => sameMatch(r, rule) && rule.families.every((family) => r.families.includes(family)));
    if (i === -1) result.push(rule);
    else result.splice(i, 1, ...[rule, only(result[i], result[i].families.filter((family) => !rule.families.includes(family)))].filter((r) => r.families.length > 0));
  }

  // ufw stops at the first matching rule: a declared rule after a broader one of the opposite
  // verdict never takes effect. Move it before that rule, unless the declaration itself puts the
  // broader rule first.
  const declaredAt = new Map(declared.map((r, i) => [ruleKey(r), i]));
  for (let j = 0; j < result.length; j++) {
    const rule = result[j];
    const at = declaredAt.get(ruleKey(rule));
    if (at === undefined || rule.route) continue;
    const i = result.findIndex((earlier, k) => k < j && shadows(earlier, rule) && !((declaredAt.get(ruleKey(earlier)) ?? Infinity) < at));
    if (i === -1) continue;
    const before = result[i];
    steps.move.push({ rule, before });
    changes.push({ description: `move ${describeRule(rule)} before ${describeRule(before)} (which matches first)` });
    result.splice(j, 1);
    result.splice(i, 0, rule);
  }

  const incoming = args.defaults.incoming ?? state.policies.incoming;
  if (wantEnabled && incoming !== 'allow' && !args.force) {
    const target = sshTarget(args.sshPort, state.ssh);
    const admission = admitsSsh(result, incoming, target);
    if (!admission.admitted) throw new TaskError(lockoutMessage(admission, incoming, target), context);
  }

  return { changes, steps };
}
