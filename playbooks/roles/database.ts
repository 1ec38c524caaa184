import { apt, mysql, service, type HostView, type TaskList } from 'shipshape';
import { mysqlSemiSyncConfig } from './semisync.ts';
import { addressOf, groupMembers, siteVars } from './site-vars.ts';

export const MYSQL_CONF = '/etc/mysql/mysql.conf.d/zz-shipshape.cnf';

function isPrimary(host: HostView): boolean {
  return host.name === siteVars(host).mysqlPrimary;
}

/** server-id must be unique in the replication topology: the host's position in the `db` group. */
function serverId(host: HostView): number {
  return groupMembers(host, 'db').indexOf(host.name) + 1;
}

/** Every db host: MySQL installed (optionally from an extra release), GTID replication settings. */
export function mysqlServerRole(host: HostView): TaskList {
  const vars = siteVars(host);
  const replica = !isPrimary(host);
  return [
    vars.mysqlAptRepository
      ? apt.repository(
        { name: 'shipshape-mysql', source: vars.mysqlAptRepository, pin: vars.mysqlAptRelease ? { release: vars.mysqlAptRelease, priority: 100 } : undefined },
          { name: 'MySQL apt source (pinned low)', tags: ['mysql', 'packages'] },
        )
      : null,
    apt.packages(
      { names: ['mysql-server', 'mysql-client'], defaultRelease: vars.mysqlAptRelease, updateCache: true, cacheValidTime: 3600 },
      { name: 'MySQL server', tags: ['mysql', 'packages'] },
    ),
    mysql.config(
      {
        path: MYSQL_CONF,
        settings: {
          'server-id': serverId(host),
          'bind-address': '0.0.0.0',
          log_bin: 'mysql-bin',
          binlog_format: 'ROW',
          gtid_mode: 'ON',
          enforce_gtid_consistency: 'ON',
          skip_name_resolve: 'ON',
          read_only: replica ? 'ON' : 'OFF',
          super_read_only: replica ? 'ON' : 'OFF',
        },
      },
      { name: 'MySQL replication settings', notify: 'restart mysql', tags: ['mysql'] },
    ),
    ...mysqlSemiSyncConfig(host, replica ? 'replica' : 'source'),
    service({ name: 'mysql', state: 'started', enabled: true }, { name: 'MySQL running', tags: ['mysql'] }),
  ];
}

/** The primary: the application's database and users, once mysqld runs with its settings (site.ts flushes handlers first); before the replicas are seeded. */
export function mysqlPrimaryRole(host: HostView): TaskList {
  if (!isPrimary(host)) return [];
  const vars = siteVars(host);
  return [
    mysql.database({ name: vars.appDatabase }, { name: 'application database', tags: ['mysql'] }),
    mysql.user(
      { name: vars.appDbUser, host: '%', password: vars.mysqlAppPassword, privileges: [`ALL PRIVILEGES ON \`${vars.appDatabase}\`.*`] },
      { name: 'application user', tags: ['mysql'] },
    ),
    mysql.user(
      { name: vars.mysqlReplicationUser, host: '%', password: vars.mysqlReplicationPassword, privileges: ['REPLICATION SLAVE ON *.*'], requireSsl: true },
      { name: 'replication user', tags: ['mysql'] },
    ),
  ];
}

/** The other db hosts: seeded from the primary once, then replicating with GTID auto-positioning. */
export function mysqlReplicaRole(host: HostView): TaskList {
  if (isPrimary(host)) return [];
  const vars = siteVars(host);
  return [
    mysql.replication(
      {
        sourceHost: addressOf(host, vars.mysqlPrimary),
        sourcePort: 3306,
        user: vars.mysqlReplicationUser,
        password: vars.mysqlReplicationPassword,
        autoPosition: true,
        getSourcePublicKey: true,
        // TLS, and the source's certificate must chain to its own MySQL CA (read over SSH).
        ssl: true,
        sslCaFrom: vars.mysqlPrimary,
        seedFrom: vars.mysqlPrimary,
        databases: [vars.appDatabase],
        users: [{ name: vars.appDbUser, host: '%' }],
      },
      { name: `replicate from ${vars.mysqlPrimary}`, tags: ['mysql', 'replication'] },
    ),
  ];
}

export const mysqlHandlers = {
  'restart mysql': service({ name: 'mysql', state: 'restarted' }),
};
