/**
 * apt's locks at a first boot, reproduced on a real Debian 13 host: another process holds apt's
 * lists lock (cloud-init's or apt-daily's `apt-get update`) or dpkg's frontend lock
 * (unattended-upgrades), and cloud-init itself is still running. The holders lock the way apt does
 * (an fcntl write lock, from perl): flock(1) takes a different kind of lock, which apt never sees.
 * Outcomes are checked on the host (docker exec); no durations are asserted.
 */
import { describe, expect, it } from 'vitest';
import * as apt from '../../src/modules/apt/index.ts';
import type { TaskResult } from '../../src/task/types.ts';
import { useModuleHost } from './support/module-host.ts';

const lab = useModuleHost('apt-locks-01');
const { onHost, run } = lab;

const LISTS_LOCK = '/var/lib/apt/lists/lock';
const FRONTEND_LOCK = '/var/lib/dpkg/lock-frontend';

/** Starts a process holding `file`'s fcntl write lock until killed; returns its pid once it holds it. */
async function holdLock(file: string): Promise<number> {
  const script = `open(my $f, ">>", "${file}") or die; my $l = pack("s s x4 q q i x4", F_WRLCK, 0, 0, 0, 0); fcntl($f, F_SETLKW, $l) or die "lock: $!"; open(my $m, ">", "/tmp/lock-held") or die; close $m; sleep 600`;
  await onHost('rm -f /tmp/lock-held');
  const pid = Number((await onHost(`nohup perl -MFcntl -e '${script}' >/dev/null 2>&1 & echo $!`)).trim());
  await waitFor(async () => (await lab.host.shell('test -e /tmp/lock-held')).exitCode === 0);
  return pid;
}

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 200));
}

/** True while the task sits in the lock wait: its loop sleeps a second at a time (the holder is perl, no sleep process). */
const waiting = async () => (await lab.host.shell('pgrep -x sleep')).exitCode === 0;

/**
 * Runs `task` while `pid` holds a lock: once the task is seen waiting (and has not finished), the
 * holder is killed, and the task's result is returned.
 */
async function releaseWhileWaiting(task: Parameters<typeof run>[0], pid: number): Promise<{ result: TaskResult; finishedBeforeRelease: boolean }> {
  let finished = false;
  const running = run(task).finally(() => (finished = true));
  await waitFor(async () => finished || (await waiting()));
  const finishedBeforeRelease = finished;
  await onHost(`kill ${pid}`);
  return { result: await running, finishedBeforeRelease };
}

const stampAge = async () => Number((await onHost('echo $(( $(date +%s) - $(stat -c %Y /var/lib/apt/periodic/update-success-stamp 2>/dev/null || echo 0) ))')).trim());

describe('apt locks at a first boot', () => {
  it("waits for apt's lists lock (apt-get itself fails at once) and updates once it is released", async () => {
    const pid = await holdLock(LISTS_LOCK);
    // The same, by hand: apt-get update does not wait for this lock.
    const direct = await lab.host.shell('apt-get -q -o DPkg::Lock::Timeout=60 update');
    expect(direct.exitCode).toBe(100);
    expect(direct.stderr).toContain(`Could not get lock ${LISTS_LOCK}. It is held by process ${pid} (perl)`);

    // waitForCloudInit on a host without cloud-init: skipped silently.
    const task = apt.packages({ updateCache: true, lockTimeout: 600, waitForCloudInit: true });
    const { result, finishedBeforeRelease } = await releaseWhileWaiting(task, pid);
    expect(finishedBeforeRelease).toBe(false);
    expect(result.status, result.error).toBe('changed');
    expect(await stampAge()).toBeLessThan(600);
    expect(Number((await onHost('ls /var/lib/apt/lists | grep -c _Packages')).trim())).toBeGreaterThan(0);
  });

  it("fails naming the lists lock's holder when it outlasts lockTimeout, changing nothing", async () => {
    await onHost('rm -f /var/lib/apt/periodic/update-success-stamp');
    const pid = await holdLock(LISTS_LOCK);
    try {
      const result = await run(apt.packages({ updateCache: true, lockTimeout: 2 }));
      expect(result.status).toBe('failed');
      expect(result.error).toMatch(
        new RegExp(`^apt's lock is still held after waiting the lockTimeout of 2 s: ${LISTS_LOCK} by process ${pid} \\(perl: perl -MFcntl -e open\\(my \\$f, ">>", "${LISTS_LOCK}"\\)`),
      );
    } finally {
      await onHost(`kill ${pid}`);
    }
    expect(await onHost('test -e /var/lib/apt/periodic/update-success-stamp && echo stamp || echo none')).toBe('none\n');
  });

  it("waits for dpkg's frontend lock (unattended-upgrades) and installs once it is released", async () => {
    const pid = await holdLock(FRONTEND_LOCK);
    const { result, finishedBeforeRelease } = await releaseWhileWaiting(apt.packages({ names: ['tree'], lockTimeout: 600 }), pid);
    expect(finishedBeforeRelease).toBe(false);
    expect(result.status, result.error).toBe('changed');
    expect(await onHost("dpkg-query -W -f='${db:Status-Abbrev}' tree")).toBe('ii ');
  });

  it("fails naming dpkg's lock holder when it outlasts lockTimeout, changing nothing", async () => {
    const pid = await holdLock(FRONTEND_LOCK);
    try {
      const result = await run(apt.packages({ names: ['tree'], state: 'absent', lockTimeout: 2 }));
      expect(result.status).toBe('failed');
      expect(result.error).toMatch(new RegExp(`^apt's lock is still held after waiting the lockTimeout of 2 s: ${FRONTEND_LOCK} by process ${pid} \\(perl: perl -MFcntl `));
    } finally {
      await onHost(`kill ${pid}`);
    }
    expect(await onHost("dpkg-query -W -f='${db:Status-Abbrev}' tree")).toBe('ii ');
  });

  it('with waitForCloudInit, waits for cloud-init to finish first, and fails when it outlasts lockTimeout', async () => {
    // cloud-init's `status --wait` blocks until its boot stages are done: a stand-in that blocks
    // until the test says so (no Ubuntu image here; the contract is the command and its exit).
    await onHost(
      `printf '%s\\n' '#!/bin/sh' 'echo "$*" >> /tmp/cloud-init.calls' 'while [ ! -e /tmp/cloud-init.done ]; do sleep 0.2; done' 'echo "status: done"' > /usr/local/bin/cloud-init && chmod 755 /usr/local/bin/cloud-init && rm -f /tmp/cloud-init.done /tmp/cloud-init.calls`,
    );
    try {
      // A removal: needs no package lists, so this test stands on its own.
      const remove = (lockTimeout: number) => apt.packages({ names: ['less'], state: 'absent', waitForCloudInit: true, lockTimeout });
      const timedOut = await run(remove(2));
      expect(timedOut.status).toBe('failed');
      expect(timedOut.error).toBe('cloud-init has not finished after waiting the lockTimeout of 2 s (waitForCloudInit)');
      expect(await onHost("dpkg-query -W -f='${db:Status-Abbrev}' less")).toBe('ii ');

      let finished = false;
      const running = run(remove(600)).finally(() => (finished = true));
      await waitFor(async () => finished || (await onHost('grep -c "status --wait" /tmp/cloud-init.calls || true')).trim() === '2');
      expect(finished).toBe(false);
      await onHost('touch /tmp/cloud-init.done');
      const result = await running;
      expect(result.status, result.error).toBe('changed');
      expect(await onHost("dpkg-query -W -f='${db:Status-Abbrev}' less 2>/dev/null || echo none")).toMatch(/^(rc |un |none)/);
    } finally {
      await onHost('rm -f /usr/local/bin/cloud-init; touch /tmp/cloud-init.done');
    }
  });
});
