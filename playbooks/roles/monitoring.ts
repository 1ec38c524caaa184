import { apt, ConfigError, file, mysql, service, type HostView, type TaskList } from 'shipshape';
import { alertRuleVars } from './alert-rules.ts';
import { addressOf, groupMembers, siteVars } from './site-vars.ts';

/**
 * Monitoring: Prometheus and Alertmanager on the `monitoring` host, an exporter for every layer
 * (node exporter everywhere, mysqld exporter on db hosts, HAProxy's built-in Prometheus endpoint on
 * the load balancers, blackbox probes of the site over HTTPS and its certificate), alert rules
 * validated by promtool before they go live, alerts to the inventory's webhook. Exporters listen on
 * the host's private address only and ufw opens their ports to the monitoring host alone
 * (roles/common.ts); Prometheus, Alertmanager and the blackbox exporter listen on 127.0.0.1.
 * Nothing here runs unless the inventory has a `monitoring` group.
 */
export const MONITORING_PORTS = { node: 9100, mysqld: 9104, haproxy: 8405, blackbox: 9115, prometheus: 9090, alertmanager: 9093 } as const;

/** node exporter's textfile directory (Debian's): `shipshape recap metrics` writes drift metrics here. */
export const TEXTFILE_DIR = '/var/lib/prometheus/node-exporter';
export const RULES_FILE = '/etc/prometheus/rules/shipshape-alerts.yml';
const EXPORTER_CNF = '/etc/prometheus/mysqld-exporter.cnf';
const EXPORTER_USER = 'prometheus_exporter';

export function monitoringEnabled(host: HostView): boolean {
  return groupMembers(host, 'monitoring').length > 0;
}

function requireVar<T>(host: HostView, name: string, value: T | undefined): T {
  if (value === undefined) throw new ConfigError(`host ${host.name}: ${name} is required when the inventory has a monitoring group`, { host: host.name });
  return value;
}

/**
 * The packages' own postinst would start each service with its packaged defaults: the mysqld
 * exporter without credentials (a crash loop that uses up systemd's start limit), Prometheus
 * scraping a `localhost:9100` nobody listens on (a TargetDown that outlives the switch). Installed
 * with policy-rc.d 101, each first starts from its `running` task, with the playbook's configuration.
 */
const NO_START = 101;

const defaultsFile = (args: string) => `# Managed by shipshape (playbooks/roles/monitoring.ts).\nARGS="${args}"\n`;

/** Every host: node exporter on its private address, with the textfile directory and address info (keepalived). */
export function nodeExporterRole(host: HostView): TaskList {
  if (!monitoringEnabled(host)) return [];
  const listen = `${addressOf(host, host.name)}:${MONITORING_PORTS.node}`;
  return [
    apt.packages({ names: ['prometheus-node-exporter'], updateCache: true, cacheValidTime: 3600, policyRcD: NO_START }, { name: 'node exporter package', tags: ['packages', 'monitoring'] }),
    file.directory({ path: TEXTFILE_DIR, owner: 'prometheus', group: 'prometheus', mode: '0755' }, { name: 'node exporter textfile directory', tags: ['monitoring'] }),
    file.copy(
      {
        dest: '/etc/default/prometheus-node-exporter',
        mode: '0644',
        content: defaultsFile(`--web.listen-address=${listen} --collector.textfile.directory=${TEXTFILE_DIR} --collector.netdev.address-info`),
      },
      { name: 'node exporter settings', notify: 'restart node exporter', tags: ['monitoring'] },
    ),
    service({ name: 'prometheus-node-exporter', state: 'started', enabled: true }, { name: 'node exporter running', tags: ['monitoring'] }),
  ];
}

/** The mysqld exporter's account, on the primary (the replicas get it with their seed, then by replication). */
export function mysqlExporterAccountRole(host: HostView): TaskList {
  if (!monitoringEnabled(host)) return [];
  const vars = siteVars(host);
  if (host.name !== vars.mysqlPrimary) return [];
  return [
    mysql.user(
      {
        name: EXPORTER_USER,
        host: 'localhost',
        password: requireVar(host, 'mysqlExporterPassword', vars.mysqlExporterPassword),
        privileges: ['PROCESS, REPLICATION CLIENT, SELECT ON *.*'],
      },
      { name: 'mysqld exporter account', tags: ['mysql', 'monitoring'] },
    ),
  ];
}

/** Accounts a replica's seed must copy from the primary. */
export function monitoringSeedUsers(host: HostView): { name: string; host: string }[] {
  return monitoringEnabled(host) ? [{ name: EXPORTER_USER, host: 'localhost' }] : [];
}

/** db hosts: the mysqld exporter, configured through its options file (0600, its own user). */
export function mysqlExporterRole(host: HostView): TaskList {
  if (!monitoringEnabled(host)) return [];
  const vars = siteVars(host);
  const listen = `${addressOf(host, host.name)}:${MONITORING_PORTS.mysqld}`;
  return [
    apt.packages({ names: ['prometheus-mysqld-exporter'], updateCache: true, cacheValidTime: 3600, policyRcD: NO_START }, { name: 'mysqld exporter package', tags: ['packages', 'monitoring'] }),
    // The exporter's package has no /etc/prometheus of its own (prometheus's package makes it).
    file.directory({ path: '/etc/prometheus', owner: 'root', group: 'root', mode: '0755' }, { tags: ['monitoring'] }),
    file.template(
      {
        src: '../templates/mysqld-exporter.cnf.ejs',
        dest: EXPORTER_CNF,
        owner: 'prometheus',
        group: 'prometheus',
        mode: '0600',
        vars: { user: EXPORTER_USER, password: requireVar(host, 'mysqlExporterPassword', vars.mysqlExporterPassword) },
      },
      { name: 'mysqld exporter credentials', notify: 'restart mysqld exporter', tags: ['monitoring'] },
    ),
    file.copy(
      { dest: '/etc/default/prometheus-mysqld-exporter', mode: '0644', content: defaultsFile(`--config.my-cnf=${EXPORTER_CNF} --web.listen-address=${listen}`) },
      { name: 'mysqld exporter settings', notify: 'restart mysqld exporter', tags: ['monitoring'] },
    ),
    service({ name: 'prometheus-mysqld-exporter', state: 'started', enabled: true }, { name: 'mysqld exporter running', tags: ['monitoring'] }),
  ];
}

/**
 * The address users reach when the load balancers are a keepalived pair: `floatingAddress` if the
 * inventory names one, else the pair's own `virtualAddress` (without its prefix), so an HA inventory
 * gets the keepalived alerts and the probe of the floating address without saying it twice.
 */
export function floatingAddressOf(host: HostView): string | undefined {
  const vars = siteVars(host);
  if (vars.floatingAddress) return vars.floatingAddress;
  return vars.virtualAddress && groupMembers(host, 'lb').length === 2 ? vars.virtualAddress.split('/')[0] : undefined;
}

/** The addresses the blackbox exporter probes over HTTPS: the floating address when there is one, and each load balancer directly. */
function probeTargets(host: HostView): string[] {
  const floating = floatingAddressOf(host);
  const lbs = groupMembers(host, 'lb').map((lb) => addressOf(host, lb));
  return [...(floating ? [floating] : []), ...lbs].map((address) => `https://${address}/`);
}

export const ALERT_RECORD = '/var/lib/alert-recorder/alerts.jsonl';

/**
 * A webhook receiver made of bash and a systemd socket (Accept=yes: one short-lived service per
 * post) on 127.0.0.1:9095, recording each post as a JSON line in ALERT_RECORD. For the lab and
 * for trying the rules before a real receiver exists; `shipshape lab proof` prints what it recorded.
 */
function alertRecorderRole(): TaskList {
  return [
    file.directory({ path: '/usr/local/lib/shipshape', mode: '0755' }, { tags: ['monitoring'] }),
    file.copy({ src: 'files/alert-recorder/alert-recorder.sh', dest: '/usr/local/lib/shipshape/alert-recorder.sh', mode: '0755' }, { name: 'alert recorder script', tags: ['monitoring'] }),
    file.copy({ src: 'files/alert-recorder/alert-recorder@.service', dest: '/etc/systemd/system/alert-recorder@.service', mode: '0644' }, { name: 'alert recorder service', tags: ['monitoring'] }),
    file.copy(
      { src: 'files/alert-recorder/alert-recorder.socket', dest: '/etc/systemd/system/alert-recorder.socket', mode: '0644' },
      { name: 'alert recorder socket', notify: 'restart alert recorder', tags: ['monitoring'] },
    ),
    service({ name: 'alert-recorder.socket', state: 'started', enabled: true, daemonReload: true }, { name: 'alert recorder listening', tags: ['monitoring'] }),
  ];
}

/** The monitoring host: Prometheus (rules, scrape targets), Alertmanager (webhook), blackbox exporter. */
export function monitoringServerRole(host: HostView): TaskList {
  const vars = siteVars(host);
  const webhook = requireVar(host, 'alertWebhookUrl', vars.alertWebhookUrl);
  const members = (group: string) => groupMembers(host, group).map((name) => ({ name, address: addressOf(host, name) }));
  const rules = alertRuleVars({
    alertFor: vars.alertFor,
    semiSync: vars.mysqlSemiSync,
    certificateDays: vars.alertCertificateDays,
    floatingAddress: floatingAddressOf(host) ?? null,
    haproxyBackends: ['web'],
  });
  const ports = MONITORING_PORTS;
  return [
    apt.packages(
      { names: ['prometheus', 'prometheus-alertmanager', 'prometheus-blackbox-exporter'], updateCache: true, cacheValidTime: 3600, policyRcD: NO_START },
      { name: 'prometheus packages', tags: ['packages', 'monitoring'] },
    ),
    file.directory({ path: '/etc/prometheus/rules', owner: 'root', group: 'root', mode: '0755' }, { tags: ['monitoring'] }),
    file.template(
      { src: '../templates/prometheus-alerts.yml.ejs', dest: RULES_FILE, mode: '0644', validate: 'promtool check rules %s', vars: rules },
      { name: 'alert rules', notify: 'reload prometheus', tags: ['monitoring'] },
    ),
    file.template(
      {
        src: '../templates/prometheus.yml.ejs',
        dest: '/etc/prometheus/prometheus.yml',
        mode: '0644',
        validate: 'promtool check config %s',
        vars: {
          scrapeInterval: vars.monitoringScrapeInterval,
          rulesFile: RULES_FILE,
          ports,
          all: Object.keys(host.inventory.hosts).map((name) => ({ name, address: addressOf(host, name) })),
          db: members('db'),
          lb: members('lb'),
          probeTargets: probeTargets(host),
        },
      },
      { name: 'prometheus configuration', notify: 'reload prometheus', tags: ['monitoring'] },
    ),
    file.copy(
      {
        dest: '/etc/default/prometheus',
        mode: '0644',
        content: defaultsFile(`--web.listen-address=127.0.0.1:${ports.prometheus}`),
      },
      { name: 'prometheus settings', notify: 'restart prometheus', tags: ['monitoring'] },
    ),
    file.template(
      {
        src: '../templates/alertmanager.yml.ejs',
        dest: '/etc/prometheus/alertmanager.yml',
        owner: 'root',
        group: 'prometheus',
        mode: '0640',
        validate: 'amtool check-config %s',
        vars: { webhook, groupWait: vars.alertGroupWait, groupInterval: vars.alertGroupInterval, repeatInterval: vars.alertRepeatInterval },
      },
      { name: 'alertmanager configuration', notify: 'restart alertmanager', tags: ['monitoring'] },
    ),
    // Cluster listener off: a single Alertmanager needs no gossip port open on every interface.
    file.copy(
      { dest: '/etc/default/prometheus-alertmanager', mode: '0644', content: defaultsFile(`--web.listen-address=127.0.0.1:${ports.alertmanager} --cluster.listen-address=`) },
      { name: 'alertmanager settings', notify: 'restart alertmanager', tags: ['monitoring'] },
    ),
    file.template(
      {
        src: '../templates/blackbox.yml.ejs',
        dest: '/etc/prometheus/blackbox.yml',
        mode: '0644',
        validate: 'prometheus-blackbox-exporter --config.check --config.file=%s',
        vars: { domain: vars.domains[0], skipVerify: vars.probeSkipTlsVerify },
      },
      { name: 'blackbox exporter configuration', notify: 'restart blackbox exporter', tags: ['monitoring'] },
    ),
    file.copy(
      {
        dest: '/etc/default/prometheus-blackbox-exporter',
        mode: '0644',
        content: defaultsFile(`--config.file=/etc/prometheus/blackbox.yml --web.listen-address=127.0.0.1:${ports.blackbox}`),
      },
      { name: 'blackbox exporter settings', notify: 'restart blackbox exporter', tags: ['monitoring'] },
    ),
    service({ name: 'prometheus', state: 'started', enabled: true }, { name: 'prometheus running', tags: ['monitoring'] }),
    service({ name: 'prometheus-alertmanager', state: 'started', enabled: true }, { name: 'alertmanager running', tags: ['monitoring'] }),
    service({ name: 'prometheus-blackbox-exporter', state: 'started', enabled: true }, { name: 'blackbox exporter running', tags: ['monitoring'] }),
    vars.alertRecorder && alertRecorderRole(),
  ];
}

export function monitoringHandlers(host: HostView) {
  if (!monitoringEnabled(host)) return {};
  const inGroup = (group: string) => host.groups.includes(group);
  return {
    'restart node exporter': service({ name: 'prometheus-node-exporter', state: 'restarted' }),
    ...(inGroup('db') ? { 'restart mysqld exporter': service({ name: 'prometheus-mysqld-exporter', state: 'restarted' }) } : {}),
    ...(inGroup('monitoring')
      ? {
          'reload prometheus': service({ name: 'prometheus', state: 'reloaded' }),
          'restart prometheus': service({ name: 'prometheus', state: 'restarted' }),
          'restart alertmanager': service({ name: 'prometheus-alertmanager', state: 'restarted' }),
          'restart blackbox exporter': service({ name: 'prometheus-blackbox-exporter', state: 'restarted' }),
          'restart alert recorder': service({ name: 'alert-recorder.socket', state: 'restarted', daemonReload: true }),
        }
      : {}),
  };
}
