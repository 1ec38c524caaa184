import { CommandError } from '../../errors.ts';
import { describeCommandFailure, throwIfFailed } from '../../transport/command-failure.ts';
import type { ExecResult } from '../../transport/types.ts';
import type { Module, TaskContext } from '../../task/types.ts';
import { explainAptFailure, transactionCommand, updateCommand } from './apt-get.ts';
import { DPKG_LOCKS, LISTS_LOCKS, LockBudget, waitForCloudInit, waitForLocks } from './locks.ts';
import { parsePackageSpec } from './package-spec.ts';
import { planPackages, type AptPackagesPlan } from './packages-plan.ts';
import { parseProbe, probeCommand, type PolicyQuery } from './packages-probe.ts';
import type { Coalescable } from '../../task/coalesce.ts';
import { aptPackagesSchema, type AptPackagesArgs, type AptPackagesInput } from './packages-schema.ts';

interface ProbeRequest {
  names: string[];
  defaultRelease?: string;
  query: PolicyQuery;
}

/** A probe's output, and which of its policy answers is this request's. */
interface ProbeAnswer {
  result: ExecResult;
  policy: number;
}

/**
 * The apt probes of several apt.packages tasks as one command: one dpkg-query about all their
 * names, one apt-cache per default release (about the names of that release's tasks only). Each
 * plan looks up its own names and its release's answer.
 */
const aptProbe: Coalescable<ProbeRequest, ProbeAnswer> = {
  kind: 'apt probe',
  runOne: async (exec, request) => ({ result: await exec(probeCommand(request.names, [request])), policy: 0 }),
  async runMany(exec, requests) {
    const releases = [...new Set(requests.map((r) => r.defaultRelease ?? ''))];
    const policies = releases.map((release) => {
      const mine = requests.filter((r) => (r.defaultRelease ?? '') === release);
      const union = (pick: (r: ProbeRequest) => string[]) => [...new Set(mine.flatMap(pick))];
      return { defaultRelease: release || undefined, query: { always: union((r) => r.query.always), ifMissing: union((r) => r.query.ifMissing) } };
    });
    const result = await exec(probeCommand([...new Set(requests.flatMap((r) => r.names))], policies));
    return result.exitCode === 0 ? requests.map((r) => ({ result, policy: releases.indexOf(r.defaultRelease ?? '') })) : undefined;
  },
};

async function probeAndPlan(ctx: TaskContext, args: AptPackagesArgs, afterUpdate: boolean): Promise<AptPackagesPlan> {
  const specs = args.names.map(parsePackageSpec);
  const names = specs.map((s) => s.name);
  const pinned = specs.filter((s) => s.version !== undefined).map((s) => s.name);
  const query =
    args.state === 'absent'
      ? { always: [], ifMissing: [] }
      : args.state === 'latest'
        ? { always: names, ifMissing: [] }
        : { always: pinned, ifMissing: names.filter((n) => !pinned.includes(n)) };
  const { result, policy } = await ctx.coalesce(aptProbe, { names, defaultRelease: args.defaultRelease, query });
  throwIfFailed(result);
  return planPackages(args, specs, parseProbe(result.stdout, policy), { host: ctx.host.name, task: ctx.task }, afterUpdate);
}

async function runApt(ctx: TaskContext, command: string, lockTimeout: number): Promise<ExecResult> {
  const result = await ctx.exec(command);
  if (result.exitCode === 0) return result;
  const context = { host: ctx.host.name, task: ctx.task };
  throw explainAptFailure(result, lockTimeout, context) ?? new CommandError(describeCommandFailure(result), result, context);
}

export const aptPackagesModule: Module<AptPackagesArgs, AptPackagesPlan, AptPackagesInput> = {
  name: 'apt.packages',
  // `latest` is present too; a version pin or an architecture names the same package.
  manages: (args) => args.names.map((spec) => ({ key: `package:${spec.split(/[=:]/)[0]}`, state: args.state === 'absent' ? 'absent' : 'present' })),
  schema: aptPackagesSchema,
  describe(args) {
    const what = args.names.length ? args.names.join(', ') : 'apt cache';
    return args.names.length ? `apt ${args.state}: ${what}` : 'apt: update cache';
  },
  async plan(ctx, args) {
    const plan = await probeAndPlan(ctx, args, false);
    return { changes: plan.changes, notes: plan.notes, upkeep: plan.upkeep, data: plan };
  },
  async apply(ctx, args, { data }) {
    let transaction = data.transaction;
    const cacheUpdated = transaction.updateCache;
    // Planned changes count; a refresh of old lists (upkeep) alone does not.
    const planned = data.changes.length > 0;
    const budget = new LockBudget(args.lockTimeout);
    if (args.waitForCloudInit) await waitForCloudInit(ctx, budget);
    if (transaction.updateCache) {
      await waitForLocks(ctx, LISTS_LOCKS, budget);
      await runApt(ctx, updateCommand(), args.lockTimeout);
      // The fresh lists decide: versions may have moved and unknown names may now be known.
      transaction = (await probeAndPlan(ctx, args, true)).transaction;
    }
    if (transaction.action === null) return { changed: planned, output: { cacheUpdated, packages: [] } };
    await waitForLocks(ctx, DPKG_LOCKS, budget);
    await runApt(
      ctx,
      transactionCommand({
        action: transaction.action,
        packages: transaction.packages,
        // A backstop for a process taking dpkg's lock right after the wait.
        lockTimeout: budget.remaining(),
        installRecommends: args.installRecommends,
        defaultRelease: args.defaultRelease,
        allowDowngrades: transaction.allowDowngrades,
        policyRcD: args.policyRcD,
      }),
      args.lockTimeout,
    );
    return { output: { cacheUpdated, action: transaction.action, packages: transaction.packages } };
  },
};
