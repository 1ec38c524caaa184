/**
 * A host of the site's inventory as playbooks/site.ts sees it (no facts), for unit tests that
 * expand the site's task lists without any host: one or two load balancers, two web hosts that
 * are also the db hosts.
 */
import type { HostView } from '../../../src/task/types.ts';

export const SITE_VARS = { domains: ['shop.example.test'], acmeEmail: 'admin@example.test', mysqlPrimary: 'web-01', mysqlAppPassword: 'x', mysqlReplicationPassword: 'y' };
const ADDRESSES: Record<string, string> = { 'lb-01': '10.0.0.11', 'lb-02': '10.0.0.12', 'lb-03': '10.0.0.13', 'web-01': '10.0.0.21', 'web-02': '10.0.0.22' };

export function siteHostView(name: string, options: { lbs?: string[]; vars?: Record<string, unknown> } = {}): HostView {
  const lbs = options.lbs ?? ['lb-01'];
  const groups: Record<string, string[]> = { all: [...lbs, 'web-01', 'web-02'], lb: lbs, web: ['web-01', 'web-02'], db: ['web-01', 'web-02'] };
  const memberOf = (host: string) => Object.keys(groups).filter((g) => groups[g].includes(host));
  const hostVars = { ...SITE_VARS, ...options.vars };
  return {
    name,
    vars: hostVars,
    facts: {} as HostView['facts'],
    groups: memberOf(name),
    inventory: { hosts: Object.fromEntries(groups.all.map((h) => [h, { name: h, address: ADDRESSES[h], vars: hostVars, groups: memberOf(h) }])), groups },
  };
}
