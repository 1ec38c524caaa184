/**
 * The scale bench's playbook: 20 tasks of the common kinds (package, directories, files, template,
 * line, link, group, user, command guarded by `creates`, absent), all no-op after the first run.
 * No service task: the scale hosts run sshd without systemd (bench/scale/hosts.ts).
 */
import { apt, command, definePlaybook, file, group, play, user } from 'shipshape';

const dirs = [1, 2, 3, 4, 5].map((i) => `/opt/bench/d${i}`);

export default definePlaybook({
  name: 'scale (20 tasks)',
  plays: [
    play({
      name: 'twenty tasks',
      hosts: 'all',
      tasks: (host) => [
        apt.packages({ names: ['sudo', 'openssh-server', 'procps'] }, { name: 'packages present' }),
        file.directory({ path: '/opt/bench', mode: '0755' }),
        ...dirs.map((path) => file.directory({ path, owner: 'root', group: 'root', mode: '0750' })),
        ...[1, 2, 3, 4].map((i) => file.copy({ content: `setting ${i} for ${host.name}\n`, dest: `/opt/bench/d${i}/settings.conf`, mode: '0640' })),
        file.template({ src: 'motd.ejs', dest: '/opt/bench/motd', mode: '0644', vars: { role: 'scale' } }),
        file.line({ path: '/opt/bench/d5/options', line: 'verbose=false', regexp: '^verbose=', create: true }),
        file.link({ src: '/opt/bench/d1', dest: '/opt/bench/current' }),
        group({ name: 'bench', system: true }),
        user({ name: 'bench', system: true, group: 'bench', shell: '/usr/sbin/nologin', createHome: false }),
        command.shell({ command: 'date > /opt/bench/stamp', creates: '/opt/bench/stamp' }, { name: 'stamp once' }),
        file.absent({ path: '/opt/bench/obsolete' }),
        file.directory({ path: '/opt/bench/d5/cache', mode: '0700' }),
        file.directory({ path: '/opt/bench/d4/tmp', mode: '0755' }),
      ],
    }),
  ],
});
