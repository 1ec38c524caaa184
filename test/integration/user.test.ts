/**
 * `user` and `group` against a real Debian 13 host: apply → check with getent/id/stat through
 * docker exec (not shipshape) → apply again changes nothing → drift by hand → --check reports it
 * and changes nothing → apply fixes it.
 */
import { describe, expect, it } from 'vitest';
import { group } from '../../src/modules/group.ts';
import { user } from '../../src/modules/user.ts';
import { useModuleHost } from './support/module-host.ts';

const KEY_A = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa ann@laptop';
const KEY_B = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb bob@desk';
// `openssl passwd -6 -salt saltsalt secret`
const HASH = '$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1';

const lab = useModuleHost('users-01');
const { onHost, run, converge, checkThenFix } = lab;

describe('group', () => {
  it('creates with a gid, converges, repairs a changed gid, removes', async () => {
    const task = group({ name: 'appteam', gid: 2500 });
    await converge(task);
    expect(await onHost('getent group appteam')).toBe('appteam:x:2500:\n');

    await onHost('groupmod -g 2600 appteam');
    await checkThenFix(task, ['gid of group appteam: 2600 → 2500'], () => onHost('getent group appteam'));
    expect(await onHost('getent group appteam')).toBe('appteam:x:2500:\n');

    await converge(group({ name: 'scratch', system: true }));
    expect(Number((await onHost('getent group scratch')).split(':')[2])).toBeLessThan(1000);
    await converge(group({ name: 'scratch', state: 'absent' }));
    expect((await lab.host.shell('getent group scratch')).exitCode).toBe(2);
  });
});

describe('user', () => {
  const task = user({
    name: 'ann',
    uid: 3001,
    groups: ['appteam', 'adm'],
    shell: '/bin/bash',
    comment: 'Ann Admin',
    password: HASH,
    authorizedKeys: [KEY_A, KEY_B],
  });
  const account = () =>
    onHost('getent passwd ann; id -Gn ann; stat -c "%a %U" /home/ann/.ssh /home/ann/.ssh/authorized_keys; cat /home/ann/.ssh/authorized_keys');

  it('creates the account with groups, password and keys', async () => {
    const created = await converge(task);
    expect(created.changes.map((c) => c.description)).toEqual([
      'create user ann (uid 3001, groups appteam,adm, shell /bin/bash, password set)',
      'authorized keys of ann: 0 → 2 key(s)',
    ]);
    expect(JSON.stringify(created)).not.toContain(HASH);
    expect(await account()).toBe(
      `ann:x:3001:3001:Ann Admin:/home/ann:/bin/bash\nann adm appteam\n700 ann\n600 ann\n${KEY_A}\n${KEY_B}\n`,
    );
    expect(await onHost('getent shadow ann | cut -d: -f2')).toBe(`${HASH}\n`);
  });

  it('reports and repairs shell, groups and key drift made by hand', async () => {
    await onHost('usermod -s /bin/sh ann && gpasswd -d ann adm >/dev/null && chmod 0644 /home/ann/.ssh/authorized_keys');
    await checkThenFix(
      task,
      ['add ann to group(s) adm', 'shell of ann: /bin/sh → /bin/bash', 'mode of /home/ann/.ssh/authorized_keys: 0644 → 0600'],
      account,
    );
    expect(await account()).toBe(`ann:x:3001:3001:Ann Admin:/home/ann:/bin/bash\nann adm appteam\n700 ann\n600 ann\n${KEY_A}\n${KEY_B}\n`);

    await onHost(`sed -i '/bob@desk/d' /home/ann/.ssh/authorized_keys && echo "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQCother extra@key" >> /home/ann/.ssh/authorized_keys`);
    await checkThenFix(task, ['authorized keys of ann: 2 → 3 key(s)'], account);
    // Not exclusive: the hand-added key stays, the missing one is back.
    expect(await onHost('cat /home/ann/.ssh/authorized_keys')).toBe(`${KEY_A}\nssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQCother extra@key\n${KEY_B}\n`);

    const exclusive = user({ name: 'ann', authorizedKeys: [KEY_A], exclusiveKeys: true });
    await converge(exclusive);
    expect(await onHost('cat /home/ann/.ssh/authorized_keys')).toBe(`${KEY_A}\n`);
  });

  it('creates a system user without a home, then removes users', async () => {
    await converge(user({ name: 'svc', system: true, shell: '/usr/sbin/nologin', createHome: false }));
    const [, , uid, , , home] = (await onHost('getent passwd svc')).trim().split(':');
    expect(Number(uid)).toBeLessThan(1000);
    expect(await onHost(`test -e ${home} && echo yes || echo no`)).toBe('no\n');

    await converge(user({ name: 'svc', state: 'absent' }));
    expect((await lab.host.shell('getent passwd svc')).exitCode).toBe(2);
    await converge(user({ name: 'ann', state: 'absent', removeHome: true }));
    expect(await onHost('getent passwd ann || echo gone; test -e /home/ann && echo home || echo nohome')).toBe('gone\nnohome\n');
  });

  it('fails clearly when a group does not exist', async () => {
    const result = await run(user({ name: 'bob', groups: ['nosuchgroup'] }));
    expect(result.status).toBe('failed');
    expect(result.error).toContain('group(s) nosuchgroup do not exist');
    expect((await lab.host.shell('getent passwd bob')).exitCode).toBe(2);
  });
});
