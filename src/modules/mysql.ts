/**
 * MySQL: server settings (`config`), schemas (`database`), accounts (`user`) and replication on a
 * replica (`replication`); the live topology: re-run guard (`topology`), runtime read-only state
 * (`writable`), planned `switchover` and unplanned `failover`. Everything runs through the `mysql`
 * client as root over the local socket with the SQL on stdin; see mysql/client.ts.
 */
import { moduleFunction } from '../playbook/task.ts';
import { configModule } from './mysql/config.ts';
import { databaseModule } from './mysql/database.ts';
import { failoverModule } from './mysql/failover.ts';
import { replicationModule } from './mysql/replication.ts';
import { switchoverModule } from './mysql/switchover.ts';
import { topologyModule, writableModule } from './mysql/topology.ts';
import { userModule } from './mysql/user.ts';

export { configModule, databaseModule, failoverModule, replicationModule, switchoverModule, topologyModule, userModule, writableModule };
/** Semi-sync settings (`mysql.config({ settings: { ...semiSyncSettings('source') } })`; plugins and role side apart) and its live state. */
export { semiSyncSettings, semiSyncPluginSettings, semiSyncRoleSettings, semiSyncRoleSql, reconnectReplicaIo, readSemiSync, semiSyncFallbackNote, type SemiSyncRole, type SemiSyncState } from './mysql/semisync.ts';

/** `mysql.config({ settings: { 'server-id': 1, log_bin: true, gtid_mode: 'ON' } })`: output `{ restartRequired }`. */
export const config = moduleFunction(configModule);
/** `mysql.database({ name: 'app', charset: 'utf8mb4' })` */
export const database = moduleFunction(databaseModule);
/** `mysql.user({ name: 'app', host: '%', password, privileges: ['ALL PRIVILEGES ON app.*'] })` */
export const user = moduleFunction(userModule);
/** `mysql.replication({ sourceHost, user, password, seedFrom: 'web-01', databases: ['app'] })` */
export const replication = moduleFunction(replicationModule);
/** `mysql.topology({ primary: 'web-01', hosts: [{ name, address }] })`: fails when the live primary is another host. */
export const topology = moduleFunction(topologyModule);
/** `mysql.writable({ writable: true })`: the runtime read_only/super_read_only of a primary (true) or replica. */
export const writable = moduleFunction(writableModule);
/** On the candidate: `mysql.switchover({ from: 'web-01', fromAddress, address, user, password })`. */
export const switchover = moduleFunction(switchoverModule);
/** On the chosen replica, the primary being gone: `mysql.failover({ from: 'web-01', replicas })`. */
export const failover = moduleFunction(failoverModule);
