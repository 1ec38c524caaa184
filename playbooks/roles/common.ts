import { apt, ufw, type HostView, type TaskList } from 'shipshape';
import { MONITORING_PORTS } from './monitoring.ts';
import { addressOf, BACKEND_TLS, groupMembers, lbPair, siteVars } from './site-vars.ts';

type FirewallRule = { rule: 'allow' | 'limit'; port?: number; proto: 'tcp' | 'vrrp'; from: string; comment: string };

/**
 * What each role needs open, and nothing else. A host in several groups (web + db) gets the union.
 * Sources are the peers' private addresses, so a rule follows the inventory when hosts change.
 */
export function firewallRules(host: HostView): FirewallRule[] {
  const vars = siteVars(host);
  // `allow`, not `limit`: ufw's limit refuses a 7th connection within 30 s, which bites tools and
  // people that connect often (CI, several terminals); sshd's own MaxStartups guards the handshake.
  const rules: FirewallRule[] = vars.sshAllowFrom.map((from) => ({ rule: 'allow', port: 22, proto: 'tcp', from: normalizeAny(from), comment: 'ssh' }));
  const inGroup = (group: string) => host.groups.includes(group);
  if (inGroup('lb')) {
    rules.push({ rule: 'allow', port: 80, proto: 'tcp', from: 'any', comment: 'http (redirect, ACME)' });
    rules.push({ rule: 'allow', port: 443, proto: 'tcp', from: 'any', comment: 'https' });
    // keepalived's adverts (IP protocol 112) from the peer only; nothing else of VRRP is open.
    const pair = lbPair(host);
    if (pair) {
      rules.push({ rule: 'allow', proto: 'vrrp', from: pair.peer, comment: `vrrp from ${pair.peerName}` });
      // The peer's HAProxy hands over ACME challenges for a certbot running here.
      rules.push({ rule: 'allow', port: vars.acmeHttpPort, proto: 'tcp', from: pair.peer, comment: `acme challenges from ${pair.peerName}` });
    }
  }
  if (inGroup('web')) {
    for (const lb of groupMembers(host, 'lb')) {
      rules.push(
        vars.backendTls
          ? { rule: 'allow', port: BACKEND_TLS.port, proto: 'tcp', from: addressOf(host, lb), comment: `https from ${lb}` }
          : { rule: 'allow', port: 80, proto: 'tcp', from: addressOf(host, lb), comment: `http from ${lb}` },
      );
    }
  }
  if (inGroup('db')) {
    for (const peer of groupMembers(host, 'db').filter((name) => name !== host.name)) {
      rules.push({ rule: 'allow', port: 3306, proto: 'tcp', from: addressOf(host, peer), comment: `mysql from ${peer}` });
    }
  }
  // Each exporter's port to the monitoring host(s) alone.
  for (const monitor of groupMembers(host, 'monitoring')) {
    const from = addressOf(host, monitor);
    rules.push({ rule: 'allow', port: MONITORING_PORTS.node, proto: 'tcp', from, comment: `node exporter from ${monitor}` });
    if (inGroup('db')) rules.push({ rule: 'allow', port: MONITORING_PORTS.mysqld, proto: 'tcp', from, comment: `mysqld exporter from ${monitor}` });
    if (inGroup('lb')) rules.push({ rule: 'allow', port: MONITORING_PORTS.haproxy, proto: 'tcp', from, comment: `haproxy metrics from ${monitor}` });
  }
  return rules;
}

function normalizeAny(cidr: string): string {
  return cidr === '0.0.0.0/0' ? 'any' : cidr;
}

/** Every host: base packages and a default-deny firewall. */
export function commonRole(host: HostView): TaskList {
  const vars = siteVars(host);
  return [
    apt.packages({ names: vars.basePackages, updateCache: true, cacheValidTime: 3600 }, { name: 'base packages', tags: ['packages'] }),
    ufw.firewall(
      {
        state: 'enabled',
        defaults: { incoming: 'deny', outgoing: 'allow', routed: 'deny' },
        logging: 'low',
        rules: firewallRules(host),
        purge: true,
      },
      { name: 'firewall', tags: ['firewall'] },
    ),
  ];
}
