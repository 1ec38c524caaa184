/**
 * apt.packages and apt.repository on a real Debian 13 host: apply → check with dpkg/apt by hand
 * (docker exec, not shipshape) → apply again changes nothing → drift by hand → --check reports it
 * and changes nothing → apply fixes it. Small packages only (hello, tree).
 */
import { describe, expect, it } from 'vitest';
import * as apt from '../../src/modules/apt/index.ts';
import type { TaskResult } from '../../src/task/types.ts';
import { useModuleHost } from './support/module-host.ts';

const lab = useModuleHost('apt-01');
const { onHost, run } = lab;

/** `name status version` for each package, as dpkg sees it ('-' when dpkg never heard of it). */
async function dpkgState(names: string[]): Promise<string> {
  const lines = await Promise.all(
    names.map(async (name) => {
      const result = await lab.host.shell(`dpkg-query -W -f='\${Package} \${db:Status-Abbrev}\${Version}' ${name}`);
      return result.exitCode === 0 ? result.stdout.trim() : `${name} -`;
    }),
  );
  return lines.join('\n');
}

const lines = (result: TaskResult) => result.changes.map((c) => c.description);

describe('apt.packages', () => {
  // A fresh lab host is like a fresh cloud image: apt has no package lists until the first update.
  const task = apt.packages({ names: ['hello', 'tree'], updateCache: true, cacheValidTime: 3600, lockTimeout: 60 });

  it('check mode on a fresh host reports the update and installs, and changes nothing', async () => {
    const checked = await run(task, { check: true });
    expect(checked.status, checked.error).toBe('changed');
    expect(lines(checked)).toEqual(['update apt cache (no lists yet)', 'install hello (after the cache update)', 'install tree (after the cache update)']);
    expect(await dpkgState(['hello', 'tree'])).toBe('hello -\ntree -');
    expect(await onHost('ls /var/lib/apt/lists | grep -c _Packages || true')).toBe('0\n');
  });

  it('without lists or updateCache, fails naming the package and the fix', async () => {
    const result = await run(apt.packages({ names: ['no-such-package-xyz'] }), { check: true });
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/no package named 'no-such-package-xyz' in apt's lists \(apt has no package lists: set updateCache\)/);
  });

  it('installs both in one transaction, converges, and fixes a removal', async () => {
    const first = await run(task);
    expect(first.status, first.error).toBe('changed');
    expect(first.output).toMatchObject({ cacheUpdated: true, action: 'install', packages: ['hello', 'tree'] });
    expect(await dpkgState(['hello', 'tree'])).toMatch(/^hello ii \S+\ntree ii \S+$/);

    const second = await run(task);
    expect(second.status, second.error).toBe('ok');

    await onHost('DEBIAN_FRONTEND=noninteractive apt-get remove -y -q tree');
    const before = await dpkgState(['hello', 'tree']);
    const checked = await run(task, { check: true });
    expect(lines(checked)).toEqual([expect.stringMatching(/^install tree \S+$/)]);
    expect(await dpkgState(['hello', 'tree'])).toBe(before);
    expect((await run(task)).status).toBe('changed');
    expect(await dpkgState(['tree'])).toMatch(/^tree ii /);
    expect((await run(task)).status).toBe('ok');
  });

  it('removes with state absent, then converges', async () => {
    const absent = apt.packages({ names: ['tree'], state: 'absent' });
    expect(lines(await run(absent))).toEqual([expect.stringMatching(/^remove tree \S+$/)]);
    expect(await dpkgState(['tree'])).toBe('tree -');
    expect((await run(absent)).status).toBe('ok');
  });

  it('with policyRcD 101, the package\'s postinst enables its service but does not start it; the host\'s own policy-rc.d is put back', async () => {
    await onHost("printf '#!/bin/sh\\nexit 0\\n' > /usr/sbin/policy-rc.d && chmod 0755 /usr/sbin/policy-rc.d");
    try {
      const result = await run(apt.packages({ names: ['prometheus-node-exporter'], policyRcD: 101, lockTimeout: 60 }));
      expect(result.status, result.error).toBe('changed');
      expect(await onHost('systemctl is-enabled prometheus-node-exporter; systemctl is-active prometheus-node-exporter || true')).toBe('enabled\ninactive\n');
      expect(await onHost('cat /usr/sbin/policy-rc.d; ls /usr/sbin | grep -c policy-rc.d')).toBe('#!/bin/sh\nexit 0\n1\n');
    } finally {
      await onHost('rm -f /usr/sbin/policy-rc.d');
    }
  });

  it('fails at plan time naming only the package that does not exist', async () => {
    const result = await run(apt.packages({ names: ['hello', 'no-such-package-xyz'] }), { check: true });
    expect(result.status).toBe('failed');
    expect(result.error).toBe("no package named 'no-such-package-xyz' in apt's lists (wrong name, or its repository is missing)");
  });

  it('waits for the dpkg lock, then fails clearly', async () => {
    // Holds dpkg's frontend lock the way apt does (an fcntl write lock), like unattended-upgrades would.
    await onHost(
      `nohup perl -MFcntl -e 'open(my $f, ">>", "/var/lib/dpkg/lock-frontend") or die; my $l = pack("s s x4 q q i x4", F_WRLCK, 0, 0, 0, 0); fcntl($f, F_SETLKW, $l) or die "lock: $!"; sleep 120' >/dev/null 2>&1 & echo $! > /tmp/lock-holder.pid; sleep 1`,
    );
    try {
      const pid = (await onHost('cat /tmp/lock-holder.pid')).trim();
      const result = await run(apt.packages({ names: ['tree'], lockTimeout: 2 }));
      expect(result.status).toBe('failed');
      expect(result.error).toMatch(
        new RegExp(`^apt's lock is still held after waiting the lockTimeout of 2 s: /var/lib/dpkg/lock-frontend by process ${pid} \\(perl: perl -MFcntl -e `),
      );
    } finally {
      await onHost('kill $(cat /tmp/lock-holder.pid)');
    }
    expect(await dpkgState(['tree'])).toBe('tree -');
  });

  it('updates the cache only when older than cacheValidTime', async () => {
    const stamp = () => onHost('stat -c %Y /var/lib/apt/periodic/update-success-stamp 2>/dev/null || echo none');
    const refresh = apt.packages({ names: ['hello'], cacheValidTime: 3600 });
    expect((await run(refresh)).status).toBe('ok');
    await onHost('rm -f /var/lib/apt/periodic/update-success-stamp && touch -d "3 hours ago" /var/lib/apt/lists');
    // Old lists are not drift: check mode says so in a note; apply refreshes them, still ok.
    const checked = await run(refresh, { check: true });
    expect(checked).toMatchObject({ status: 'ok', changes: [], notes: [expect.stringMatching(/^apt's lists are 3 h old, older than cacheValidTime/)] });
    expect(await stamp()).toBe('none\n');
    const refreshed = await run(refresh);
    expect(refreshed).toMatchObject({ status: 'ok', output: { cacheUpdated: true } });
    expect(await stamp()).not.toBe('none\n');
    expect(await run(refresh)).toMatchObject({ status: 'ok', output: undefined });
  });
});

describe('apt.repository', () => {
  // Debian's sid, pinned low so nothing comes from it unless asked (DESIGN.md: its Release file on
  // this mirror is expired, hence check-valid-until=no).
  const repo = apt.repository({
    name: 'sid',
    source: 'deb [check-valid-until=no] http://deb.debian.org/debian sid main',
    pin: { release: 'sid', priority: 100 },
  });
  const files = () => onHost('cat /etc/apt/sources.list.d/sid.list /etc/apt/preferences.d/sid');

  it('adds a pinned source, updates the cache, and packages can use it with defaultRelease', async () => {
    const first = await run(repo);
    expect(first.status, first.error).toBe('changed');
    expect(lines(first)).toEqual(['create /etc/apt/sources.list.d/sid.list', 'create /etc/apt/preferences.d/sid', 'update apt cache']);
    expect(await files()).toBe('deb [check-valid-until=no] http://deb.debian.org/debian sid main\nPackage: *\nPin: release n=sid\nPin-Priority: 100\n');
    // The pin holds: without -t the candidate still comes from trixie; with -t sid it comes from sid.
    const candidate = async (flags: string) => (await onHost(`apt-cache ${flags} policy hello | sed -n 's/^  Candidate: //p'`)).trim();
    const sidVersion = await candidate('-t sid');
    expect(await candidate('')).not.toBe(sidVersion);
    expect((await run(repo)).status).toBe('ok');

    const latest = apt.packages({ names: ['hello'], state: 'latest', defaultRelease: 'sid' });
    const upgraded = await run(latest);
    expect(upgraded.status, upgraded.error).toBe('changed');
    expect(await dpkgState(['hello'])).toBe(`hello ii ${sidVersion}`);
    expect((await run(latest)).status).toBe('ok');
  });

  it('reports a hand-edited pin as a diff in check mode and restores it', async () => {
    await onHost("sed -i 's/Pin-Priority: 100/Pin-Priority: 990/' /etc/apt/preferences.d/sid");
    const before = await files();
    const checked = await run(repo, { check: true });
    expect(lines(checked)).toEqual(['update /etc/apt/preferences.d/sid', 'update apt cache']);
    expect(checked.changes[0].diff).toMatchObject({ before: expect.stringContaining('990'), after: expect.stringContaining('100') });
    expect(await files()).toBe(before);
    expect((await run(repo)).status).toBe('changed');
    expect(await files()).toContain('Pin-Priority: 100\n');
  });

  it('reverts a source apt cannot fetch and fails naming it', async () => {
    const broken = await run(apt.repository({ name: 'broken', source: 'deb http://127.0.0.1:9/debian nothing main' }));
    expect(broken.status).toBe('failed');
    expect(broken.error).toMatch(/apt-get update failed with the new source, so it was reverted:[\s\S]*127\.0\.0\.1:9/);
    expect(await onHost('ls /etc/apt/sources.list.d/')).not.toMatch(/broken/);
  });
});
