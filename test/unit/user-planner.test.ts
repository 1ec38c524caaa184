import { describe, expect, it } from 'vitest';
import { groupSchema, parseGroupLine, planGroup } from '../../src/modules/group/group.ts';
import { planUser, wantedKeysText } from '../../src/modules/user/user.ts';
import { parseUserState } from '../../src/modules/user/probe.ts';
import { userSchema } from '../../src/modules/user/schema.ts';
import { Secret } from '../../src/secrets/secret.ts';

const KEY_A = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa ann@laptop';
const KEY_B = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb bob@desk';

/** Recorded output of the state command for an existing user on Debian 13. */
const existing = [
  'hasgroup:sudo',
  'hasgroup:adm',
  'hasgroup:deploy',
  'passwd:deploy:x:1001:1001:Deploy user:/home/deploy:/bin/sh',
  'primary:deploy',
  'groups:deploy adm',
  'shadow:$6$old$hash',
  'sshdir:755|deploy|deploy',
  'keysfile:644|root|root',
  '--keys--',
  `${KEY_A}`,
  '',
].join('\n');

const args = (input: Record<string, unknown>) => userSchema.parse({ name: 'deploy', ...input });
const lines = (plan: { changes: { description: string }[] }) => plan.changes.map((c) => c.description);

describe('user state parser', () => {
  it('parses passwd, groups, shadow and keys', () => {
    const state = parseUserState(existing);
    expect(state.passwd).toEqual({ uid: 1001, gid: 1001, comment: 'Deploy user', home: '/home/deploy', shell: '/bin/sh' });
    expect(state.primaryGroup).toBe('deploy');
    expect(state.groups).toEqual(['adm']);
    expect(state.shadowHash).toBe('$6$old$hash');
    expect(state.existingGroups).toEqual(['sudo', 'adm', 'deploy']);
    expect(state.sshDir).toEqual({ mode: '0755', owner: 'deploy', group: 'deploy' });
    expect(state.keysFile).toEqual({ mode: '0644', owner: 'root', group: 'root' });
    expect(state.keysContent).toBe(`${KEY_A}\n`);
  });

  it('parses a missing user', () => {
    const state = parseUserState('hasgroup:sudo\n');
    expect(state.passwd).toBeUndefined();
    expect(state.existingGroups).toEqual(['sudo']);
  });
});

describe('user planner', () => {
  it('creates a missing user with its keys', () => {
    const plan = planUser(parseUserState('hasgroup:sudo\n'), args({ groups: ['sudo'], shell: '/bin/bash', authorizedKeys: [KEY_A] }));
    expect(lines(plan)).toEqual(['create user deploy (groups sudo, shell /bin/bash)', 'authorized keys of deploy: 0 → 1 key(s)']);
    expect(plan.changes[1].diff).toEqual({ path: '/home/deploy/.ssh/authorized_keys', before: '', after: `${KEY_A}\n` });
    expect(plan.data).toMatchObject({ action: 'create', keys: `${KEY_A}\n` });
  });

  it('refuses groups that do not exist', () => {
    expect(() => planUser(parseUserState('hasgroup:sudo\n'), args({ groups: ['sudo', 'docker'] }))).toThrow(
      'user deploy: group(s) docker do not exist',
    );
  });

  it('is a no-op when everything matches', () => {
    const ok = existing.replace('sshdir:755', 'sshdir:700').replace('keysfile:644|root|root', 'keysfile:600|deploy|deploy');
    const plan = planUser(
      parseUserState(ok),
      args({ uid: 1001, groups: ['adm'], shell: '/bin/sh', comment: 'Deploy user', password: '$6$old$hash', authorizedKeys: [KEY_A] }),
    );
    expect(plan.changes).toEqual([]);
    expect(plan.data!.action).toBe('none');
  });

  it('reports each drifted field and builds one usermod', () => {
    const plan = planUser(
      parseUserState(existing),
      args({ uid: 2000, groups: ['sudo'], shell: '/bin/bash', comment: 'CI', password: new Secret('$6$new$hash', 'test') }),
    );
    expect(lines(plan)).toEqual([
      'uid of deploy: 1001 → 2000',
      'add deploy to group(s) sudo',
      'remove deploy from group(s) adm',
      'shell of deploy: /bin/sh → /bin/bash',
      'comment of deploy: "Deploy user" → "CI"',
      'password of deploy',
    ]);
    expect(plan.data!.usermod).toEqual(['-u', '2000', '-G', 'sudo', '-s', '/bin/bash', '-c', 'CI']);
    expect(plan.data!.setPassword).toBe(true);
    expect(JSON.stringify(plan.changes)).not.toContain('$6$');
  });

  it('appends groups without removing others', () => {
    const plan = planUser(parseUserState(existing), args({ groups: ['sudo'], append: true }));
    expect(lines(plan)).toEqual(['add deploy to group(s) sudo']);
    expect(plan.data!.usermod).toEqual(['-a', '-G', 'sudo']);
  });

  it('adds a missing key and fixes ssh dir and file attributes', () => {
    const plan = planUser(parseUserState(existing), args({ authorizedKeys: [KEY_A, KEY_B] }));
    expect(lines(plan)).toEqual(['authorized keys of deploy: 1 → 2 key(s)', 'mode of /home/deploy/.ssh: 0755 → 0700']);
    expect(plan.data!.keys).toBe(`${KEY_A}\n${KEY_B}\n`);
    expect(plan.data!.fixSshAttributes).toBe(true);
  });

  it('reports authorized_keys attribute drift when the content is right', () => {
    const plan = planUser(parseUserState(existing.replace('sshdir:755', 'sshdir:700')), args({ authorizedKeys: [KEY_A] }));
    expect(lines(plan)).toEqual([
      'owner of /home/deploy/.ssh/authorized_keys: root → deploy',
      'mode of /home/deploy/.ssh/authorized_keys: 0644 → 0600',
    ]);
  });

  it('removes a user that exists, nothing when absent', () => {
    expect(lines(planUser(parseUserState(existing), args({ state: 'absent', removeHome: true })))).toEqual(['remove user deploy and its home']);
    expect(planUser(parseUserState(''), args({ state: 'absent' })).changes).toEqual([]);
  });

  it('rejects a plain password and bad names', () => {
    expect(userSchema.safeParse({ name: 'deploy', password: 'hunter2' }).success).toBe(false);
    expect(userSchema.safeParse({ name: 'Bad Name' }).success).toBe(false);
    expect(userSchema.safeParse({ name: 'x', comment: 'a:b' }).success).toBe(false);
  });
});

describe('authorized keys', () => {
  it('keeps other keys and does not duplicate a key whose comment differs', () => {
    const current = `# managed elsewhere\n${KEY_A}\n`;
    expect(wantedKeysText(current, [KEY_A.replace('ann@laptop', 'ann@other')], false)).toBe(current);
    expect(wantedKeysText(current, [KEY_B], false)).toBe(`${current}${KEY_B}\n`);
    expect(wantedKeysText('no-newline-at-end', [KEY_B], false)).toBe(`no-newline-at-end\n${KEY_B}\n`);
  });

  it('exclusive keeps only the listed keys', () => {
    expect(wantedKeysText(`${KEY_A}\n`, [KEY_B], true)).toBe(`${KEY_B}\n`);
    expect(wantedKeysText(`${KEY_A}\n`, [], true)).toBe('');
  });
});

describe('group planner', () => {
  const entry = parseGroupLine('app:x:1500:ann,bob\n');

  it('parses getent group', () => {
    expect(entry).toEqual({ name: 'app', gid: 1500, members: ['ann', 'bob'] });
  });

  it('creates, changes gid, removes, or does nothing', () => {
    expect(lines(planGroup(undefined, groupSchema.parse({ name: 'app', gid: 1500, system: true })))).toEqual(['create group app (gid 1500, system)']);
    expect(lines(planGroup(entry, groupSchema.parse({ name: 'app', gid: 1600 })))).toEqual(['gid of group app: 1500 → 1600']);
    expect(planGroup(entry, groupSchema.parse({ name: 'app', gid: 1500 })).changes).toEqual([]);
    expect(planGroup(entry, groupSchema.parse({ name: 'app' })).changes).toEqual([]);
    expect(lines(planGroup(entry, groupSchema.parse({ name: 'app', state: 'absent' })))).toEqual(['remove group app']);
    expect(planGroup(undefined, groupSchema.parse({ name: 'app', state: 'absent' })).changes).toEqual([]);
  });
});
