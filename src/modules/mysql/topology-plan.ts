/**
 * Pure decisions about the live MySQL topology: which host is really the primary, whether the
 * inventory's `mysqlPrimary` contradicts it (the re-run guard), and the steps of a switchover or a
 * failover from the states of the hosts involved. The modules (topology.ts, switchover.ts,
 * failover.ts) only read those states and carry the steps out.
 */
import { countGtids, formatGtidSet, gtidSubset, parseGtidSet, subtractGtids } from './gtid.ts';

/** What one db host says about itself, read live. */
export interface LiveDbState {
  name: string;
  readOnly: boolean;
  superReadOnly: boolean;
  serverUuid: string;
  gtidExecuted: string;
  /** The configured replication source's host ('' when the host replicates from no one). */
  sourceHost: string;
  ioRunning: string;
  sqlRunning: string;
  /** Transactions received from the source (applied or still in the relay log). */
  retrievedGtids: string;
}

export const isWritable = (s: LiveDbState) => !s.readOnly && !s.superReadOnly;

/**
 * A host that takes writes of its own: writable and replicating from no one. A freshly installed
 * server is writable too, so a host counts as a live primary only when it also holds transactions
 * of another server (it was seeded from or replicated a primary): a promoted replica.
 */
function isPromotedReplica(s: LiveDbState): boolean {
  if (!isWritable(s) || s.sourceHost !== '') return false;
  return [...parseGtidSet(s.gtidExecuted).keys()].some((uuid) => uuid !== s.serverUuid.toLowerCase());
}

const fixHint = (live: string) =>
  `set mysqlPrimary=${live} in the inventory (the playbook never demotes a live primary), or switch back first: shipshape apply playbooks/db-switchover.ts -e newPrimary=<host>; nothing was changed`;

/**
 * The re-run guard: undefined when the live topology agrees with `mysqlPrimary`, else the error.
 * `states` holds the db hosts that answered (a host down or not yet installed says nothing);
 * `nameOf` maps a replication source address back to its inventory name.
 */
export function checkTopology(inventoryPrimary: string, states: LiveDbState[], nameOf: (address: string) => string | undefined): string | undefined {
  const primary = states.find((s) => s.name === inventoryPrimary);
  if (primary && primary.sourceHost !== '') {
    const source = nameOf(primary.sourceHost) ?? primary.sourceHost;
    return `mysqlPrimary is ${inventoryPrimary}, but ${inventoryPrimary} is a replica of ${source} (live): a switchover or failover made ${source} the primary. ${fixHint(source)}`;
  }
  for (const s of states) {
    if (s.name === inventoryPrimary || !isPromotedReplica(s)) continue;
    return `mysqlPrimary is ${inventoryPrimary}, but ${s.name} is the live primary (writable, replicates from no one, holds transactions of another server: it was promoted). ${fixHint(s.name)}`;
  }
  return undefined;
}

/** SET GLOBAL statements (and plan lines) that make a host's runtime writable or read-only. */
export function planWritable(writable: boolean, live: Pick<LiveDbState, 'readOnly' | 'superReadOnly'>): { lines: string[]; sql: string[] } {
  const lines: string[] = [];
  const sql: string[] = [];
  const word = (on: boolean) => (on ? 'ON' : 'OFF');
  // super_read_only drags read_only along: lift it first, set it last.
  if (writable) {
    if (live.superReadOnly) (lines.push(`set global super_read_only = OFF (running: ON)`), sql.push('SET GLOBAL super_read_only = OFF;'));
    if (live.readOnly) (lines.push(`set global read_only = OFF (running: ON)`), sql.push('SET GLOBAL read_only = OFF;'));
  } else {
    if (!live.readOnly) (lines.push(`set global read_only = ON (running: ${word(live.readOnly)})`), sql.push('SET GLOBAL read_only = ON;'));
    if (!live.superReadOnly) (lines.push(`set global super_read_only = ON (running: OFF)`), sql.push('SET GLOBAL super_read_only = ON;'));
  }
  return { lines, sql };
}

/** The transactions of `candidate` that `primary` lacks, in MySQL's spelling ('' when none). */
export function errantGtids(candidate: string, primary: string): string {
  return formatGtidSet(subtractGtids(parseGtidSet(candidate), parseGtidSet(primary)));
}

export type SwitchoverStep = 'fence' | 'wait' | 'errant-check' | 'promote' | 'repoint';

export type TopologyPlan<Step> = { ok: true; steps: Step[]; lines: string[] } | { ok: false; error: string };

/**
 * A planned switchover from `old` to `candidate`. Each step is planned only while the live state
 * still needs it, so a run interrupted half-way resumes, and a finished one plans nothing.
 */
export function planSwitchover(old: LiveDbState, candidate: LiveDbState, candidateAddress: string, oldAddress: string, waitSeconds: number): TopologyPlan<SwitchoverStep> {
  const promoted = candidate.sourceHost === '' && isWritable(candidate);
  const repointed = old.sourceHost === candidateAddress;
  if (promoted && repointed && !isWritable(old)) return { ok: true, steps: [], lines: [] };
  if (!promoted && candidate.sourceHost !== oldAddress) {
    return { ok: false, error: `${candidate.name} is not a replica of ${old.name} (its source is ${candidate.sourceHost || 'none'}): nothing to switch over from` };
  }
  if (promoted && isWritable(old) && old.sourceHost === '') {
    return { ok: false, error: `both ${old.name} and ${candidate.name} are writable primaries: resolve by hand before switching (compare their GTID sets)` };
  }
  const steps: SwitchoverStep[] = [];
  const lines: string[] = [];
  if (!promoted) {
    const errant = errantGtids(candidate.gtidExecuted, old.gtidExecuted);
    if (errant) {
      return { ok: false, error: `${candidate.name} has errant transactions that ${old.name} does not have: ${errant}; promoting it would lose or duplicate them (remove them, or re-seed ${candidate.name}); nothing was changed` };
    }
    if (isWritable(old)) (steps.push('fence'), lines.push(`fence ${old.name}: super_read_only = ON (no new writes)`));
    steps.push('wait', 'errant-check', 'promote');
    lines.push(
      `wait until ${candidate.name} has executed ${old.name}'s GTID set (at most ${waitSeconds} s)`,
      `check ${candidate.name} has no transactions ${old.name} lacks`,
      `promote ${candidate.name}: STOP REPLICA; RESET REPLICA ALL; super_read_only = OFF, read_only = OFF`,
    );
  }
  if (!repointed) (steps.push('repoint'), lines.push(`make ${old.name} a replica of ${candidate.name} (CHANGE REPLICATION SOURCE TO ${candidateAddress}, SOURCE_AUTO_POSITION=1; START REPLICA)`));
  return { ok: true, steps, lines };
}

export type FailoverStep = 'drain-relay-log' | 'promote';

/**
 * An unplanned failover to `candidate` while the primary is unreachable (`primary` undefined) or
 * still answering. `replicas`: the other replicas that answered. Refuses a candidate that is not the
 * most advanced, or that holds transactions the (reachable) primary lacks.
 */
export function planFailover(candidate: LiveDbState, replicas: LiveDbState[], primary: LiveDbState | undefined, primaryName: string): TopologyPlan<FailoverStep> & { notes?: string[] } {
  if (candidate.sourceHost === '' && isWritable(candidate)) return { ok: true, steps: [], lines: [] };
  if (primary && isWritable(primary) && primary.sourceHost === '') {
    return { ok: false, error: `${primaryName} answers and is writable: this is no failover; use playbooks/db-switchover.ts (no transaction lost)` };
  }
  const mine = parseGtidSet(`${candidate.gtidExecuted},${candidate.retrievedGtids}`);
  for (const r of replicas) {
    const theirs = parseGtidSet(`${r.gtidExecuted},${r.retrievedGtids}`);
    if (!gtidSubset(theirs, mine)) {
      const ahead = formatGtidSet(subtractGtids(theirs, mine));
      return { ok: false, error: `${r.name} is more advanced than ${candidate.name} (it has ${ahead}): promote ${r.name} instead (-e newPrimary=${r.name})` };
    }
  }
  const notes: string[] = [];
  if (primary) {
    const errant = errantGtids(candidate.gtidExecuted, primary.gtidExecuted);
    if (errant) return { ok: false, error: `${candidate.name} has errant transactions that ${primaryName} does not have: ${errant}; nothing was changed` };
  } else {
    notes.push(`${primaryName} is unreachable: its last transactions that never reached ${candidate.name} are lost (async replication); a later site run re-seeds it if it diverged`);
  }
  const pending = subtractGtids(parseGtidSet(candidate.retrievedGtids), parseGtidSet(candidate.gtidExecuted));
  const steps: FailoverStep[] = [];
  const lines: string[] = [];
  steps.push('drain-relay-log', 'promote');
  lines.push(
    `apply the relay log (${countGtids(pending)} received transactions not yet executed)`,
    `promote ${candidate.name}: STOP REPLICA; RESET REPLICA ALL; super_read_only = OFF, read_only = OFF`,
  );
  return { ok: true, steps, lines, notes };
}
