import { TaskError } from '../../errors.ts';
import type { Change, Module, TaskContext } from '../../task/types.ts';
import { parseFiles, readFilesScript } from '../../facts/file-contents.ts';
import { writeRemoteAtomic } from '../../transport/remote-files.ts';
import { sh } from '../../transport/quote.ts';
import { explainAptFailure, updateCommand } from './apt-get.ts';
import { LISTS_LOCKS, LockBudget, waitForCloudInit, waitForLocks } from './locks.ts';
import { repositoryPaths, wantedFiles, type RepositoryPaths } from './repository-files.ts';
import { aptRepositorySchema, type AptRepositoryArgs, type AptRepositoryInput } from './repository-schema.ts';

type Key = keyof RepositoryPaths;
const KEYS: Key[] = ['list', 'sources', 'pin'];

interface RepositoryPlanData {
  before: Record<Key, string | null>;
  after: Record<Key, string | null>;
  changed: Key[];
}

async function setFiles(ctx: TaskContext, paths: RepositoryPaths, files: Record<Key, string | null>, keys: Key[]): Promise<void> {
  for (const key of keys) {
    const content = files[key];
    if (content === null) await ctx.run(sh`rm -f ${paths[key]}`);
    else await writeRemoteAtomic(ctx, paths[key], content, { owner: 'root', group: 'root', mode: '0644' });
  }
}

export const aptRepositoryModule: Module<AptRepositoryArgs, RepositoryPlanData, AptRepositoryInput> = {
  name: 'apt.repository',
  schema: aptRepositorySchema,
  describe: (args) => `apt repository ${args.name}${args.state === 'absent' ? ' absent' : ''}`,
  async plan(ctx, args) {
    const paths = repositoryPaths(args.name);
    const result = await ctx.run(['(', ...readFilesScript({ ...paths }), ')'].join('\n'));
    const before = parseFiles(result.stdout, KEYS) as Record<Key, string | null>;
    const after = wantedFiles(args);
    const changed = KEYS.filter((key) => before[key] !== after[key]);
    const changes: Change[] = changed.map((key) => {
      const path = paths[key];
      if (after[key] === null) return { description: `remove ${path}`, diff: { path, before: before[key] ?? '', after: '' } };
      return { description: `${before[key] === null ? 'create' : 'update'} ${path}`, diff: { path, before: before[key] ?? '', after: after[key]! } };
    });
    if (changes.length > 0 && args.updateCache) changes.push({ description: 'update apt cache' });
    return { changes, data: { before, after, changed } };
  },
  async apply(ctx, args, { data }) {
    const { before, after, changed } = data;
    const paths = repositoryPaths(args.name);
    if (args.updateCache) {
      // Before any file changes: a wait that gives up leaves the host as it was.
      const budget = new LockBudget(args.lockTimeout);
      if (args.waitForCloudInit) await waitForCloudInit(ctx, budget);
      await waitForLocks(ctx, LISTS_LOCKS, budget);
    }
    await setFiles(ctx, paths, after, changed);
    if (!args.updateCache) return { output: { cacheUpdated: false } };
    const update = await ctx.exec(updateCommand());
    if (update.exitCode !== 0) {
      // Like Ansible's apt_repository: a source apt cannot fetch would break every later apt
      // task on this host, so the old files go back before reporting the failure.
      await setFiles(ctx, paths, before, changed);
      const context = { host: ctx.host.name, task: ctx.task };
      const explained = explainAptFailure(update, args.lockTimeout, context);
      if (explained) throw explained;
      const detail = (update.stderr.trim() || update.stdout.trim()).split('\n').slice(-10).join('\n');
      throw new TaskError(`apt-get update failed with the new source, so it was reverted:\n${detail}`, context);
    }
    return { output: { cacheUpdated: true } };
  },
};
