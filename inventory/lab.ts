/**
 * The local lab (`shipshape lab up`): three Debian 13 containers with systemd and sshd.
 * Addresses, the SSH key and the recorded host keys come from .lab/state.json, written by `lab up`.
 */
import { defineInventory } from '../src/inventory/define.ts';
import { ConfigError } from '../src/errors.ts';
import { labPaths } from '../src/lab/paths.ts';
import { requireLabState } from '../src/lab/state.ts';

const state = requireLabState();
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
  // ---- site variables (issue 3, the flagship): added by the site playbook's owner ----
  vars: {},
  // ---- end of site variables ----
});
