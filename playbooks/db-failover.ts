/**
 * Unplanned failover: the primary (the inventory's `mysqlPrimary`) is unreachable.
 *
 *   shipshape apply playbooks/db-failover.ts -i inventory -e newPrimary=web-02 --limit 'all:!web-01'
 *
 * (--limit leaves out the dead primary, so the run does not wait on it.) On the new primary: check
 * it is the most advanced replica that answers (and has no errant transactions if the old primary
 * still answers), apply its relay log, promote it. Each web host then writes to it (rolling
 * restart). The old primary stays fenced: every server starts with super_read_only = ON. Then set
 * `mysqlPrimary` to the new primary and run site.ts: it rejoins the old primary as a replica
 * (re-seeding it when its GTID set diverged, and saying so).
 */
import { definePlaybook, play } from 'shipshape';
import { failoverRole, repointAppRole, semiSyncSidesRole } from './roles/db-topology.ts';
import { webHandlers } from './roles/web.ts';

export default definePlaybook({
  name: 'db-failover',
  plays: [
    play({ name: 'MySQL failover', hosts: 'db', tasks: failoverRole }),
    play({ name: 'semi-sync sides follow the new roles (mysqlSemiSync)', hosts: 'db', tasks: semiSyncSidesRole }),
    play({ name: 'the application writes to the new primary (rolling restart)', hosts: 'web', serial: 1, tasks: repointAppRole, handlers: webHandlers }),
  ],
});
