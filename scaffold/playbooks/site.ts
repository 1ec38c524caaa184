/**
 * The site: every host gets the base role, and a directory for the team's scripts. Plan it, then
 * apply it:
 *
 *   npm run plan     # what would change (exit 2 when anything would)
 *   npm run apply
 */
import { definePlaybook, file, play } from 'shipshape';
import { baseRole } from './roles/base.ts';

export default definePlaybook({
  name: 'site',
  plays: [
    play({
      name: 'base',
      hosts: 'all',
      tasks: (host) => [
        baseRole({ message: `${host.name} is managed by shipshape` }),
        file.directory({ path: '/opt/scripts', owner: 'root', group: 'root', mode: '0755' }),
      ],
    }),
  ],
});
