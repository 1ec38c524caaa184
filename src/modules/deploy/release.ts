import path from 'node:path';
import { z } from 'zod';
import { TaskError } from '../../errors.ts';
import { raw, sh } from '../../transport/quote.ts';
import type { Change, Module, Plan, TaskContext } from '../../task/types.ts';
import { excludedBy, readBundle, tarBundle, type Bundle } from './bundle.ts';
import { describeTreeDrift, MANIFEST, parseReleaseState, releaseStateCommand, TREE, treeListingCommand, type ReleaseState } from './state.ts';

const schema = z
  .object({
    /** Local directory with the application, relative to the playbook. */
    src: z.string().min(1),
    /** Remote base directory: releases/<id> and the `current` symlink live here. */
    dest: z.string().regex(/^\//, 'must be an absolute path'),
    owner: z.string().optional(),
    group: z.string().optional(),
    /** Releases to keep, the current one included. */
    keep: z.number().int().min(1).default(5),
    /** Shell command run inside a new release before it goes live (e.g. compile, install deps). */
    install: z.string().optional(),
    /** Paths or `*` globs left out of the release. */
    exclude: z.array(z.string()).default([]),
  })
  .strict();

type Args = z.output<typeof schema>;

interface DeployData {
  bundle: Bundle;
  state: ReleaseState;
  upload: boolean;
  switchCurrent: boolean;
  prune: string[];
}

async function plan(ctx: TaskContext, args: Args) {
  const bundle = await readBundle(path.resolve(ctx.baseDir, args.src), args.exclude);
  const probe = await ctx.exec(releaseStateCommand(args.dest, bundle.id));
  if (probe.exitCode !== 0) throw new TaskError(`cannot read ${args.dest}: ${probe.stderr.trim()}`);
  const state = parseReleaseState(probe.stdout);
  const changes: Change[] = [];
  let upload = false;
  if (!state.releaseExists) {
    changes.push({ description: `upload release ${bundle.id} (${bundle.files.length} files) to ${args.dest}/releases/${bundle.id}` });
    upload = true;
  } else {
    // Someone edited the live code by hand (content, added files, modes, owners): put the
    // declared release back whole, as rsync --delete would.
    const drift = [
      ...(state.modified.length > 0 ? [`modified on the host: ${state.modified.slice(0, 5).join(', ')}${state.modified.length > 5 ? ', …' : ''}`] : []),
      ...describeTreeDrift(state, excludedBy(args.exclude)),
      ...(state.untracked ? ['no record of its files (deployed by an older shipshape)'] : []),
    ];
    if (drift.length > 0) {
      changes.push({ description: `restore release ${bundle.id}: ${drift.slice(0, 5).join(', ')}${drift.length > 5 ? ', …' : ''}` });
      upload = true;
    }
  }
  const switchCurrent = state.current !== `releases/${bundle.id}`;
  if (switchCurrent) changes.push({ description: `switch ${args.dest}/current: ${state.current ?? '(none)'} → releases/${bundle.id}` });
  const keepOthers = args.keep - 1;
  const others = state.releases.filter((r) => r !== bundle.id);
  // Releases are listed oldest first (by mtime): drop the oldest beyond `keep`.
  const prune = others.slice(0, Math.max(0, others.length - keepOthers));
  if (prune.length > 0) changes.push({ description: `remove old releases: ${prune.join(', ')}` });
  return { changes, data: { bundle, state, upload, switchCurrent, prune } satisfies DeployData };
}

async function apply(ctx: TaskContext, args: Args, planned: Plan<DeployData>) {
  const { bundle, upload, switchCurrent, prune } = planned.data;
  const releases = `${args.dest}/releases`;
  const release = `${releases}/${bundle.id}`;
  const owner = args.owner ? `${args.owner}${args.group ? `:${args.group}` : ''}` : undefined;
  if (upload) {
    const tar = await tarBundle(bundle);
    const staging = `${release}.partial`;
    // Unpack beside the final place and rename: a release directory is either complete or absent.
    await ctx.run(sh`set -e; rm -rf ${staging}; mkdir -p ${staging}; tar -xf - -C ${staging} --no-same-owner`, { stdin: tar });
    // The manifest is written while the directory is still root's, and only then handed over: once
    // the owner has it, a link it plants at the manifest's name would be written through by root.
    await ctx.run(sh`cat > ${`${staging}/${MANIFEST}`}` + (owner ? sh` && chown -R ${owner} ${staging}` : ''), { stdin: bundle.manifest });
    if (args.install) {
      await ctx.run(
        owner && args.owner
          ? sh`cd ${staging} && sudo -n -u ${args.owner} -- bash -c ${args.install}`
          : sh`cd ${staging} && bash -c ${args.install}`,
      );
    }
    // The tree as deployed (after install): what plan compares the live release with.
    await ctx.run(sh`${raw(treeListingCommand(staging))} > ${`${staging}/${TREE}`}`);
    await ctx.run(sh`set -e; rm -rf ${`${release}.old`}; if [ -e ${release} ]; then mv ${release} ${`${release}.old`}; fi; mv ${staging} ${release}; rm -rf ${`${release}.old`}; touch ${release}`);
  }
  if (switchCurrent) {
    // ln + rename: `current` always points at a complete release, never at nothing.
    await ctx.run(sh`set -e; ln -sfn ${`releases/${bundle.id}`} ${`${args.dest}/.current.tmp`}; mv -T ${`${args.dest}/.current.tmp`} ${`${args.dest}/current`}`);
  }
  if (prune.length > 0) {
    await ctx.run(sh`cd ${releases} && rm -rf -- ${prune}`);
  }
  return { output: { release: bundle.id, path: release } };
}

export const deployReleaseModule: Module<Args, DeployData, z.input<typeof schema>> = {
  name: 'deploy.release',
  schema,
  describe: (args) => `deploy ${args.src} to ${args.dest}`,
  plan,
  apply,
};

/** Ships a local directory to `dest/releases/<content hash>` and switches `dest/current` to it. */
