/**
 * `connection: 'local'` with `become` through real sudo, the ansible-pull style: shipshape runs ON
 * the machine it provisions, as an unprivileged account. The machine is a lab container (the
 * controller is never changed): the installed form of shipshape (its packed build, esbuild for the
 * playbook, and this controller's node binary) is copied in, and the CLI runs there as `deploy`
 * (passwordless sudo, as the lab image sets it up) and as `puller` (sudo asks for a password: the
 * inventory's become password, as Ansible's). Results are read through our own docker exec.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHosts, type ShellResult, type TestHost, type TestHosts } from './support/lab-hosts.ts';

const INSTALL = '/opt/shipshape';
const PULLER_PASSWORD = 'pull-secret-7';
let lab: TestHosts | undefined;
let host: TestHost;

/** Runs the CLI inside the container as `user`, in its home, with `env` set. */
function shipshapeAs(user: string, args: string[], env: Record<string, string> = {}): ShellResult {
  const envArgs = Object.entries(env).flatMap(([key, value]) => ['-e', `${key}=${value}`]);
  try {
    const stdout = execFileSync('docker', ['exec', '-u', user, '-w', `/home/${user}`, '-e', 'NO_COLOR=1', ...envArgs, host.containerId, 'node', `${INSTALL}/bin/shipshape.js`, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { stdout, stderr: '', exitCode: 0 };
  } catch (error) {
    const failed = error as { stdout: string; stderr: string; status: number };
    return { stdout: failed.stdout, stderr: failed.stderr, exitCode: failed.status };
  }
}

/** What the playbook leaves on the machine, read as root through our own docker exec. */
async function state(): Promise<string> {
  const out = await host.shell("stat -c '%n %U:%G %a %i %Y' /srv/app /srv/app/config /srv/app/root-task-ran-as; cat /srv/app/config /srv/app/root-task-ran-as");
  expect(out.exitCode, out.stderr).toBe(0);
  return out.stdout;
}

beforeAll(async () => {
  // The build an installed package runs (what `npm pack` ships), made from this checkout.
  execFileSync(process.execPath, ['bin/build.js', '--package'], { stdio: 'inherit' });
  lab = await startTestHosts(['pull-01']);
  host = lab.hosts[0]!;
  const stopped = await host.shell('systemctl stop ssh.socket ssh.service; ! pgrep -x sshd');
  expect(stopped.exitCode, stopped.stderr).toBe(0);
  execFileSync('docker', ['cp', process.execPath, `${host.containerId}:/usr/local/bin/node`]);
  // tar straight into docker exec: the archive is binary (host.shell takes text).
  execFileSync('sh', ['-c', 'tar -c package.json bin dist/package node_modules/esbuild node_modules/@esbuild | docker exec -i "$1" sh -c "mkdir -p $2 && tar -C $2 -x && chmod -R a+rX $2"', 'sh', host.containerId, INSTALL]);
  expect((await host.shell(`test -e ${INSTALL}/dist/package/index.mjs && test ! -e ${INSTALL}/src`)).exitCode).toBe(0);
  const playbook = readFileSync(path.resolve('test/fixtures/playbooks/container-host.ts'), 'utf8');
  const inventory = 'hosts:\n  this-machine:\n    address: localhost\n    connection: local\n    become: true\n';
  const withPassword = `${inventory}    becomePassword: { $env: PULL_BECOME_PASSWORD }\n`;
  const users = await host.shell(
    [
      'set -e',
      'useradd --create-home --shell /bin/bash puller',
      `echo 'puller:${PULLER_PASSWORD}' | chpasswd`,
      "echo 'puller ALL=(ALL) ALL' > /etc/sudoers.d/90-puller && chmod 0440 /etc/sudoers.d/90-puller",
      // A sudo that asked puller no password would make the password test meaningless.
      'if su puller -c "sudo -n true" 2>/dev/null; then echo "sudo asks puller no password" >&2; exit 1; fi',
    ].join('\n'),
  );
  expect(users.exitCode, users.stderr).toBe(0);
  for (const [user, text] of [[host.user, inventory], ['puller', withPassword]] as const) {
    expect((await host.shell(`cat > /home/${user}/site.ts && chown ${user}: /home/${user}/site.ts`, playbook)).exitCode).toBe(0);
    expect((await host.shell(`cat > /home/${user}/local.yml && chown ${user}: /home/${user}/local.yml`, text)).exitCode).toBe(0);
  }
}, 900_000);

afterAll(async () => {
  await lab?.stop();
});

describe('connection: local with become through sudo, run on the machine itself', () => {
  it('as deploy (passwordless sudo): converges root-owned state, its own task runs as itself, and the rerun changes nothing', async () => {
    expect((await host.shell('test ! -e /srv/app')).exitCode).toBe(0);
    const first = shipshapeAs(host.user, ['apply', 'site.ts', '-i', 'local.yml', '--json']);
    expect(first.exitCode, first.stdout + first.stderr).toBe(0);
    const after = await state();
    expect(after).toMatch(/\/srv\/app app:app 750 /);
    expect(after).toMatch(/\/srv\/app\/config app:app 640 /);
    expect(after.endsWith('name=this-machine\nroot\n')).toBe(true);
    // The task with become: false ran as deploy itself, not as root.
    expect((await host.shell('stat -c %U /tmp/own-task-ran-as; cat /tmp/own-task-ran-as')).stdout).toBe(`${host.user}\n${host.user}\n`);

    const second = shipshapeAs(host.user, ['apply', 'site.ts', '-i', 'local.yml', '--json']);
    expect(second.exitCode, second.stdout + second.stderr).toBe(0);
    const recap = JSON.parse(second.stdout.trim().split('\n').at(-1)!) as { type: string; hosts: Record<string, { changed: number }> };
    expect(recap.type).toBe('recap');
    expect(recap.hosts['this-machine']!.changed).toBe(0);
    expect(await state()).toBe(after);
  }, 600_000);

  it('as puller (sudo asks a password): a wrong become password fails clearly and changes nothing; the right one fixes a drift only root can fix', async () => {
    expect((await host.shell('rm /srv/app/config')).exitCode).toBe(0);
    const wrong = shipshapeAs('puller', ['apply', 'site.ts', '-i', 'local.yml'], { PULL_BECOME_PASSWORD: 'not-the-password' });
    expect(wrong.exitCode).not.toBe(0);
    expect(wrong.stdout + wrong.stderr).toMatch(/this-machine[\s\S]*cannot become root with sudo/);
    expect(wrong.stdout + wrong.stderr).not.toContain('not-the-password');
    expect((await host.shell('test ! -e /srv/app/config')).exitCode).toBe(0);

    const right = shipshapeAs('puller', ['apply', 'site.ts', '-i', 'local.yml'], { PULL_BECOME_PASSWORD: PULLER_PASSWORD });
    expect(right.exitCode, right.stdout + right.stderr).toBe(0);
    expect(right.stdout + right.stderr).not.toContain(PULLER_PASSWORD);
    expect((await host.shell("stat -c '%U:%G %a' /srv/app/config; cat /srv/app/config")).stdout).toBe('app:app 640\nname=this-machine\n');
  }, 600_000);
});
