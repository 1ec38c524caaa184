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
import { definePlaybook } from 'shipshape';
import { failoverRole, primaryChangePlays } from './roles/db-topology.ts';

export default definePlaybook({
  name: 'db-failover',
  plays: primaryChangePlays('MySQL failover', failoverRole),
});
