// playbook.ts: uses the module like any other.
import { definePlaybook, play } from 'shipshape';
import { permissions } from './permissions.ts';

export default definePlaybook([
  play({
    name: 'tighten permissions',
    hosts: 'all',
    tasks: [permissions({ path: '/etc/ssh/sshd_config', mode: '0600' }), permissions({ path: '/etc/shadow', mode: '0640' })],
  }),
]);
