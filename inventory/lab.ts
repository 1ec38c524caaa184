/**
 * The local lab (`shipshape lab up`): three Debian 13 containers with systemd and sshd.
 * Addresses, the SSH key and the recorded host keys come from .lab/state.json, written by `lab up`.
 */
// Through the package name, so the running CLI and this file share one Secret class and masker.
import { ConfigError, defineInventory, Secret } from 'shipshape';
import { ensureLabSecrets, labPaths, LAB_DOMAIN, requireLabState } from 'shipshape/lab';

const state = requireLabState();
const secrets = ensureLabSecrets();
const LAB_HOSTS = ['lb-01', 'web-01', 'web-02'];

const missing = LAB_HOSTS.filter((name) => !state.hosts.some((host) => host.name === name));
if (missing.length) {
  throw new ConfigError(`${labPaths.state()}: the lab has no ${missing.join(', ')}; run \`shipshape lab up\` (it starts ${LAB_HOSTS.join(', ')})`, {
    file: labPaths.state(),
  });
}

export default defineInventory({
  // Every host `lab up` started (extra ones from --hosts too), at its container address.
  hosts: Object.fromEntries(state.hosts.map((host) => [host.name, { address: host.address, port: host.port }])),
  groups: {
    lb: { hosts: ['lb-01'] },
    web: { hosts: ['web-01', 'web-02'] },
    db: { hosts: ['web-01', 'web-02'] },
    // Prometheus and Alertmanager share the load balancer: the lab has three hosts, and lb-01 is
    // the one every other host already accepts traffic from.
    monitoring: { hosts: ['lb-01'] },
  },
  defaults: {
    user: 'deploy',
    become: true,
    privateKey: state.privateKey,
    knownHosts: state.knownHosts,
  },
  // ---- site variables (the contract of playbooks/site.ts, see README) ----
  vars: {
    domains: [LAB_DOMAIN],
    acmeEmail: 'admin@shipshape.test',
    // The lab's own ACME server (pebble): HTTP-01 really happens, against lb-01.
    ...(state.acme ? { acmeServer: state.acme.directoryUrl, acmeCaBundle: state.acme.caBundle } : {}),
    mysqlPrimary: 'web-01',
    // Debian 13 has MariaDB only; MySQL comes from sid, pinned low so nothing else upgrades from it.
    mysqlAptRepository: 'deb http://deb.debian.org/debian sid main',
    mysqlAptRelease: 'sid',
    // Random per lab, kept in .lab/secrets.json (0600), never committed.
    mysqlAppPassword: new Secret(secrets.mysqlAppPassword, 'lab'),
    mysqlReplicationPassword: new Secret(secrets.mysqlReplicationPassword, 'lab'),
    mysqlExporterPassword: new Secret(secrets.mysqlExporterPassword, 'lab'),
    // The alert recorder on lb-01 itself is the webhook receiver; `lab proof` prints what it got.
    alertWebhookUrl: new Secret('http://127.0.0.1:9095/alerts', 'lab'),
    alertRecorder: true,
    // Short so breaking something in the lab shows an alert within a minute.
    alertFor: { TargetDown: '30s', HaproxyServerDown: '15s', MysqlDown: '15s', MysqlReplicaIoThreadStopped: '15s', MysqlReplicaSqlThreadStopped: '15s', SiteProbeFailed: '30s', DiskSpaceLow: '30s' },
    monitoringScrapeInterval: '5s',
    alertGroupWait: '5s',
    alertGroupInterval: '10s',
    // pebble makes a new issuing root at every start: the probe checks status and expiry, not the chain.
    probeSkipTlsVerify: true,
  },
  // ---- end of site variables ----
});
