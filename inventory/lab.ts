/**
 * The local lab (`shipshape lab up`): three Debian 13 containers with systemd and sshd.
 * Addresses, the SSH key and the recorded host keys come from .lab/state.json, written by `lab up`.
 */
import { defineInventory } from '../src/inventory/define.ts';
import { ConfigError } from '../src/errors.ts';
import { labPaths } from '../src/lab/paths.ts';
import { requireLabState } from '../src/lab/state.ts';
import { ensureLabSecrets, LAB_DOMAIN } from '../src/lab/lab-site.ts';
import { Secret } from '../src/secrets/secret.ts';

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
