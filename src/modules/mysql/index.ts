/**
 * MySQL: server settings (`config`), schemas (`database`), accounts (`user`) and replication on a
 * replica (`replication`). Everything runs through the `mysql` client as root over the local
 * socket with the SQL on stdin; see mysql/client.ts.
 */
import { moduleFunction } from '../../task/task.ts';
import { configModule } from './config.ts';
import { databaseModule } from './database.ts';
import { replicationModule } from './replication.ts';
import { userModule } from './user.ts';

export { configModule, databaseModule, replicationModule, userModule };

/** `mysql.config({ settings: { 'server-id': 1, log_bin: true, gtid_mode: 'ON' } })`: output `{ restartRequired }`. */
export const config = moduleFunction(configModule);
/** `mysql.database({ name: 'app', charset: 'utf8mb4' })` */
export const database = moduleFunction(databaseModule);
/** `mysql.user({ name: 'app', host: '%', password, privileges: ['ALL PRIVILEGES ON app.*'] })` */
export const user = moduleFunction(userModule);
/** `mysql.replication({ sourceHost, user, password, seedFrom: 'web-01', databases: ['app'] })` */
export const replication = moduleFunction(replicationModule);
