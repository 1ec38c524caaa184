/**
 * The source's MySQL CA, pinned on a replica: read from the source host over SSH (so it comes from
 * the host SSH authenticated) and written world-readable on the replica (mysqld reads it as the
 * mysql user; a CA certificate is public), where CHANGE REPLICATION SOURCE names it as
 * SOURCE_SSL_CA. Shared by mysql.replication and any module that repoints a replica.
 */
import { TaskError } from '../../errors.ts';
import { readRemote, writeRemoteAtomic, type Executor } from '../../transport/remote-files.ts';
import type { TaskContext } from '../../task/types.ts';

/** MySQL's own CA, made at its first start in Debian's datadir. */
export const DEFAULT_SOURCE_CA_PATH = '/var/lib/mysql/ca.pem';
/** Where a replica keeps its source's CA. */
export const DEFAULT_REPLICA_CA_PATH = '/etc/mysql/shipshape-source-ca.pem';

/** The CA of `source` (an inventory name) and whether the replica's file at `replicaPath` equals it. */
export async function readSourceCa(ctx: TaskContext, source: string, sourcePath = DEFAULT_SOURCE_CA_PATH, replicaPath = DEFAULT_REPLICA_CA_PATH): Promise<{ ca: Buffer; current: boolean }> {
  const [theirs, ours] = await Promise.all([readRemote(ctx.peer(source), sourcePath, true), readRemote(ctx, replicaPath, true)]);
  if (!theirs.content || !theirs.content.includes('-----BEGIN CERTIFICATE-----')) {
    throw new TaskError(`no CA certificate at ${sourcePath} on ${source} (MySQL makes one at its first start; is it running?)`, { host: ctx.host.name, task: ctx.task });
  }
  return { ca: theirs.content, current: ours.content !== null && ours.content.equals(theirs.content) };
}

export async function writeSourceCa(replica: Executor, ca: Buffer, replicaPath = DEFAULT_REPLICA_CA_PATH): Promise<void> {
  await writeRemoteAtomic(replica, replicaPath, ca, { owner: 'root', group: 'root', mode: '0644', become: true });
}

/**
 * For a module that repoints a replica other than its own host (a switchover makes the old primary
 * replicate from the task's host): the source's CA written on the replica when it differs there.
 * True when it was written.
 */
export async function pinSourceCa(source: Executor, replica: Executor, sourcePath = DEFAULT_SOURCE_CA_PATH, replicaPath = DEFAULT_REPLICA_CA_PATH): Promise<boolean> {
  const [theirs, ours] = await Promise.all([readRemote(source, sourcePath, true), readRemote(replica, replicaPath, true)]);
  if (!theirs.content || !theirs.content.includes('-----BEGIN CERTIFICATE-----')) {
    const name = typeof source.host === 'string' ? source.host : source.host?.name;
    throw new TaskError(`no CA certificate at ${sourcePath} on ${name ?? 'the source'} (MySQL makes one at its first start; is it running?)`, name ? { host: name } : {});
  }
  if (ours.content !== null && ours.content.equals(theirs.content)) return false;
  await writeSourceCa(replica, theirs.content, replicaPath);
  return true;
}
