/**
 * Planned switchover of the MySQL primary, under load:
 *
 *   shipshape apply playbooks/db-switchover.ts -i inventory -e newPrimary=web-02
 *
 * On the new primary: fence the current one (super_read_only), wait until the new one has executed
 * its whole GTID set, refuse errant transactions (named), promote, make the old primary its replica
 * (auto-positioned). Then each web host, one at a time, writes to the new primary (its settings
 * re-rendered, the app restarted). A second run plans nothing. Afterwards set `mysqlPrimary` to the
 * new primary in the inventory: site.ts stops with an error saying so until then.
 */
import { definePlaybook } from 'shipshape';
import { switchoverRole, primaryChangePlays } from './roles/db-topology.ts';

export default definePlaybook({
  name: 'db-switchover',
  plays: primaryChangePlays('MySQL switchover', switchoverRole),
});
