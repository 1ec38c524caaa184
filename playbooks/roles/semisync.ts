import { mysql, type HostView, type TaskList } from 'shipshape';
import { siteVars } from './site-vars.ts';

export const MYSQL_SEMISYNC_PLUGINS_CONF = '/etc/mysql/mysql.conf.d/zz-shipshape-semisync-plugins.cnf';
export const MYSQL_SEMISYNC_CONF = '/etc/mysql/mysql.conf.d/zz-shipshape-semisync.cnf';

/**
 * With `mysqlSemiSync`: both plugins on every db host (loaded at a restart, once: INSTALL PLUGIN is
 * refused under super_read_only), and the side of the host's role enabled in a file of its own,
 * without a restart: a role swap rewrites that file and mysql.config SETs the variables live (and
 * reconnects a replica's IO thread so it starts or stops acknowledging).
 */
export function mysqlSemiSyncConfig(host: HostView, role: mysql.SemiSyncRole): TaskList {
  const vars = siteVars(host);
  if (!vars.mysqlSemiSync) return [];
  return [
    mysql.config(
      { path: MYSQL_SEMISYNC_PLUGINS_CONF, settings: mysql.semiSyncPluginSettings() },
      { name: 'MySQL semi-sync plugins', notify: 'restart mysql', tags: ['mysql', 'replication'] },
    ),
    ...mysqlSemiSyncRoleConfig(host, role),
  ];
}

/** The role's side alone (a switchover or failover swaps it; the plugins stay). */
export function mysqlSemiSyncRoleConfig(host: HostView, role: mysql.SemiSyncRole): TaskList {
  const vars = siteVars(host);
  if (!vars.mysqlSemiSync) return [];
  return [
    mysql.config(
      { path: MYSQL_SEMISYNC_CONF, settings: mysql.semiSyncRoleSettings(role, vars.mysqlSemiSyncTimeoutMs) },
      { name: `MySQL semi-sync (${role} side)`, tags: ['mysql', 'replication'] },
    ),
  ];
}
