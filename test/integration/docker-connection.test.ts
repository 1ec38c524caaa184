/**
 * `connection: 'docker'` (Ansible's `ansible_connection=docker` / `community.docker.docker`): a
 * host's tasks run in a container through `docker exec -i`, the same shell session protocol as
 * over SSH. The lab containers' sshd is stopped first, so nothing can go through SSH. One host is
 * written as shipshape's own YAML inventory (root, the default), the other as an Ansible INI line
 * with a non-root `ansible_user` and `ansible_become`. Every result is checked in the container
 * through our own `docker exec`, never through shipshape's report.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, jsonLines } from './support/cli.ts';
import { startTestHosts, type TestHost, type TestHosts } from './support/lab-hosts.ts';

const PLAYBOOK = path.resolve('test/fixtures/playbooks/container-host.ts');
const dir = mkdtempSync(path.join(tmpdir(), 'shipshape-docker-conn-'));
let lab: TestHosts | undefined;
let asRoot: TestHost;
let asUser: TestHost;
let inventory: string;

beforeAll(async () => {
  lab = await startTestHosts(['dock-root', 'dock-user']);
  [asRoot, asUser] = lab.hosts as [TestHost, TestHost];
  for (const host of lab.hosts) {
    const stopped = await host.shell('systemctl stop ssh.socket ssh.service; ! pgrep -x sshd');
    expect(stopped.exitCode, stopped.stderr).toBe(0);
  }
  writeFileSync(path.join(dir, 'hosts.yml'), `hosts:\n  dock-root:\n    address: ${asRoot.containerId}\n    connection: docker\n`);
  inventory = path.join(dir, 'hosts.ini');
  writeFileSync(
    inventory,
    [
      `dock-root ansible_connection=docker ansible_host=${asRoot.containerId}`,
      `dock-user ansible_connection=community.docker.docker ansible_host=${asUser.containerId} ansible_user=${asUser.user} ansible_become=yes`,
      '',
    ].join('\n'),
  );
}, 600_000);

afterAll(async () => {
  await lab?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** What the playbook leaves in a container, read with our own docker exec. */
async function state(host: TestHost): Promise<string> {
  const out = await host.shell(
    "getent passwd app | cut -d: -f1,7; id -nG app; stat -c '%n %U:%G %a %i %Y' /srv/app /srv/app/config /srv/app/root-task-ran-as /tmp/own-task-ran-as; cat /srv/app/config /srv/app/root-task-ran-as /tmp/own-task-ran-as",
  );
  expect(out.exitCode, out.stderr).toBe(0);
  return out.stdout;
}

describe('connection: docker', () => {
  it("shipshape's YAML inventory: a root container converges without SSH, and the rerun changes nothing on the host", async () => {
    const yaml = path.join(dir, 'hosts.yml');
    const first = await cli('apply', PLAYBOOK, '-i', yaml, '--json');
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const after = await state(asRoot);
    expect(after).toMatch(/^app:\/bin\/sh\napp\n/);
    expect(after).toMatch(/\/srv\/app app:app 750 /);
    expect(after).toMatch(/\/srv\/app\/config app:app 640 /);
    // Neither inventory names a user: root, by docker exec's --user root, for both tasks.
    expect(after.endsWith('name=dock-root\nroot\nroot\n')).toBe(true);

    const second = await cli('apply', PLAYBOOK, '-i', yaml, '--json');
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(jsonLines(second.stdout).at(-1)!.hosts['dock-root']).toMatchObject({ changed: 0, failed: 0 });
    // Same inodes and mtimes: nothing was rewritten.
    expect(await state(asRoot)).toBe(after);
  }, 600_000);

  it('an Ansible INI inventory: a non-root ansible_user becomes root with --user root, its own task runs as itself; a drift is planned and fixed', async () => {
    const first = await cli('apply', PLAYBOOK, '-i', inventory, '--limit', 'dock-user', '--json');
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const after = await state(asUser);
    expect(after).toMatch(/\/srv\/app\/config app:app 640 /);
    expect(after).toMatch(/\/tmp\/own-task-ran-as deploy:deploy /);
    expect(after.endsWith(`name=dock-user\nroot\n${asUser.user}\n`)).toBe(true);

    const second = await cli('apply', PLAYBOOK, '-i', inventory, '--limit', 'dock-user', '--json');
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(await state(asUser)).toBe(after);

    expect((await asUser.shell('echo drift > /srv/app/config')).exitCode).toBe(0);
    const planned = await cli('plan', PLAYBOOK, '-i', inventory, '--limit', 'dock-user');
    expect(planned.code, planned.stdout + planned.stderr).toBe(2);
    expect((await asUser.shell('cat /srv/app/config')).stdout).toBe('drift\n');
    const fixed = await cli('apply', PLAYBOOK, '-i', inventory, '--limit', 'dock-user');
    expect(fixed.code, fixed.stdout + fixed.stderr).toBe(0);
    expect((await asUser.shell('cat /srv/app/config')).stdout).toBe('name=dock-user\n');
  }, 600_000);

  it('a container that does not exist fails its host with docker\'s own reason, named', async () => {
    const missing = path.join(dir, 'missing.ini');
    writeFileSync(missing, 'gone ansible_connection=docker ansible_host=shipshape-no-such-container-0\n');
    const ran = await cli('apply', PLAYBOOK, '-i', missing);
    expect(ran.code).not.toBe(0);
    expect(ran.stdout + ran.stderr).toMatch(/gone[\s\S]*No such container: shipshape-no-such-container-0/);
  }, 300_000);
});
