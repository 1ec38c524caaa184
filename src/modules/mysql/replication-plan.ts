/**
 * Pure planner of `mysql.replication`: from the replica's status (already mapped by the dialect)
 * and the wanted source, the steps to take. Broken replication with the wanted settings is an
 * error to report, never something to paper over with a restart; broken replication with
 * different settings is what reconfiguring fixes (e.g. a corrected password).
 */
import type { ReplicaStatus } from './dialect.ts';
import { countGtids, formatGtidSet, gtidsIntersect, parseGtidSet, subtractGtids } from './gtid.ts';
import { accountLabel } from './sql.ts';

/** The GTID histories of an unconfigured replica and of the host it would be seeded from. */
export interface Histories {
  own: string;
  source: string;
}

export interface WantedSource {
  sourceHost: string;
  sourcePort: number;
  user: string;
  autoPosition: boolean;
  getSourcePublicKey: boolean;
  ssl?: boolean;
  /** The CA file on the replica that the source's certificate must chain to. */
  sslCa?: string;
  /** Inventory name of the host whose MySQL CA goes into sslCa. */
  sslCaFrom?: string;
  /**
   * Whether the replica's sslCa file already holds the source's CA (false: it is written first, and
   * a running replica is reconfigured: the IO thread reads the file only when it connects).
   */
  sslCaCurrent?: boolean;
  seedFrom?: string;
  databases?: string[];
  users?: { name: string; host: string }[];
}

export type ReplicationStep =
  | { kind: 'seed'; from: string; databases: string[]; users: { name: string; host: string }[] }
  | { kind: 'trust' }
  | { kind: 'configure'; reconfigure: boolean }
  | { kind: 'start' };

export type ReplicationPlan =
  | { ok: true; steps: ReplicationStep[]; lines: string[] }
  | { ok: false; error: string };

/**
 * `passwordMatches`: whether the stored source password equals the wanted one (undefined when the
 * server cannot tell us, e.g. MariaDB keeps it in master.info).
 */
export function planReplication(status: ReplicaStatus | undefined, want: WantedSource, passwordMatches: boolean | undefined, histories?: Histories): ReplicationPlan {
  const source = `${want.sourceHost}:${want.sourcePort}`;
  const configureLine = (what: string) => `${what} source ${source} as ${want.user}`;
  if (!status || status.host === '') {
    const steps: ReplicationStep[] = [];
    const lines: string[] = [];
    // A former primary rejoining (after a failover): when every transaction it has is on the new
    // primary, auto-positioning alone brings it up to date; when it diverged, its own transactions
    // (those that never reached the new primary) are discarded by a re-seed, and the plan says so.
    const own = histories ? parseGtidSet(histories.own) : undefined;
    const theirs = histories ? parseGtidSet(histories.source) : undefined;
    const extra = own && theirs ? subtractGtids(own, theirs) : undefined;
    if (want.seedFrom && own && theirs && extra && own.size > 0 && extra.size === 0) {
      steps.push({ kind: 'configure', reconfigure: false }, { kind: 'start' });
      lines.push(`rejoin: every transaction of this host is on ${want.seedFrom}, no re-seed`, configureLine('configure'), 'start replica');
      return { ok: true, steps, lines };
    }
    if (want.seedFrom && own && theirs && extra && extra.size > 0 && gtidsIntersect(own, theirs)) {
      lines.push(`re-seed: this host diverged from ${want.seedFrom}; its ${countGtids(extra)} transaction(s) not on ${want.seedFrom} are discarded: ${formatGtidSet(extra)}`);
    }
    if (want.seedFrom) {
      const databases = want.databases ?? [];
      const users = want.users ?? [];
      steps.push({ kind: 'seed', from: want.seedFrom, databases, users });
      const userList = users.length ? `; users ${users.map((u) => accountLabel(u.name, u.host)).join(', ')}` : '';
      lines.push(`seed from ${want.seedFrom} (${databases.join(', ')}${userList})`);
    }
    steps.push({ kind: 'configure', reconfigure: false }, { kind: 'start' });
    lines.push(configureLine('configure'), 'start replica');
    return { ok: true, steps, lines };
  }
  const differences: string[] = [];
  if (status.host !== want.sourceHost || status.port !== want.sourcePort) differences.push(`source was ${status.host}:${status.port}`);
  if (status.user !== want.user) differences.push(`user was ${status.user}`);
  if (passwordMatches === false) differences.push('password differs');
  if (status.autoPosition !== undefined && status.autoPosition !== want.autoPosition) differences.push(`auto-position was ${status.autoPosition ? 'on' : 'off'}`);
  if (status.getSourcePublicKey !== undefined && status.getSourcePublicKey !== want.getSourcePublicKey) {
    differences.push(`get-source-public-key was ${status.getSourcePublicKey ? 'on' : 'off'}`);
  }
  if (want.ssl !== undefined && status.sslAllowed !== undefined && status.sslAllowed !== want.ssl) differences.push(`ssl was ${status.sslAllowed ? 'on' : 'off'}`);
  if (want.sslCa !== undefined && status.sslCaFile !== undefined && status.sslCaFile !== want.sslCa) {
    differences.push(status.sslCaFile ? `CA file was ${status.sslCaFile}` : 'the source was not verified against a CA');
  }
  if (want.sslCa !== undefined && want.sslCaCurrent === false && !differences.length) differences.push('source CA changed');
  if (differences.length) {
    return {
      ok: true,
      steps: [{ kind: 'configure', reconfigure: true }, { kind: 'start' }],
      lines: [`${configureLine('reconfigure')} (${differences.join(', ')})`, 'start replica'],
    };
  }
  const errors = [
    status.lastIoError && `IO thread: ${status.lastIoError}`,
    status.lastSqlError && `SQL thread: ${status.lastSqlError}`,
  ].filter(Boolean);
  if (errors.length) return { ok: false, error: `replication from ${source} is broken: ${errors.join('; ')}` };
  // "Connecting" without an error is a thread on its way up: nothing to do.
  const stopped = [status.ioRunning === 'No' && 'IO', status.sqlRunning === 'No' && 'SQL'].filter(Boolean);
  if (stopped.length) return { ok: true, steps: [{ kind: 'start' }], lines: [`start replica threads (${stopped.join(' and ')} stopped)`] };
  return { ok: true, steps: [], lines: [] };
}

/**
 * TLS words for a plan: configuring says "over TLS", and a CA the replica does not hold yet is
 * written before the (re)configuration that names it.
 */
export function withTls(plan: ReplicationPlan, want: WantedSource): ReplicationPlan {
  if (!plan.ok || !want.ssl) return plan;
  const lines = plan.lines.map((line) => line.replace(/^((?:re)?configure source \S+ as \S+)/, '$1 over TLS'));
  if (want.sslCa === undefined || want.sslCaCurrent !== false || !plan.steps.some((step) => step.kind === 'configure')) return { ...plan, lines };
  return {
    ok: true,
    steps: [{ kind: 'trust' }, ...plan.steps],
    lines: [`trust ${want.sslCaFrom ?? 'the source'}'s MySQL CA for replication (${want.sslCa})`, ...lines],
  };
}
