/**
 * MySQL: server settings (`config`), schemas (`database`), accounts (`user`) and replication on a
 * replica (`replication`). Everything runs through the `mysql` client as root over the local
 * socket with the SQL on stdin; see mysql/client.ts.
 */
import { moduleFunction } from '../../task/task.ts';
import { mysqlConfigModule } from './config.ts';
import { mysqlDatabaseModule } from './database.ts';
import { mysqlReplicationModule } from './replication.ts';
import { mysqlUserModule } from './user.ts';

export { mysqlConfigModule, mysqlDatabaseModule, mysqlReplicationModule, mysqlUserModule };
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
