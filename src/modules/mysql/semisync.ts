/**
 * Semi-synchronous replication (MySQL 8.0.26+ names): the settings per role, the reading of its
 * live state, and the words for a source that has fallen back to asynchronous replication.
 *
 * Both plugins are loaded on every node from the config (`plugin-load-add`): INSTALL PLUGIN is
 * refused under super_read_only, and a node must be able to take either role after a switchover
 * without a restart. Which side is enabled follows the role; a role swap only flips two dynamic
 * variables (semiSyncSettings for the new role through mysql.config, which SETs them live and
 * reconnects a running replica's IO thread so it starts acknowledging).
 */
import type { MysqlClient } from './client.ts';
import type { Settings } from './settings.ts';

export type SemiSyncRole = 'source' | 'replica';

export const SEMISYNC_PLUGINS = 'semisync_source.so;semisync_replica.so';

/** Default wait for a replica's acknowledgement before the source commits without it (ms, MySQL's default). */
export const DEFAULT_SEMISYNC_TIMEOUT_MS = 10_000;

/** The plugins, for every node whatever its role (a change here needs a restart). */
export function semiSyncPluginSettings(): Settings {
  return { 'plugin-load-add': SEMISYNC_PLUGINS };
}

/**
 * The side of `role`, all dynamic (a role swap SETs them live, no restart). The timeout is set on
 * every node, so a promoted replica waits as long as its old primary did.
 */
export function semiSyncRoleSettings(role: SemiSyncRole, timeoutMs = DEFAULT_SEMISYNC_TIMEOUT_MS): Settings {
  return {
    rpl_semi_sync_source_enabled: role === 'source' ? 'ON' : 'OFF',
    rpl_semi_sync_source_timeout: timeoutMs,
    rpl_semi_sync_replica_enabled: role === 'replica' ? 'ON' : 'OFF',
  };
}

/** Both in one settings map (one mysql.config file). */
export function semiSyncSettings(role: SemiSyncRole, timeoutMs = DEFAULT_SEMISYNC_TIMEOUT_MS): Settings {
  return { ...semiSyncPluginSettings(), ...semiSyncRoleSettings(role, timeoutMs) };
}

/** Whether a settings map manages semi-sync (then mysql.config reads its live state). */
export function managesSemiSync(settings: Settings): boolean {
  return Object.keys(settings).some((option) => option.replace(/-/g, '_').toLowerCase().startsWith('rpl_semi_sync_'));
}

/** The live state, from SHOW GLOBAL STATUS and VARIABLES (undefined: the plugins are not loaded). */
export interface SemiSyncState {
  sourceEnabled: boolean;
  /** ON while the source waits for acknowledgements; OFF after a timeout fell back to async. */
  sourceActive: boolean;
  /** Replicas connected with semi-sync. */
  clients: number;
  /** Commits acknowledged by a replica, and commits that went without one. */
  acknowledged: number;
  unacknowledged: number;
  replicaEnabled: boolean;
  replicaActive: boolean;
  timeoutMs: number;
}

export const SEMISYNC_STATE_SQL =
  "SELECT LOWER(VARIABLE_NAME) AS name, VARIABLE_VALUE AS value FROM performance_schema.global_status WHERE LOWER(VARIABLE_NAME) IN ('rpl_semi_sync_source_status', 'rpl_semi_sync_source_clients', 'rpl_semi_sync_source_yes_tx', 'rpl_semi_sync_source_no_tx', 'rpl_semi_sync_replica_status')" +
  " UNION ALL SELECT LOWER(VARIABLE_NAME), VARIABLE_VALUE FROM performance_schema.global_variables WHERE LOWER(VARIABLE_NAME) IN ('rpl_semi_sync_source_enabled', 'rpl_semi_sync_replica_enabled', 'rpl_semi_sync_source_timeout');";

/** Maps the rows of SEMISYNC_STATE_SQL (name, value). */
export function parseSemiSyncState(rows: { name: string; value: string }[]): SemiSyncState | undefined {
  const v = new Map(rows.map((row) => [row.name, row.value]));
  if (!v.has('rpl_semi_sync_source_enabled') && !v.has('rpl_semi_sync_replica_enabled')) return undefined;
  const on = (name: string) => v.get(name) === 'ON';
  const num = (name: string) => Number(v.get(name) ?? 0);
  return {
    sourceEnabled: on('rpl_semi_sync_source_enabled'),
    sourceActive: on('rpl_semi_sync_source_status'),
    clients: num('rpl_semi_sync_source_clients'),
    acknowledged: num('rpl_semi_sync_source_yes_tx'),
    unacknowledged: num('rpl_semi_sync_source_no_tx'),
    replicaEnabled: on('rpl_semi_sync_replica_enabled'),
    replicaActive: on('rpl_semi_sync_replica_status'),
    timeoutMs: num('rpl_semi_sync_source_timeout'),
  };
}

export async function readSemiSync(client: MysqlClient): Promise<SemiSyncState | undefined> {
  return parseSemiSyncState((await client.query(SEMISYNC_STATE_SQL)) as { name: string; value: string }[]);
}

/**
 * The plan note for a source running asynchronously although semi-sync is enabled: a write it
 * acknowledges now exists on this host alone until a replica catches up.
 */
export function semiSyncFallbackNote(state: SemiSyncState | undefined): string | undefined {
  if (!state || !state.sourceEnabled || state.sourceActive) return undefined;
  return (
    `semi-sync fell back to async: rpl_semi_sync_source_enabled is ON but Rpl_semi_sync_source_status is OFF ` +
    `(${state.clients} semi-sync replica(s) connected, ${state.unacknowledged} commit(s) without a replica's acknowledgement, timeout ${state.timeoutMs} ms): ` +
    'a write acknowledged now may be lost if this host dies before a replica catches up'
  );
}

/** Restarts a running replica's IO thread, so a semi-sync setting changed live takes effect; false when none runs. */
export async function reconnectReplicaIo(client: MysqlClient): Promise<boolean> {
  const [row] = await client.query("SELECT SERVICE_STATE AS state FROM performance_schema.replication_connection_status WHERE CHANNEL_NAME = '';");
  if (row?.state !== 'ON' && row?.state !== 'CONNECTING') return false;
  await client.execute('STOP REPLICA IO_THREAD;\nSTART REPLICA IO_THREAD;');
  return true;
}

/**
 * The statements that put a running node on `role`'s side (for a switchover or failover module):
 * the new primary waits for acknowledgements, a new replica gives them from its next connection
 * (follow with reconnectReplicaIo, or run them before START REPLICA). Only where the plugins are
 * loaded: the variables exist only then.
 */
export function semiSyncRoleSql(role: SemiSyncRole): string {
  const settings = semiSyncRoleSettings(role);
  return ['rpl_semi_sync_source_enabled', 'rpl_semi_sync_replica_enabled'].map((name) => `SET GLOBAL ${name} = ${settings[name]};`).join('\n');
}
