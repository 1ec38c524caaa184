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
import { definePlaybook, play } from 'shipshape';
import { commonRole } from './roles/common.ts';
import { mysqlHandlers, mysqlPrimaryRole, mysqlReplicaRole, mysqlServerRole } from './roles/database.ts';
import { certificateRole, loadBalancerHandlers, loadBalancerRole } from './roles/load-balancer.ts';
import { webHandlers, webRole } from './roles/web.ts';

export default definePlaybook({
  name: 'site',
  plays: [
    play({ name: 'base system and firewall', hosts: 'all', tasks: commonRole }),
    play({ name: 'MySQL servers', hosts: 'db', tasks: mysqlServerRole, handlers: mysqlHandlers }),
    play({ name: 'MySQL primary: database and users', hosts: 'db', tasks: mysqlPrimaryRole }),
    play({ name: 'MySQL replicas', hosts: 'db', tasks: mysqlReplicaRole }),
    play({
      name: 'web servers and application',
      hosts: 'web',
      tasks: webRole,
      handlers: webHandlers,
    }),
    play({ name: 'load balancer', hosts: 'lb', tasks: loadBalancerRole, handlers: loadBalancerHandlers }),
    play({ name: 'TLS certificate', hosts: 'lb', tasks: certificateRole }),
  ],
});
