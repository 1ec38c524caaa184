import { TaskError } from '../../errors.ts';
import type { Change } from '../../task/types.ts';
import type { AptPackagesArgs } from './packages-schema.ts';
import type { AptState } from './packages-probe.ts';
import { versionMatches, type PackageSpec } from './package-spec.ts';

/** What apply must do: at most one cache update and one apt-get transaction. */
export interface AptTransaction {
  updateCache: boolean;
  action: 'install' | 'remove' | 'purge' | null;
  /** Arguments for apt-get: `nginx`, `nginx=1.26.3-3`. */
  packages: string[];
  allowDowngrades: boolean;
}

export interface AptPackagesPlan {
  changes: Change[];
  /** Shown, not counted: lists older than cacheValidTime (when nothing else differs), held packages. */
  notes: string[];
  /** The only work is refreshing lists older than cacheValidTime: apply does it, the task stays ok. */
  upkeep: boolean;
  transaction: AptTransaction;
}

function formatAge(seconds: number): string {
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} days`;
}

/**
 * Compares apt's and dpkg's answers with the wanted state. Pure: given the same probe output it
 * returns the same plan, so it is unit-tested on output recorded from real hosts.
 */
export function planPackages(
  args: AptPackagesArgs,
  specs: PackageSpec[],
  state: AptState,
  context: { host: string; task: string },
  /** Planning again inside apply, right after the cache update: never ask for another one. */
  afterUpdate = false,
): AptPackagesPlan {
  if (state.policy.errors.length > 0) {
    const unknownRelease = state.policy.errors.find((e) => e.includes('APT::Default-Release'));
    const message = unknownRelease
      ? `default release '${args.defaultRelease}' is not in apt's sources (add it with apt.repository, then update the cache)`
      : `apt-cache failed: ${state.policy.errors.join('; ')}`;
    throw new TaskError(message, context);
  }

  // cacheValidTime bounds the lists' age on its own; a bare updateCache refreshes right before
  // an install (so it never fetches from stale lists) but does not turn a no-op run into a change,
  // except when it is all the task asks for (like Ansible's `apt: update_cache=yes`).
  const maxAge = args.cacheValidTime;
  // No lists at all (a fresh image) is stale whatever the directory's age says.
  const stale =
    !afterUpdate && maxAge !== undefined && (!state.hasLists || state.listsAgeSeconds === null || state.listsAgeSeconds > maxAge);
  const wantsUpdate = !afterUpdate && (args.updateCache || maxAge !== undefined);

  const changes: Change[] = [];
  const notes: string[] = [];
  const packages: string[] = [];
  const unknown: string[] = [];
  const noCandidate: string[] = [];
  let allowDowngrades = false;

  for (const spec of specs) {
    const installed = state.dpkg.find((p) => p.name === spec.baseName && (!spec.arch || p.arch === spec.arch || p.arch === 'all'));
    const policy = state.policy.packages.get(spec.name) ?? state.policy.packages.get(spec.baseName);
    const current = installed?.installed ? installed.version : null;

    if (args.state === 'absent') {
      if (current !== null) {
        changes.push({ description: `${args.purge ? 'purge' : 'remove'} ${spec.name} ${current}` });
        packages.push(spec.name);
      } else if (args.purge && installed?.configFilesOnly) {
        changes.push({ description: `purge ${spec.name} (configuration files left by a removal)` });
        packages.push(spec.name);
      }
      continue;
    }

    if (spec.version !== undefined) {
      if (current !== null && versionMatches(spec.version, current)) continue;
      if (current !== null && installed?.held) {
        // apt-get refuses to change a held package (without --allow-change-held-packages).
        throw new TaskError(`${spec.name} is held at ${current} (apt-mark hold): unhold it to change it to '${spec.version}'`, context);
      }
      const match = policy?.versions.find((v) => versionMatches(spec.version!, v.version) && !v.origins.every((o) => o === '/var/lib/dpkg/status'));
      if (!policy) {
        unknown.push(spec.name);
        continue;
      }
      if (!match) {
        throw new TaskError(
          `no version of ${spec.name} matches '${spec.version}' (apt offers ${policy.versions.map((v) => v.version).join(', ') || 'none'})`,
          context,
        );
      }
      changes.push({ description: current === null ? `install ${spec.name} ${match.version}` : `change ${spec.name} ${current} → ${match.version}` });
      packages.push(`${spec.name}=${match.version}`);
      allowDowngrades = true;
      continue;
    }

    if (current !== null && args.state === 'present') continue;
    if (!policy) {
      if (current === null) unknown.push(spec.name);
      continue;
    }
    if (policy.candidate === null) {
      // Installed from somewhere apt no longer offers: nothing newer exists, so `latest` holds.
      if (current === null) noCandidate.push(spec.name);
      continue;
    }
    if (current === policy.candidate) continue;
    if (current !== null && installed?.held) {
      // A hold is the admin's word that this version stays: `latest` leaves it (an upgrade planned
      // on every run would only fail in apply, where apt-get refuses to change a held package).
      notes.push(`${spec.name} is held at ${current} (apt-mark hold): candidate ${policy.candidate} not installed`);
      continue;
    }
    changes.push({ description: current === null ? `install ${spec.name} ${policy.candidate}` : `upgrade ${spec.name} ${current} → ${policy.candidate}` });
    packages.push(spec.name);
  }

  // A cache update can make unknown names known (a repository added by an earlier task), so they
  // only fail the plan when no update would run first; apply checks again after updating.
  const onlyUpdate = specs.length === 0 && maxAge === undefined;
  const bareUpdate = wantsUpdate && maxAge === undefined;
  const updatePlanned = stale || (bareUpdate && (onlyUpdate || changes.length > 0 || unknown.length > 0 || noCandidate.length > 0));
  if (!updatePlanned && unknown.length > 0) {
    const hint = state.hasLists ? 'wrong name, or its repository is missing' : "apt has no package lists: set updateCache";
    throw new TaskError(`no package named ${unknown.map((n) => `'${n}'`).join(', ')} in apt's lists (${hint})`, context);
  }
  if (!updatePlanned && noCandidate.length > 0) {
    throw new TaskError(
      `${noCandidate.map((n) => `'${n}'`).join(', ')} has no installation candidate (a virtual package? name the package that provides it)`,
      context,
    );
  }
  for (const name of [...unknown, ...noCandidate]) {
    changes.push({ description: `install ${name} (after the cache update)` });
    packages.push(name);
  }
  // Lists older than cacheValidTime are not drift: when nothing else differs, a check run shows
  // their age as a note (a `plan` run from cron does not alert on it) and apply refreshes them
  // without counting a change, as Ansible's apt does with packages.
  const upkeep = stale && changes.length === 0;
  if (upkeep) {
    const age = !state.hasLists ? 'apt has no package lists yet' : `apt's lists are ${state.listsAgeSeconds === null ? 'of unknown age' : `${formatAge(state.listsAgeSeconds)} old`}`;
    notes.push(`${age}, older than cacheValidTime (${formatAge(maxAge!)}): apply refreshes them, not counted as a change`);
  } else if (updatePlanned) {
    const age = !state.hasLists ? ' (no lists yet)' : state.listsAgeSeconds === null ? '' : ` (lists are ${formatAge(state.listsAgeSeconds)} old)`;
    changes.unshift({ description: `update apt cache${age}` });
  }

  const action = packages.length === 0 ? null : args.state === 'absent' ? (args.purge ? 'purge' : 'remove') : 'install';
  return { changes, notes, upkeep, transaction: { updateCache: updatePlanned, action, packages, allowDowngrades } };
}
