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
  },
  // ---- end of site variables ----
});
