/**
 * MySQL: server settings (`config`), schemas (`database`), accounts (`user`) and replication on a
 * replica (`replication`); the live topology: re-run guard (`topology`), runtime read-only state
 * (`writable`), planned `switchover` and unplanned `failover`. Everything runs through the `mysql`
 * client as root over the local socket with the SQL on stdin; see mysql/client.ts.
 */
import { moduleFunction } from '../../task/task.ts';
import { mysqlConfigModule } from './config.ts';
import { mysqlDatabaseModule } from './database.ts';
import { mysqlFailoverModule } from './failover.ts';
import { mysqlReplicationModule } from './replication.ts';
import { mysqlSwitchoverModule } from './switchover.ts';
import { mysqlTopologyModule, mysqlWritableModule } from './topology.ts';
import { mysqlUserModule } from './user.ts';

export {
  mysqlConfigModule,
  mysqlDatabaseModule,
  mysqlFailoverModule,
  mysqlReplicationModule,
  mysqlSwitchoverModule,
  mysqlTopologyModule,
  mysqlUserModule,
  mysqlWritableModule,
};
/** Semi-sync settings (`mysql.config({ settings: { ...semiSyncSettings('source') } })`; plugins and role side apart) and its live state. */
export { semiSyncSettings, semiSyncPluginSettings, semiSyncRoleSettings, semiSyncRoleSql, reconnectReplicaIo, readSemiSync, semiSyncFallbackNote, type SemiSyncRole, type SemiSyncState } from './semisync.ts';
/** The names before modules were named `<area><Op>Module`. */
export {
  mysqlConfigModule as configModule,
  mysqlDatabaseModule as databaseModule,
  mysqlReplicationModule as replicationModule,
  mysqlUserModule as userModule,
};

/** `mysql.config({ settings: { 'server-id': 1, log_bin: true, gtid_mode: 'ON' } })`: output `{ restartRequired }`. */
export const config = moduleFunction(mysqlConfigModule);
/** `mysql.database({ name: 'app', charset: 'utf8mb4' })` */
export const database = moduleFunction(mysqlDatabaseModule);
/** `mysql.user({ name: 'app', host: '%', password, privileges: ['ALL PRIVILEGES ON app.*'] })` */
export const user = moduleFunction(mysqlUserModule);
/** `mysql.replication({ sourceHost, user, password, seedFrom: 'web-01', databases: ['app'] })` */
export const replication = moduleFunction(mysqlReplicationModule);
/** `mysql.topology({ primary: 'web-01', hosts: [{ name, address }] })`: fails when the live primary is another host. */
export const topology = moduleFunction(mysqlTopologyModule);
/** `mysql.writable({ writable: true })`: the runtime read_only/super_read_only of a primary (true) or replica. */
export const writable = moduleFunction(mysqlWritableModule);
/** On the candidate: `mysql.switchover({ from: 'web-01', fromAddress, address, user, password })`. */
export const switchover = moduleFunction(mysqlSwitchoverModule);
/** On the chosen replica, the primary being gone: `mysql.failover({ from: 'web-01', replicas })`. */
export const failover = moduleFunction(mysqlFailoverModule);
