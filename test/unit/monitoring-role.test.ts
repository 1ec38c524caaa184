/**
 * The site's monitoring contract, without hosts: which exporter ports ufw opens and to whom, what a
 * monitoring host requires from the inventory, and that a site without a monitoring group is as before.
 */
import { describe, expect, it } from 'vitest';
import { firewallRules } from '../../playbooks/roles/common.ts';
import { monitoringServerRole, mysqlExporterRole, nodeExporterRole } from '../../playbooks/roles/monitoring.ts';
import { ConfigError } from '../../src/errors.ts';
import { renderTemplateFile } from '../../src/template/render.ts';
import { flattenTasks } from '../../src/playbook/define.ts';
import { loadPlaybook } from '../../src/playbook/load.ts';
import type { HostView } from '../../src/task/types.ts';
import { onlyTasks } from '../../src/playbook/flush-handlers.ts';

const baseVars = {
  domains: ['shop.example.test'],
  acmeEmail: 'ops@example.test',
  mysqlPrimary: 'web-01',
  mysqlAppPassword: 'a',
  mysqlReplicationPassword: 'r',
  mysqlExporterPassword: 'e',
  alertWebhookUrl: 'http://127.0.0.1:9095/alerts',
};

function hostView(name: string, groups: Record<string, string[]>, vars: Record<string, unknown> = baseVars): HostView {
  const addresses: Record<string, string> = { 'lb-01': '10.0.0.2', 'web-01': '10.0.0.3', 'web-02': '10.0.0.4', 'lb-02': '10.0.0.5' };
  return {
    name,
    vars,
    facts: {} as HostView['facts'],
    groups: Object.entries(groups).filter(([, members]) => members.includes(name)).map(([group]) => group),
    inventory: { hosts: Object.fromEntries(Object.entries(addresses).map(([n, address]) => [n, { name: n, address, vars: {} }])) as never, groups },
  };
}

const site = { lb: ['lb-01'], web: ['web-01', 'web-02'], db: ['web-01', 'web-02'] };
const monitored = { ...site, monitoring: ['lb-01'] };
const exporterRules = (host: HostView) => firewallRules(host).filter((r) => r.port !== undefined && [9100, 9104, 8405].includes(r.port)).map((r) => `${r.port} from ${r.from}`);

describe('monitoring in the site', () => {
  it('opens each exporter port to the monitoring host alone, per role', () => {
    expect(exporterRules(hostView('web-01', monitored))).toEqual(['9100 from 10.0.0.2', '9104 from 10.0.0.2']);
    expect(exporterRules(hostView('lb-01', monitored))).toEqual(['9100 from 10.0.0.2', '8405 from 10.0.0.2']);
  });

  it('adds nothing without a monitoring group: no exporter, no port', () => {
    expect(exporterRules(hostView('web-01', site))).toEqual([]);
    expect(nodeExporterRole(hostView('web-01', site))).toEqual([]);
    expect(mysqlExporterRole(hostView('web-01', site))).toEqual([]);
  });

  it('requires the webhook and the exporter password from the inventory, by name', () => {
    const { alertWebhookUrl: _w, ...noWebhook } = baseVars;
    expect(() => monitoringServerRole(hostView('lb-01', monitored, noWebhook))).toThrow(ConfigError);
    expect(() => monitoringServerRole(hostView('lb-01', monitored, noWebhook))).toThrow('host lb-01: alertWebhookUrl is required when the inventory has a monitoring group');
    const { mysqlExporterPassword: _p, ...noPassword } = baseVars;
    expect(() => mysqlExporterRole(hostView('web-02', monitored, noPassword))).toThrow('host web-02: mysqlExporterPassword is required');
  });

  // The exporter crash-loops until its account exists, and a unit that does not stay up fails its task.
  it('starts the mysqld exporter only after its account exists: on the primary after the account, on a replica after replication', async () => {
    const { playbook } = await loadPlaybook('playbooks/site.ts');
    const names = (play: number, host: HostView) => {
      const { tasks } = playbook.plays[play];
      return flattenTasks(typeof tasks === 'function' ? tasks(host) : tasks).map((t) => t.name);
    };
    const primary = names(0, hostView('web-01', monitored));
    expect(primary.indexOf('mysqld exporter account')).toBeGreaterThan(-1);
    expect(primary.indexOf('mysqld exporter running')).toBeGreaterThan(primary.indexOf('mysqld exporter account'));
    expect(names(1, hostView('web-01', monitored))).not.toContain('mysqld exporter running');

    expect(names(0, hostView('web-02', monitored))).not.toContain('mysqld exporter running');
    const replica = names(1, hostView('web-02', monitored));
    expect(replica.indexOf('replicate from web-01')).toBe(0);
    expect(replica).toContain('mysqld exporter running');
    expect(Object.keys(typeof playbook.plays[1].handlers === 'function' ? playbook.plays[1].handlers(hostView('web-02', monitored)) : playbook.plays[1].handlers ?? {})).toContain('restart mysqld exporter');
  });

  it('HA (two lb hosts and a virtualAddress): probes the floating address and each LB, watches who holds the address', () => {
    const ha = { ...site, lb: ['lb-01', 'lb-02'], monitoring: ['lb-01'] };
    const host = hostView('lb-01', ha, { ...baseVars, virtualAddress: '10.0.0.100/24' });
    const tasks = onlyTasks(flattenTasks(monitoringServerRole(host)));
    const templateVars = (name: string) => (tasks.find((t) => t.name === name)!.args as { vars: Record<string, unknown> }).vars;
    expect(templateVars('prometheus configuration').probeTargets).toEqual(['https://10.0.0.100/', 'https://10.0.0.2/', 'https://10.0.0.5/']);
    const rules = renderTemplateFile('templates/prometheus-alerts.yml.ejs', templateVars('alert rules'), process.cwd());
    expect(rules).toContain('absent(node_network_address_info{address="10.0.0.100"})');
    expect(rules).toContain('count(node_network_address_info{address="10.0.0.100"}) > 1');
    // lb-02's exporters are open to the monitoring host (lb-01) alone.
    expect(exporterRules(hostView('lb-02', ha, { ...baseVars, virtualAddress: '10.0.0.100/24' }))).toEqual(['9100 from 10.0.0.2', '8405 from 10.0.0.2']);
    // One load balancer: no floating address, no keepalived rules, the LB probed directly.
    const single = onlyTasks(flattenTasks(monitoringServerRole(hostView('lb-01', monitored, { ...baseVars, virtualAddress: '10.0.0.100/24' }))));
    expect((single.find((t) => t.name === 'prometheus configuration')!.args as { vars: { probeTargets: string[] } }).vars.probeTargets).toEqual(['https://10.0.0.2/']);
  });

  it('takes the certificate-expiry threshold from the inventory (alertCertificateDays)', () => {
    const rulesVars = (vars: Record<string, unknown>) =>
      (onlyTasks(flattenTasks(monitoringServerRole(hostView('lb-01', monitored, vars)))).find((t) => t.name === 'alert rules')!.args as { vars: { certificateDays: number } }).vars;
    expect(rulesVars(baseVars).certificateDays).toBe(14);
    expect(rulesVars({ ...baseVars, alertCertificateDays: 3650 }).certificateDays).toBe(3650);
  });
});
