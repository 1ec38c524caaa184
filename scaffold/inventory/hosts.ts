/**
 * Your servers. Replace the address (and the key) with yours; `npx shipshape inventory -i
 * inventory/hosts.ts` shows what shipshape makes of it.
 */
import { defineInventory } from 'shipshape';

export default defineInventory({
  defaults: { user: 'deploy', become: true, privateKey: '~/.ssh/id_ed25519' },
  hosts: {
    'web-01': { address: '203.0.113.10' },
  },
  groups: {
    web: { hosts: ['web-01'] },
  },
});
