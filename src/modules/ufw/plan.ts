/**
 * Pure planner for ufw.firewall: compares ufw's state with the declaration and returns the changes
 * in the order apply makes them. The order is what keeps the session alive: rules are added before
 * the default policy turns to deny and before the firewall is enabled, and rules are deleted last.
 */
import { TaskError } from '../../errors.ts';
import type { Change } from '../types.ts';
import { admitsSsh, lockoutMessage, sshTarget } from './lockout.ts';
import { describeRule, toUfwRule } from './rules.ts';
import type { FirewallArgs } from './schema.ts';
import type { LogLevel, Policy, UfwState } from './state.ts';
import { ruleKey, type UfwRule } from './tuples.ts';

export type PolicyDirection = 'incoming' | 'outgoing' | 'routed';

/** What apply runs, in this order. */
export interface FirewallSteps {
  disable: boolean;
  /** Missing rules, and rules whose comment changes (re-adding updates the comment in place). */
  add: UfwRule[];
  policies: Array<{ direction: PolicyDirection; policy: Policy }>;
  logging: LogLevel | 'on' | null;
  enable: boolean;
  remove: UfwRule[];
}

export interface FirewallPlan {
  changes: Change[];
  steps: FirewallSteps;
}

function withComment(line: string, comment: string): string {
  return comment ? `${line} (comment '${comment}')` : line;
}

export function planFirewall(args: FirewallArgs, state: UfwState, context: { host: string; task: string }): FirewallPlan {
  if (!state.installed) throw new TaskError('ufw is not installed (install the ufw package first, e.g. with apt.packages)', context);

  const changes: Change[] = [];
  const steps: FirewallSteps = { disable: false, add: [], policies: [], logging: null, enable: false, remove: [] };
  const wantEnabled = args.state === 'enabled';

  if (!wantEnabled && (state.active || state.enabledAtBoot)) {
    steps.disable = true;
    changes.push({ description: state.active ? 'disable firewall' : 'disable firewall (at boot)' });
  }

  const existing = new Map(state.rules.map((r) => [ruleKey(r), r]));
  const declaredKeys = new Set<string>();
  const added: UfwRule[] = [];
  for (const declared of args.rules.map(toUfwRule)) {
    const key = ruleKey(declared);
    declaredKeys.add(key);
    const current = existing.get(key);
    if (!current) {
      steps.add.push(declared);
      added.push(declared);
      changes.push({ description: withComment(describeRule(declared), declared.comment) });
    } else if (declared.comment !== '' && declared.comment !== current.comment) {
      // An undeclared comment is left alone: the rule's identity does not include it.
      steps.add.push(declared);
      changes.push({ description: `comment of ${describeRule(declared)}: '${current.comment}' → '${declared.comment}'` });
    }
  }

  for (const direction of ['incoming', 'outgoing', 'routed'] as const) {
    const wanted = args.defaults[direction];
    if (wanted !== undefined && wanted !== state.policies[direction]) {
      steps.policies.push({ direction, policy: wanted });
      changes.push({ description: `default ${direction} ${state.policies[direction]} → ${wanted}` });
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

  if (args.purge) {
    for (const r of state.rules) {
      if (declaredKeys.has(ruleKey(r))) continue;
      steps.remove.push(r);
      changes.push({ description: `delete ${withComment(describeRule(r), r.comment)}` });
    }
  }

  const incoming = args.defaults.incoming ?? state.policies.incoming;
  if (wantEnabled && incoming !== 'allow' && !args.force) {
    // The rules as they will stand: kept ones in their place, new ones appended (ufw appends).
    const removed = new Set(steps.remove.map(ruleKey));
    const result = [...state.rules.filter((r) => !removed.has(ruleKey(r))), ...added];
    const target = sshTarget(args.sshPort, state.ssh);
    const admission = admitsSsh(result, incoming, target);
    if (!admission.admitted) throw new TaskError(lockoutMessage(admission, incoming, target), context);
  }

  return { changes, steps };
}
