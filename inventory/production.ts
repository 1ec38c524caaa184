/**
 * Three real servers. Addresses are placeholders: replace them, point your DNS at the load
 * balancer, and export the two secrets before running:
 *
 *   export MYSQL_APP_PASSWORD=... MYSQL_REPLICATION_PASSWORD=...
 *   npx shipshape apply playbooks/site.ts -i inventory/production.ts
 *
 * (or keep them in the vault: `shipshape vault encrypt-string` and `secret.vault('...')`).
 */
import { defineInventory, secret } from 'shipshape';

export default defineInventory({
  defaults: { user: 'deploy', become: true, privateKey: '~/.ssh/id_ed25519' },
  hosts: {
    'lb-01': { address: '203.0.113.10', vars: { privateAddress: '10.0.0.10' } },
    'web-01': { address: '203.0.113.11', vars: { privateAddress: '10.0.0.11' } },
    'web-02': { address: '203.0.113.12', vars: { privateAddress: '10.0.0.12' } },
  },
  groups: {
    lb: { hosts: ['lb-01'] },
    web: { hosts: ['web-01', 'web-02'] },
    db: { hosts: ['web-01', 'web-02'] },
  },
  vars: {
    domains: ['www.example.com', 'example.com'],
    acmeEmail: 'ops@example.com',
    sshAllowFrom: ['198.51.100.0/24'],
    mysqlPrimary: 'web-01',
    mysqlAppPassword: secret.env('MYSQL_APP_PASSWORD'),
    mysqlReplicationPassword: secret.env('MYSQL_REPLICATION_PASSWORD'),
  },
});
