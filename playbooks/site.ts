/**
 * The flagship: three fresh Debian/Ubuntu servers into the classic distributed web stack.
 *
 *   users ──HTTPS──▶ lb: HAProxy (round robin, health checks, TLS from certbot)
 *                       │                      │
 *             web-1: Nginx → app        web-2: Nginx → app
 *             MySQL primary ──replication──▶ MySQL replica (read-only)
 *   ufw on every host: only what each role needs is open.
 *
 * Everything site-specific comes from the inventory (see roles/site-vars.ts and the README):
 * groups lb, web, db; domains, acmeEmail, mysqlPrimary, the two MySQL secrets, ...
 */
import { definePlaybook, flushHandlers, play, type Handlers, type HostView, type TaskList } from 'shipshape';
import { commonRole } from './roles/common.ts';
import { isMysqlPrimary, mysqlHandlers, mysqlPrimaryRole, mysqlReplicaRole, mysqlServerRole } from './roles/database.ts';
import { certificateRole, loadBalancerHandlers, loadBalancerRole } from './roles/load-balancer.ts';
import { floatingAddressReady, lbPairHandlers, lbPairRole } from './roles/lb-pair.ts';
import { lbPair } from './roles/site-vars.ts';
import { monitoringHandlers, monitoringServerRole, mysqlExporterAccountRole, mysqlExporterRole, nodeExporterRole } from './roles/monitoring.ts';
import { webHandlers, webRole } from './roles/web.ts';

const inGroup = (host: HostView, group: string) => host.groups.includes(group);

/**
 * Each host's own setup in ONE play: its roles by group membership (a host in web and db gets
 * both). Hosts of different roles then work in parallel — the load balancer installs HAProxy and
 * gets its certificate while the database hosts install MySQL — and a no-op run crosses fewer play
 * barriers. What needs the host's own handlers done first comes after a flush: the primary's
 * database and accounts (mysqld restarted with its replication settings) and the certificate
 * (HAProxy reloaded with the route for the ACME challenge). Only the replicas, which need the
 * primary finished, get a play of their own after this one.
 */
function serverRoles(host: HostView): TaskList {
  return [
    commonRole(host),
    inGroup(host, 'db') && mysqlServerRole(host),
    inGroup(host, 'web') && webRole(host),
    inGroup(host, 'lb') && loadBalancerRole(host),
    // Two lb hosts and a virtualAddress: keepalived floats the address between them (else nothing).
    inGroup(host, 'lb') && lbPairRole(host),
    nodeExporterRole(host),
    flushHandlers(),
    inGroup(host, 'db') && mysqlPrimaryRole(host),
    // The exporter crash-loops without its account, and a service that does not stay up fails its
    // task: on the primary it starts once the account exists; on a replica in the replicas' play.
    inGroup(host, 'db') && mysqlExporterAccountRole(host),
    isMysqlPrimary(host) && mysqlExporterRole(host),
    inGroup(host, 'lb') && floatingAddressReady(host),
    inGroup(host, 'lb') && certificateRole(host),
    inGroup(host, 'monitoring') && monitoringServerRole(host),
  ];
}

/** A replica: seeded and replicating first, then its exporter (the account has arrived with the seed or by replication). */
function replicaRoles(host: HostView): TaskList {
  return [mysqlReplicaRole(host), !isMysqlPrimary(host) && mysqlExporterRole(host)];
}

/** Handlers of the host's roles; they run once at the end of the play, MySQL before the app. */
function serverHandlers(host: HostView): Handlers {
  return {
    ...(inGroup(host, 'db') ? mysqlHandlers : {}),
    ...(inGroup(host, 'web') ? webHandlers(host) : {}),
    ...(inGroup(host, 'lb') ? loadBalancerHandlers : {}),
    ...(inGroup(host, 'lb') && lbPair(host) ? lbPairHandlers : {}),
    ...monitoringHandlers(host),
  };
}

export default definePlaybook({
  name: 'site',
  plays: [
    play({
      name: 'servers: base system, firewall, MySQL and the primary accounts, web application, load balancer and its certificate',
      hosts: 'all',
      tasks: serverRoles,
      handlers: serverHandlers,
    }),
    play({ name: 'MySQL replicas', hosts: 'db', tasks: replicaRoles, handlers: monitoringHandlers }),
  ],
});
