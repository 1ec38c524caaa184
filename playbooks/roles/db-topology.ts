import { ConfigError, mysql, play, type HostView, type TaskList } from 'shipshape';
import { addressOf, groupMembers, siteVars } from './site-vars.ts';
import { mysqlSemiSyncRoleConfig } from './semisync.ts';
import { appSettings, webHandlers } from './web.ts';

/** `-e newPrimary=<db host>`: the host to promote, checked against the db group. */
export function newPrimary(host: HostView): string {
  const name = host.vars.newPrimary;
  const db = groupMembers(host, 'db');
  if (typeof name !== 'string' || !db.includes(name)) {
    throw new ConfigError(`host ${host.name}: give the db host to promote: -e newPrimary=<one of ${db.join(', ')}>${name === undefined ? '' : ` (got "${String(name)}")`}`, { host: host.name });
  }
  return name;
}

/** Planned switchover: on the new primary only; it finds the current primary among the db hosts. */
export function switchoverRole(host: HostView): TaskList {
  const target = newPrimary(host);
  if (host.name !== target) return [];
  const vars = siteVars(host);
  return [
    mysql.switchover(
      {
        hosts: groupMembers(host, 'db').map((name) => ({ name, address: addressOf(host, name) })),
        address: addressOf(host, target),
        user: vars.mysqlReplicationUser,
        password: vars.mysqlReplicationPassword,
        // As the site's replicas do (database.ts): TLS pinned to the new primary's CA (at the same
        // default path), so the old primary passes the account's REQUIRE SSL and a site run finds
        // nothing to change.
        ssl: true,
        semiSync: vars.mysqlSemiSync,
      },
      { name: `switch the MySQL primary over to ${target}`, tags: ['mysql', 'replication'] },
    ),
  ];
}

/** Unplanned failover: on the new primary only; the old one (the inventory's mysqlPrimary) is gone. */
export function failoverRole(host: HostView): TaskList {
  const target = newPrimary(host);
  if (host.name !== target) return [];
  const vars = siteVars(host);
  const replicas = groupMembers(host, 'db').filter((name) => name !== vars.mysqlPrimary);
  return [mysql.failover({ from: vars.mysqlPrimary, replicas, semiSync: vars.mysqlSemiSync }, { name: `fail the MySQL primary over from ${vars.mysqlPrimary} to ${target}`, tags: ['mysql', 'replication'] })];
}

/**
 * With `mysqlSemiSync`: each db host's semi-sync side follows its new role in its config file too
 * (the switchover or failover SET it live already), so a site run with the new mysqlPrimary finds
 * nothing to change. Only once the new primary really is the primary: after a refused switchover
 * the old primary keeps its side.
 */
export function semiSyncSidesRole(host: HostView): TaskList {
  const target = newPrimary(host);
  if (!siteVars(host).mysqlSemiSync) return [];
  return [
    mysql.topology(
      { primary: target, hosts: groupMembers(host, 'db').map((name) => ({ name, address: addressOf(host, name) })), variable: 'newPrimary' },
      { name: `${target} is the live primary`, tags: ['mysql', 'replication'] },
    ),
    ...mysqlSemiSyncRoleConfig(host, host.name === target ? 'source' : 'replica'),
  ];
}

/**
 * Every web host writes to the new primary: its settings rendered for it, the app restarted one
 * host at a time. Only once the new primary really is the primary: when the promotion failed (an
 * errant transaction, a timeout), the app keeps writing where it did.
 */
export function repointAppRole(host: HostView): TaskList {
  const target = newPrimary(host);
  return [
    mysql.topology(
      { primary: target, hosts: groupMembers(host, 'db').map((name) => ({ name, address: addressOf(host, name) })), variable: 'newPrimary' },
      { name: `${target} is the live primary`, tags: ['mysql', 'app'] },
    ),
    appSettings(host, target),
  ];
}

/**
 * The plays of a change of primary (db-switchover.ts, db-failover.ts): `role` on the db hosts, then
 * the semi-sync sides follow the new roles, then the app writes to the new primary, one web host at
 * a time.
 */
export function primaryChangePlays(name: string, role: (host: HostView) => TaskList) {
  return [
    play({ name, hosts: 'db', tasks: role }),
    play({ name: 'semi-sync sides follow the new roles (mysqlSemiSync)', hosts: 'db', tasks: semiSyncSidesRole }),
    play({ name: 'the application writes to the new primary (rolling restart)', hosts: 'web', serial: 1, tasks: repointAppRole, handlers: webHandlers }),
  ];
}
