import { apt, file, mysql, service, type HostView, type TaskList } from 'shipshape';
import { monitoringSeedUsers } from './monitoring.ts';
import { mysqlSemiSyncConfig } from './semisync.ts';
import { addressOf, groupMembers, siteVars } from './site-vars.ts';

export const MYSQL_CONF = '/etc/mysql/mysql.conf.d/zz-shipshape.cnf';
/**
 * Fencing: EVERY db server starts read-only, the primary included; only the primary's play makes
 * it writable at runtime (mysql.writable). A primary that died and comes back (reboot, container
 * restart) before anyone could reach it therefore takes no writes, whatever its inventory role.
 */
export const MYSQL_FENCE_CONF = '/etc/mysql/mysql.conf.d/zz-shipshape-fence.cnf';
const FENCE = '# Managed by shipshape: every server starts read-only; only the primary is made writable at runtime.\n[mysqld]\nread_only = ON\nsuper_read_only = ON\n';

export function isMysqlPrimary(host: HostView): boolean {
  return host.name === siteVars(host).mysqlPrimary;
}

/** server-id must be unique in the replication topology: the host's position in the `db` group. */
function serverId(host: HostView): number {
  return groupMembers(host, 'db').indexOf(host.name) + 1;
}

/** Every db host: MySQL installed (optionally from an extra release), GTID replication settings. */
export function mysqlServerRole(host: HostView): TaskList {
  const vars = siteVars(host);
  return [
    vars.mysqlAptRepository
      ? apt.repository(
        { name: 'shipshape-mysql', source: vars.mysqlAptRepository, pin: vars.mysqlAptRelease ? { release: vars.mysqlAptRelease, priority: 100 } : undefined },
          { name: 'MySQL apt source (pinned low)', tags: ['mysql', 'packages'] },
        )
      : null,
    // Before anything changes: stop when the live primary is not the inventory's (a switchover or
    // failover happened): a re-run must never demote it. On fresh hosts there is nothing to read.
    mysql.topology(
      { primary: vars.mysqlPrimary, hosts: groupMembers(host, 'db').map((name) => ({ name, address: addressOf(host, name) })) },
      { name: 'MySQL topology agrees with mysqlPrimary', tags: ['mysql', 'replication'] },
    ),
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
        },
      },
      { name: 'MySQL replication settings', notify: 'restart mysql', tags: ['mysql'] },
    ),
    file.copy({ dest: MYSQL_FENCE_CONF, content: FENCE, mode: '0644' }, { name: 'MySQL starts read-only (fencing)', notify: 'restart mysql', tags: ['mysql'] }),
    ...mysqlSemiSyncConfig(host, isMysqlPrimary(host) ? 'source' : 'replica'),
    service({ name: 'mysql', state: 'started', enabled: true }, { name: 'MySQL running', tags: ['mysql'] }),
  ];
}

/**
 * After mysqld runs with its settings (site.ts flushes handlers first): the runtime read-only state
 * of each db host, then on the primary the application's database and users, before the replicas
 * are seeded.
 */
export function mysqlPrimaryRole(host: HostView): TaskList {
  const writable = mysql.writable({ writable: isMysqlPrimary(host) }, { name: isMysqlPrimary(host) ? 'MySQL writable (primary)' : 'MySQL read-only (replica)', tags: ['mysql'] });
  if (!isMysqlPrimary(host)) return [writable];
  const vars = siteVars(host);
  return [
    writable,
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
  if (isMysqlPrimary(host)) return [];
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
        // The replication account too: a replica promoted by a switchover or failover is the source
        // its old primary then replicates from.
        users: [{ name: vars.appDbUser, host: '%' }, { name: vars.mysqlReplicationUser, host: '%' }, ...monitoringSeedUsers(host)],
      },
      { name: `replicate from ${vars.mysqlPrimary}`, tags: ['mysql', 'replication'] },
    ),
  ];
}

export const mysqlHandlers = {
  'restart mysql': service({ name: 'mysql', state: 'restarted' }),
};
