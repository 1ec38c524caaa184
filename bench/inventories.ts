/**
 * The same site inventory for both tools: the site's variable contract (playbooks/roles/site-vars.ts)
 * with every default spelled out, so the Jinja templates and the EJS ones get identical values.
 */
import { writeFileSync } from 'node:fs';
import type { StartedHost } from '../src/lab/hosts.ts';
import { machineDebianMirror } from '../src/lab/apt-mirror.ts';

export const GROUPS = { lb: ['lb-01'], web: ['web-01', 'web-02'], db: ['web-01', 'web-02'] };

export function siteVars(workload: 'reduced' | 'site', acme?: { server: string; caBundle: string }): Record<string, unknown> {
  const vars: Record<string, unknown> = {
    domains: ['shop.bench.test'],
    acmeEmail: 'ops@bench.test',
    sshAllowFrom: ['0.0.0.0/0'],
    mysqlPrimary: 'web-01',
    mysqlAppPassword: 'bench-app-secret',
    mysqlReplicationPassword: 'bench-repl-secret',
    appName: 'app',
    appUser: 'app',
    appPort: 8000,
    appDatabase: 'app',
    appDbUser: 'app',
    appReleasesToKeep: 5,
    haproxyBalance: 'roundrobin',
    haproxyMaxconn: 4096,
    haproxyStatsPort: 8404,
    acmeHttpPort: 8888,
    mysqlReplicationUser: 'replication',
    basePackages: ['ca-certificates', 'curl', 'ufw'],
  };
  if (workload === 'site') {
    vars.mysqlAptRepository = `deb ${machineDebianMirror().archive} sid main`;
    vars.mysqlAptRelease = 'sid';
    if (acme) {
      vars.acmeServer = acme.server;
      vars.acmeCaBundle = acme.caBundle;
    }
  }
  return vars;
}

/** Where a tool connects to a host: the host itself, or the delaying proxy in front of it (--rtt). */
export type Endpoint = (host: StartedHost) => { address: string; port: number };

export const direct: Endpoint = (host) => ({ address: host.address, port: host.port });

// privateAddress: what the hosts use to reach each other (the site's contract, and the Ansible
// playbook's), which stays the container address when the tools connect through a proxy.
export function writeShipshapeInventory(file: string, hosts: StartedHost[], vars: Record<string, unknown>, key: string, knownHosts: string, endpoint = direct): void {
  const inventory = {
    hosts: Object.fromEntries(hosts.map((host) => [host.name, { ...endpoint(host), vars: { privateAddress: host.address } }])),
    groups: Object.fromEntries(Object.entries(GROUPS).map(([group, members]) => [group, { hosts: members }])),
    vars,
    defaults: { user: 'deploy', become: true, privateKey: key, knownHosts },
  };
  writeFileSync(file, `${JSON.stringify(inventory, null, 2)}\n`);
}

/** Ansible's YAML inventory (written as JSON, which YAML reads). */
export function writeAnsibleInventory(file: string, hosts: StartedHost[], vars: Record<string, unknown>, key: string, knownHosts: string, endpoint = direct): void {
  const inventory = {
    all: {
      hosts: Object.fromEntries(
        hosts.map((host) => {
          const { address, port } = endpoint(host);
          return [host.name, { ansible_host: address, ansible_port: port, privateAddress: host.address }];
        }),
      ),
      children: Object.fromEntries(Object.entries(GROUPS).map(([group, members]) => [group, { hosts: Object.fromEntries(members.map((m) => [m, {}])) }])),
      vars: {
        ...vars,
        ansible_user: 'deploy',
        ansible_ssh_private_key_file: key,
        ansible_ssh_common_args: `-o UserKnownHostsFile=${knownHosts} -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes`,
      },
    },
  };
  writeFileSync(file, `${JSON.stringify(inventory, null, 2)}\n`);
}
