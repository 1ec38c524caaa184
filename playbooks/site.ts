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
import { definePlaybook, play, type Handlers, type HostView, type TaskList } from 'shipshape';
import { commonRole } from './roles/common.ts';
import { mysqlHandlers, mysqlPrimaryRole, mysqlReplicaRole, mysqlServerRole } from './roles/database.ts';
import { certificateRole, loadBalancerHandlers, loadBalancerRole } from './roles/load-balancer.ts';
import { webHandlers, webRole } from './roles/web.ts';

const inGroup = (host: HostView, group: string) => host.groups.includes(group);

/**
 * Each host's own setup in ONE play: its roles by group membership (a host in web and db gets
 * both). Hosts of different roles then work in parallel — the load balancer installs HAProxy while
 * the database hosts install MySQL — and a no-op run crosses fewer play barriers. Only what needs
 * another host finished first gets a play of its own after it: the primary's accounts, then the
 * replicas seeded from it, then the certificate (HAProxy must already route the ACME challenge).
 */
function serverRoles(host: HostView): TaskList {
  return [
    commonRole(host),
    inGroup(host, 'db') && mysqlServerRole(host),
    inGroup(host, 'web') && webRole(host),
    inGroup(host, 'lb') && loadBalancerRole(host),
  ];
}

/** Handlers of the host's roles; they run once at the end of the play, MySQL before the app. */
function serverHandlers(host: HostView): Handlers {
  return {
    ...(inGroup(host, 'db') ? mysqlHandlers : {}),
    ...(inGroup(host, 'web') ? webHandlers(host) : {}),
    ...(inGroup(host, 'lb') ? loadBalancerHandlers : {}),
  };
}

export default definePlaybook({
  name: 'site',
  plays: [
    play({ name: 'servers: base system, firewall, MySQL, web application, load balancer', hosts: 'all', tasks: serverRoles, handlers: serverHandlers }),
    play({ name: 'MySQL primary: database and users', hosts: 'db', tasks: mysqlPrimaryRole }),
    play({ name: 'MySQL replicas', hosts: 'db', tasks: mysqlReplicaRole }),
    play({ name: 'TLS certificate', hosts: 'lb', tasks: certificateRole }),
  ],
});
