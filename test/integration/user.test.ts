/**
 * `user` and `group` against a real Debian 13 host: apply → check with getent/id/stat through
 * docker exec (not shipshape) → apply again changes nothing → drift by hand → --check reports it
 * and changes nothing → apply fixes it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { group } from '../../src/modules/group/index.ts';
import { user } from '../../src/modules/user/index.ts';
import { startCli } from './support/cli.ts';
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

describe('user keys in a home the account controls', () => {
  // The account owns its home, so it may replace /home/mallory/.ssh or authorized_keys with anything between
  // two runs. Each case: refused by the real CLI in plan and apply, naming host, task and path,
  // printing nothing of what the link points to, and the link's target untouched.
  const KEY_M = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm m@x';
  const keys = user({ name: 'mallory', authorizedKeys: [KEY_M] }, { name: 'keys of mallory' });
  const PLAYBOOK = path.resolve('test/fixtures/reliability/user-keys.ts');
  const dir = mkdtempSync(path.join(tmpdir(), 'shipshape-user-keys-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const asMallory = (cmd: string) => onHost(`setpriv --reuid=mallory --regid=mallory --init-groups -- sh -c '${cmd}'`);

  /** plan (with diffs), plan --json, apply --diff and apply --json through the CLI: each must fail with `reason`, without `secretLines`. */
  async function refusedEverywhere(reason: string, secretLines: string[]): Promise<void> {
    const host = lab.host;
    const inventory = path.join(dir, 'inventory.json');
    writeFileSync(
      inventory,
      JSON.stringify({
        defaults: { user: 'deploy', become: true, privateKey: host.privateKeyPath, knownHosts: host.knownHostsPath },
        hosts: { [host.name]: { address: host.address, port: host.port } },
      }),
    );
    for (const args of [['plan'], ['plan', '--json'], ['apply', '--diff'], ['apply', '--json']]) {
      const result = await startCli([args[0], PLAYBOOK, '-i', inventory, ...args.slice(1)]).done;
      const output = result.stdout + result.stderr;
      expect(result.code, `${args.join(' ')}: ${output}`).toBe(1);
      for (const part of [host.name, 'keys of mallory', reason]) expect(output, args.join(' ')).toContain(part);
      for (const line of secretLines) expect(output, args.join(' ')).not.toContain(line);
    }
  }

  it('refuses authorized_keys linked to /etc/shadow: never read, shown nor written', async () => {
    await converge(keys);
    const shadowBefore = await onHost('sha256sum /etc/shadow; stat -c "%U %G %a %h" /etc/shadow');
    const shadowLines = (await onHost('cat /etc/shadow')).split('\n').filter((l) => l.includes(':'));
    await asMallory('ln -sf /etc/shadow /home/mallory/.ssh/authorized_keys');

    await refusedEverywhere('/home/mallory/.ssh/authorized_keys is a symbolic link', shadowLines);
    const engineRun = await run(keys);
    expect(engineRun.status).toBe('failed');
    expect(JSON.stringify(engineRun)).not.toContain('root:');
    expect(await onHost('sha256sum /etc/shadow; stat -c "%U %G %a %h" /etc/shadow')).toBe(shadowBefore);
    expect(await onHost('readlink /home/mallory/.ssh/authorized_keys')).toBe('/etc/shadow\n');
  });

  it('refuses /home/mallory/.ssh linked to a root-owned directory: its owner and mode stay', async () => {
    await onHost('mkdir -p /srv/rootonly && chmod 0755 /srv/rootonly');
    const before = await onHost('stat -c "%U %G %a" /srv/rootonly /etc/sudoers.d; ls -A /srv/rootonly /etc/sudoers.d');
    await asMallory('rm -rf /home/mallory/.ssh && ln -s /srv/rootonly /home/mallory/.ssh');
    await refusedEverywhere('/home/mallory/.ssh is a symbolic link', []);
    await asMallory('rm /home/mallory/.ssh && ln -s /etc/sudoers.d /home/mallory/.ssh');
    await refusedEverywhere('/home/mallory/.ssh is a symbolic link', []);
    expect(await onHost('stat -c "%U %G %a" /srv/rootonly /etc/sudoers.d; ls -A /srv/rootonly /etc/sudoers.d')).toBe(before);
  });

  it('refuses a file in /home/mallory/.ssh owned by another account, then converges once it is gone', async () => {
    await asMallory('rm /home/mallory/.ssh && mkdir -m 0700 /home/mallory/.ssh');
    await onHost('echo "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAInobodys nobody@x" > /home/mallory/.ssh/authorized_keys && chown nobody:nogroup /home/mallory/.ssh/authorized_keys && chmod 0644 /home/mallory/.ssh/authorized_keys');
    await refusedEverywhere('/home/mallory/.ssh/authorized_keys is owned by nobody, not by the account', []);
    expect(await onHost('stat -c "%U %G %a" /home/mallory/.ssh/authorized_keys')).toBe('nobody nogroup 644\n');

    await onHost('rm /home/mallory/.ssh/authorized_keys');
    await converge(keys);
    expect(await onHost('stat -c "%U %G %a" /home/mallory/.ssh /home/mallory/.ssh/authorized_keys; cat /home/mallory/.ssh/authorized_keys')).toBe(
      `mallory mallory 700\nmallory mallory 600\n${KEY_M}\n`,
    );
  });
});
