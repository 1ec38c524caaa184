/**
 * Faults survived, through the real CLI on three lab hosts (issue 5): an unreachable host, a host
 * lost mid-play, a hanging command, the dpkg lock held, a configuration failing validation, SIGINT,
 * two runs at once (the remote run lock, and a crashed controller leaving no stale lock), and writes
 * onto a read-only and a full filesystem. Each checks the hosts independently (docker exec).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, jsonLines, startCli, waitUntil, type RunningCli } from './support/cli.ts';
import { startTestHosts, type TestHost, type TestHosts } from './support/lab-hosts.ts';

const docker = promisify(execFile);
const PLAYBOOK = path.resolve('test/fixtures/reliability/faults.ts');
const INTERRUPT = path.resolve('test/fixtures/reliability/interrupt.ts');
const dir = mkdtempSync(path.join(tmpdir(), 'shipshape-faults-'));
const inventory = path.join(dir, 'inventory.json');
const withGhost = path.join(dir, 'inventory-ghost.json');
let lab: TestHosts | undefined;
let hosts: TestHost[] = [];

const apply = (...args: string[]) => cli('apply', PLAYBOOK, '-i', inventory, '--json', ...args);
const recapOf = (stdout: string) => jsonLines(stdout).at(-1)!;
const onHost = async (host: TestHost, cmd: string) => (await host.shell(cmd)).stdout;
/** Temporary files of atomic writes (remote-files.ts names them `.NAME.shipshape-XXXXXX`). */
const tempFiles = (host: TestHost) => onHost(host, "find / -xdev -name '.*.shipshape-*' 2>/dev/null");
const exists = (host: TestHost, file: string) => async () => (await onHost(host, `test -e ${file} && echo yes`)).trim() === 'yes';
const started = (host: TestHost) => exists(host, '/srv/rel/started');
/** Waits for `check` while the CLI runs; fails with its output if it ended first. */
async function whileRunning(running: RunningCli, check: () => Promise<boolean>, pollMs = 100): Promise<void> {
  let ended = false;
  void running.done.then(() => (ended = true));
  while (!(await check())) {
    if (ended) {
      const { stdout, stderr } = running.output();
      expect.fail(`the run ended first (exit ${running.child.exitCode}):\n${stdout.slice(-2000)}\n${stderr.slice(-2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
const mainPid = async (host: TestHost) => (await onHost(host, 'systemctl show -p MainPID --value rel-svc')).trim();
/** The engine's record of handlers not run yet, for the faults playbook (pending-handlers.ts). */
const PENDING_RECORD = '/var/lib/shipshape/pending-handlers/faults.json';

beforeAll(async () => {
  lab = await startTestHosts(['rel-1', 'rel-2', 'rel-3']);
  hosts = lab.hosts;
  const [first] = hosts;
  const spec = {
    defaults: { user: 'deploy', become: true, privateKey: first.privateKeyPath, knownHosts: first.knownHostsPath },
    hosts: Object.fromEntries(hosts.map((h) => [h.name, { address: h.address, port: h.port }])),
  };
  writeFileSync(inventory, JSON.stringify(spec));
  // Port 1 on the loopback: nothing listens, the connection is refused at once.
  writeFileSync(withGhost, JSON.stringify({ ...spec, hosts: { ...spec.hosts, ghost: { address: '127.0.0.1', port: 1 } } }));
});

afterAll(async () => {
  for (const host of hosts) await docker('docker', ['unpause', host.containerId]).catch(() => undefined);
  await lab?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('faults', () => {
  it('an unreachable host: the others finish, the recap marks it unreachable, exit 1', async () => {
    const result = await cli('apply', PLAYBOOK, '-i', withGhost, '--json', '-e', 'scenario=slow', '-e', 'sleep=0');
    expect(result.code, result.stderr).toBe(1);
    const recap = recapOf(result.stdout);
    expect(recap.hosts.ghost).toMatchObject({ unreachable: 1 });
    expect(jsonLines(result.stdout).find((l) => l.type === 'unreachable')!.error).toBe('host ghost: cannot connect to 127.0.0.1:1: connection refused');
    for (const host of hosts) {
      expect(recap.hosts[host.name]).toMatchObject({ failed: 0, unreachable: 0 });
      expect(await onHost(host, 'cat /srv/rel/after')).toBe(`after slow step on ${host.name}\n`);
    }
  });

  it('a host lost mid-play fails with a clear reason (keepalive), the others complete, a re-run converges it', async () => {
    const [, , lost] = hosts;
    for (const host of hosts) await host.shell('rm -f /srv/rel/started /srv/rel/after');
    const running = startCli(['apply', PLAYBOOK, '-i', inventory, '--json', '-e', 'scenario=slow', '-e', 'sleep=8']);
    await waitUntil(started(lost));
    await docker('docker', ['pause', lost.containerId]);
    let result;
    try {
      // Without keepalives this would never return: the paused host keeps the TCP connection open.
      result = await running.done;
    } finally {
      await docker('docker', ['unpause', lost.containerId]);
    }
    expect(result.code).toBe(1);
    const lines = jsonLines(result.stdout);
    const failure = lines.find((l) => l.type === 'task' && l.host === lost.name && l.status === 'failed')!;
    expect(failure.task).toBe('slow step');
    expect(failure.error).toMatch(/^host rel-3: connection lost/);
    const recap = recapOf(result.stdout);
    expect(recap.hosts[lost.name].failed).toBe(1);
    for (const host of hosts.slice(0, 2)) {
      expect(recap.hosts[host.name]).toMatchObject({ failed: 0, unreachable: 0 });
      expect(await onHost(host, 'cat /srv/rel/after')).toBe(`after slow step on ${host.name}\n`);
    }
    expect(await onHost(lost, 'test -e /srv/rel/after && echo present || echo absent')).toBe('absent\n');

    const rerun = await apply('-e', 'scenario=slow', '-e', 'sleep=0');
    expect(rerun.code, rerun.stdout + rerun.stderr).toBe(0);
    expect(await onHost(lost, 'cat /srv/rel/after')).toBe(`after slow step on ${lost.name}\n`);
  });

  it("a hanging command: the task's timeout kills it and fails the task; nothing after it runs", async () => {
    const [host] = hosts;
    const result = await apply('-e', 'scenario=hang', '--limit', host.name);
    expect(result.code).toBe(1);
    const failure = jsonLines(result.stdout).find((l) => l.type === 'task' && l.status === 'failed')!;
    expect(failure.task).toBe('hangs');
    expect(failure.error).toMatch(/^host rel-1: command timed out after 2000 ms/);
    expect(await onHost(host, "pgrep -f 'sleep [7]311' || echo none")).toBe('none\n');
    expect(await onHost(host, 'test -e /srv/rel-hang-after && echo present || echo absent')).toBe('absent\n');
  });

  it('apply --timeout bounds every command of tasks without a timeout of their own', async () => {
    const [host] = hosts;
    const result = await apply('-e', 'scenario=slow', '-e', 'sleep=7312', '--timeout', '3', '--limit', host.name);
    expect(result.code).toBe(1);
    const failure = jsonLines(result.stdout).find((l) => l.type === 'task' && l.status === 'failed')!;
    expect(failure.task).toBe('slow step');
    expect(failure.error).toMatch(/timed out after 3000 ms/);
    expect(await onHost(host, "pgrep -f 'sleep [7]312' || echo none")).toBe('none\n');
  });

  it('the dpkg lock held by another process: apt waits up to lockTimeout, then fails naming the lock', async () => {
    const [, host] = hosts;
    // apt locks with fcntl(2) (not flock(1), which apt would not even see): hold it the same way,
    // as unattended-upgrades would.
    await host.shell(
      `nohup perl -MFcntl -e 'open(my $f, ">>", "/var/lib/dpkg/lock-frontend") or die; my $l = pack("s s x4 q q i x4", F_WRLCK, 0, 0, 0, 0); fcntl($f, F_SETLKW, $l) or die; sleep 300' >/dev/null 2>&1 & echo $! > /tmp/lock-holder.pid; sleep 1`,
    );
    try {
      const pid = (await onHost(host, 'cat /tmp/lock-holder.pid')).trim();
      const result = await apply('-e', 'scenario=dpkg', '--limit', host.name);
      expect(result.code).toBe(1);
      const failure = jsonLines(result.stdout).find((l) => l.type === 'task' && l.status === 'failed')!;
      // The holder by pid and command (perl, holding the lock as unattended-upgrades would).
      expect(failure.error).toMatch(
        new RegExp(`^apt's lock is still held after waiting the lockTimeout of 3 s: /var/lib/dpkg/lock-frontend by process ${pid} \\(perl: perl -MFcntl -e `),
      );
    } finally {
      await host.shell('kill $(cat /tmp/lock-holder.pid)');
    }
    expect(await onHost(host, "dpkg-query -W -f='${Status}' less")).toBe('install ok installed');
  });

  it('a configuration failing validation: the old file stays, sshd keeps serving, the task fails with the validator output', async () => {
    const [host] = hosts;
    const dropIn = '/etc/ssh/sshd_config.d/50-shipshape.conf';
    const good = await apply('-e', 'scenario=validate', '-e', 'sshd=good', '--limit', host.name);
    expect(good.code, good.stdout).toBe(0);
    expect(await onHost(host, `cat ${dropIn}`)).toBe('ClientAliveInterval 30\n');

    const bad = await apply('-e', 'scenario=validate', '-e', 'sshd=bad', '--limit', host.name);
    expect(bad.code).toBe(1);
    const failure = jsonLines(bad.stdout).find((l) => l.type === 'task' && l.status === 'failed')!;
    expect(failure.task).toBe('sshd drop-in');
    expect(failure.error).toContain(`validation of ${dropIn} failed (/usr/sbin/sshd -t -f %s); the file was not changed`);
    expect(failure.error).toMatch(/Bad configuration option: NoSuchSshdOption/);
    expect(await onHost(host, `cat ${dropIn}`)).toBe('ClientAliveInterval 30\n');
    expect(await tempFiles(host)).toBe('');
    expect((await onHost(host, 'systemctl is-active ssh')).trim()).toBe('active');
    // Still serving: a new run logs in and finds the good file in place.
    const again = await apply('-e', 'scenario=validate', '-e', 'sshd=good', '--limit', host.name);
    expect(again.code).toBe(0);
    expect(recapOf(again.stdout).hosts[host.name]).toMatchObject({ ok: 1, changed: 0 });
  });

  it('a failed write (read-only or full filesystem): the original file is intact, no temporary file remains', async () => {
    const [, host] = hosts;
    const setup = await host.shell(
      [
        'mkdir -p /mnt/rel-ro /mnt/rel-full',
        'mount -t tmpfs -o size=1m tmpfs /mnt/rel-ro && echo original > /mnt/rel-ro/app.conf && mount -o remount,ro /mnt/rel-ro',
        'mount -t tmpfs -o size=128k tmpfs /mnt/rel-full && echo original > /mnt/rel-full/app.conf',
        'dd if=/dev/zero of=/mnt/rel-full/filler bs=4k 2>/dev/null; df -k /mnt/rel-full | tail -1',
      ].join(' && '),
    );
    expect(setup.exitCode, setup.stderr).toBe(0);
    try {
      const result = await apply('-e', 'scenario=write', '--limit', host.name);
      expect(result.code).toBe(1);
      const failures = jsonLines(result.stdout).filter((l) => l.type === 'task' && l.status === 'failed');
      expect(failures.map((f) => f.task)).toEqual(['write on read-only', 'write on full']);
      expect(failures[0].error).toMatch(/cannot write \/mnt\/rel-ro\/app.conf: .*Read-only file system/);
      expect(failures[1].error).toMatch(/cannot write \/mnt\/rel-full\/app.conf: .*No space left on device/);
      expect(await onHost(host, 'cat /mnt/rel-ro/app.conf /mnt/rel-full/app.conf')).toBe('original\noriginal\n');
      expect(await onHost(host, 'ls -A /mnt/rel-ro /mnt/rel-full')).toBe('/mnt/rel-full:\napp.conf\nfiller\n\n/mnt/rel-ro:\napp.conf\n');
    } finally {
      await host.shell('umount /mnt/rel-ro /mnt/rel-full');
    }
  });

  it('SIGINT: running tasks finish, no new task starts, no partial file remains, the recap says what did not run', async () => {
    for (const host of hosts) await host.shell('rm -f /srv/rel/started /srv/rel/after');
    const running = startCli(['apply', PLAYBOOK, '-i', inventory, '--json', '-e', 'scenario=slow', '-e', 'sleep=6']);
    for (const host of hosts) await waitUntil(started(host));
    running.child.kill('SIGINT');
    const result = await running.done;
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('interrupted: finishing running tasks, starting no new ones');
    const lines = jsonLines(result.stdout);
    const recap = lines.at(-1)!;
    expect(recap.interrupted).toBe(true);
    for (const host of hosts) {
      // The slow step was running: it finished and is reported; the task after it never started.
      expect(lines.find((l) => l.type === 'task' && l.host === host.name && l.task === 'slow step')?.status).toBe('changed');
      expect(recap.notStarted[host.name]).toEqual(['after the slow step']);
      expect(await onHost(host, 'test -e /srv/rel/after && echo present || echo absent')).toBe('absent\n');
      expect(await tempFiles(host)).toBe('');
    }
  });

  it('SIGINT after a notifying change: the handler does not run; it stays recorded on the host, plan shows it (exit 2), the next apply runs it once', async () => {
    const [host] = hosts;
    const pending = (...args: string[]) => apply('-e', 'scenario=pending', '--limit', host.name, ...args);
    const first = await pending('-e', 'version=1');
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const before = await mainPid(host);
    expect(Number(before)).toBeGreaterThan(0);

    await host.shell('rm -f /srv/rel/started');
    const running = startCli(['apply', PLAYBOOK, '-i', inventory, '--json', '-e', 'scenario=pending', '-e', 'version=2', '-e', 'sleep=30', '--limit', host.name]);
    await waitUntil(started(host));
    running.child.kill('SIGINT');
    const interrupted = await running.done;
    expect(interrupted.code).toBe(1);
    expect(await onHost(host, 'cat /etc/rel-svc.conf')).toBe('version 2\n');
    // Not restarted: the handler never started after the interrupt.
    expect(await mainPid(host)).toBe(before);
    expect(jsonLines(interrupted.stdout).some((l) => l.type === 'task' && l.task === 'restart rel-svc')).toBe(false);
    expect(recapOf(interrupted.stdout).notStarted[host.name]).toEqual(['handler "restart rel-svc"']);
    expect(await onHost(host, `stat -c '%a %U' ${PENDING_RECORD} /var/lib/shipshape/pending-handlers`)).toBe('600 root\n700 root\n');
    expect(JSON.parse(await onHost(host, `cat ${PENDING_RECORD}`))).toEqual({ pending: [{ play: 'faults', handler: 'restart rel-svc' }] });

    // The file is right now, so nothing notifies; the record does.
    const plan = await cli('plan', PLAYBOOK, '-i', inventory, '-e', 'scenario=pending', '-e', 'version=2', '--limit', host.name);
    expect(plan.code, plan.stdout + plan.stderr).toBe(2);
    expect(plan.stdout).toContain('pending from an interrupted run: restart rel-svc');
    expect(await mainPid(host)).toBe(before);

    const replay = await pending('-e', 'version=2');
    expect(replay.code, replay.stdout + replay.stderr).toBe(0);
    const restarted = await mainPid(host);
    expect(restarted).not.toBe(before);
    expect(jsonLines(replay.stdout).find((l) => l.type === 'task' && l.task === 'restart rel-svc')?.status).toBe('changed');
    expect(await onHost(host, `test -e ${PENDING_RECORD} && echo present || echo absent`)).toBe('absent\n');

    const third = await pending('-e', 'version=2');
    expect(third.code).toBe(0);
    expect(recapOf(third.stdout).hosts[host.name]).toMatchObject({ changed: 0, failed: 0 });
    expect(await mainPid(host)).toBe(restarted);
  });

  it('SIGINT during a play: the next play does not start on any host', async () => {
    for (const host of hosts) await host.shell('rm -rf /srv/rel');
    const running = startCli(['apply', INTERRUPT, '-i', inventory, '--json', '-e', 'firstSleep=6']);
    for (const host of hosts) await waitUntil(exists(host, '/srv/rel/first-started'));
    running.child.kill('SIGINT');
    const result = await running.done;
    expect(result.code).toBe(1);
    const recap = recapOf(result.stdout);
    for (const host of hosts) {
      expect(await onHost(host, 'test -e /srv/rel/rolling-started && echo present || echo absent')).toBe('absent\n');
      expect(recap.notStarted[host.name]).toEqual(['play "rolling" (all its tasks)']);
    }
  });

  it('SIGINT during a serial batch: the running batch finishes, no later batch starts', async () => {
    for (const host of hosts) await host.shell('rm -rf /srv/rel');
    const [firstBatch, ...later] = hosts;
    const running = startCli(['apply', INTERRUPT, '-i', inventory, '--json', '-e', 'rollingSleep=6']);
    await waitUntil(exists(firstBatch, '/srv/rel/rolling-started'));
    running.child.kill('SIGINT');
    const result = await running.done;
    expect(result.code).toBe(1);
    const lines = jsonLines(result.stdout);
    expect(lines.find((l) => l.type === 'task' && l.host === firstBatch.name && l.task === 'rolling sleep')?.status).toBe('changed');
    const recap = recapOf(result.stdout);
    for (const host of later) {
      expect(await onHost(host, 'test -e /srv/rel/rolling-started && echo present || echo absent')).toBe('absent\n');
      expect(recap.notStarted[host.name]).toEqual(['play "rolling" (all its tasks)']);
    }
  });

  it('SIGINT while a large file is written: the write completes or not at all, no temporary file remains', async () => {
    const [, host] = hosts;
    await host.shell('rm -f /srv/rel-big.dat /srv/rel-big-after');
    const running = startCli(['apply', PLAYBOOK, '-i', inventory, '--json', '-e', 'scenario=bigwrite', '-e', 'mb=16', '-e', 'sleep=4', '-e', 'version=1', '--limit', host.name]);
    // The temporary file exists from mktemp until the rename: the write is in flight.
    await whileRunning(running, async () => (await tempFiles(host)) !== '');
    running.child.kill('SIGINT');
    const result = await running.done;
    expect(result.code).toBe(1);
    expect(jsonLines(result.stdout).find((l) => l.type === 'task' && l.task === 'big write')?.status).toBe('changed');
    expect(recapOf(result.stdout).notStarted[host.name]).toEqual(['after the big write']);
    expect(await onHost(host, 'head -c 2 /srv/rel-big.dat; stat -c %s /srv/rel-big.dat')).toMatch(/^1 \d{8}\n$/);
    expect(await tempFiles(host)).toBe('');
    expect(await onHost(host, 'test -e /srv/rel-big-after && echo present || echo absent')).toBe('absent\n');
  });

  it('a second Ctrl-C quits at once (exit 130), no recap; the write it left running ends on its own: complete, no temporary file, no lock', async () => {
    const [, host] = hosts;
    // bigwrite's file for -e mb=16: lines of "V " + 1000 x + newline.
    const size = Math.round((16 * 1024 * 1024) / 1003) * 1003;
    const running = startCli(['apply', PLAYBOOK, '-i', inventory, '--json', '-e', 'scenario=bigwrite', '-e', 'mb=16', '-e', 'sleep=20', '-e', 'version=2', '--limit', host.name]);
    await whileRunning(running, async () => (await tempFiles(host)) !== '');
    running.child.kill('SIGINT');
    await whileRunning(running, async () => running.output().stderr.includes('Ctrl-C again to quit now'), 50);
    running.child.kill('SIGINT');
    const result = await running.done;
    expect(result.code).toBe(130);
    // It did not wait for the running task (its validator sleeps 20 s) nor print a recap.
    expect(jsonLines(result.stdout).filter((l) => l.type === 'task' || l.type === 'recap')).toEqual([]);
    // Without a controller the host's command runs to its end (sshd does not kill it): the atomic
    // write then renames its complete temporary file. Never a partial file; no lock left behind.
    await waitUntil(async () => (await onHost(host, "pgrep -f 'sleep [2]0' || echo none")).trim() === 'none' && (await tempFiles(host)) === '');
    expect(await onHost(host, 'head -c 2 /srv/rel-big.dat; stat -c %s /srv/rel-big.dat')).toBe(`2 ${size}\n`);
    const after = await apply('-e', 'scenario=slow', '-e', 'sleep=0', '--limit', host.name, '--lock-timeout', '1');
    expect(after.code, after.stdout + after.stderr).toBe(0);
  });

  it('two runs at once: the second waits for the run lock, then fails naming the holder; the lock dies with its run', async () => {
    const [host] = hosts;
    await host.shell('rm -f /srv/rel/started');
    const first = startCli(['apply', PLAYBOOK, '-i', inventory, '--json', '-e', 'scenario=slow', '-e', 'sleep=8', '--limit', host.name]);
    await waitUntil(started(host));
    const second = await apply('-e', 'scenario=slow', '-e', 'sleep=0', '--limit', host.name, '--lock-timeout', '2');
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(new RegExp(`host rel-1: waiting up to 2 s for the run lock held by pid ${first.child.pid} on `));
    const failure = jsonLines(second.stdout).find((l) => l.type === 'task' && l.status === 'failed')!;
    expect(failure.task).toBe('(run lock)');
    expect(failure.error).toMatch(
      new RegExp(`^host rel-1: another shipshape run holds the run lock /run/lock/shipshape.lock \\(pid ${first.child.pid} on .* \\(user .*\\), since \\d{4}-.*, playbook faults.ts\\); gave up after waiting 2 s`),
    );
    expect(recapOf(second.stdout).hosts[host.name]).toMatchObject({ failed: 1, unreachable: 0 });
    expect((await first.done).code).toBe(0);

    // A controller killed outright (no cleanup at all) leaves no stale lock: sshd closes its channel.
    await host.shell('rm -f /srv/rel/started');
    const crashed = startCli(['apply', PLAYBOOK, '-i', inventory, '--json', '-e', 'scenario=slow', '-e', 'sleep=300', '--limit', host.name]);
    await waitUntil(started(host));
    crashed.child.kill('SIGKILL');
    await crashed.done;
    const after = await apply('-e', 'scenario=slow', '-e', 'sleep=0', '--limit', host.name, '--lock-timeout', '30');
    expect(after.code, after.stdout + after.stderr).toBe(0);
    await host.shell("pkill -f 'sleep [3]00' || true");
  });

  it('a template using an undefined variable fails naming template, line and variable; nothing is written', async () => {
    const [host] = hosts;
    const result = await apply('-e', 'scenario=template', '--limit', host.name);
    expect(result.code).toBe(1);
    const failure = jsonLines(result.stdout).find((l) => l.type === 'task' && l.status === 'failed')!;
    expect(failure.error).toBe(`${path.resolve('test/fixtures/templates/undefined-nested.ejs')}:3: undefined variable "backend"`);
    expect(await onHost(host, 'test -e /srv/rel-template.conf && echo present || echo absent')).toBe('absent\n');
  });

  it('agent forwarding is off: a controller with a loaded ssh-agent gives the host no agent socket', async () => {
    const [host] = hosts;
    const socket = path.join(dir, 'agent.sock');
    const { stdout } = await docker('ssh-agent', ['-a', socket]);
    const pid = /SSH_AGENT_PID=(\d+)/.exec(stdout)![1];
    try {
      await docker('ssh-add', [host.privateKeyPath], { env: { ...process.env, SSH_AUTH_SOCK: socket } });
      const result = await startCli(['apply', PLAYBOOK, '-i', inventory, '--json', '-e', 'scenario=agent', '--limit', host.name], { SSH_AUTH_SOCK: socket }).done;
      expect(result.code, result.stderr).toBe(0);
      const task = jsonLines(result.stdout).find((l) => l.type === 'task' && l.task === 'agent socket')!;
      expect(task.output.stdout).toBe('agent=none');
    } finally {
      process.kill(Number(pid));
    }
  });
});
