/**
 * `shipshape plan` as a drift detector (the CLI, on a real Debian 13 host): apt's lists growing
 * older than cacheValidTime is not drift, and `state: latest` leaves a held package alone instead
 * of planning an upgrade that apply cannot make. The host is checked with docker exec.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, jsonLines } from './support/cli.ts';
import { useCliHost } from './support/cli-host.ts';
import type { TestHost } from './support/lab-hosts.ts';

const PLAYBOOK = path.resolve('test/fixtures/apt/drift.ts');
const lab = useCliHost('apt-drift-01', 'shipshape-apt-drift-');
const inventory = path.join(lab.dir, 'inventory.json');
let host: TestHost;

const shipshape = (command: 'plan' | 'apply', scenario: string, ...args: string[]) => cli(command, PLAYBOOK, '-i', inventory, '-e', `scenario=${scenario}`, ...args);
const taskLine = (stdout: string) => jsonLines(stdout).find((l) => l.type === 'task')!;

async function onHost(cmd: string): Promise<string> {
  const result = await host.shell(cmd);
  expect(result.exitCode, `${cmd}: ${result.stderr}`).toBe(0);
  return result.stdout;
}

/** Seconds since apt's lists were refreshed, by the newest of what cacheValidTime is measured on. */
const listsAge = async () =>
  Number((await onHost('echo $(( $(date +%s) - $(stat -c %Y /var/lib/apt/periodic/update-success-stamp /var/lib/apt/lists | sort -n | tail -1) ))')).trim());
const ageLists = () => onHost("touch -d '2 hours ago' /var/lib/apt/periodic/update-success-stamp /var/lib/apt/lists");
const dpkgState = async (name: string) => (await onHost(`dpkg-query -W -f='\${db:Status-Abbrev}\${Version}' ${name} 2>/dev/null || echo none`)).trim();

beforeAll(() => {
  host = lab.host;
  lab.writeInventory('inventory.json');
});

describe('plan as a drift detector', () => {
  it('lists older than cacheValidTime: plan shows a note and exits 0; apply refreshes them without a change; real drift still exits 2', async () => {
    const converged = await shipshape('apply', 'cache', '--json');
    expect(converged.code, converged.stdout + converged.stderr).toBe(0);
    expect(await dpkgState('hello')).toMatch(/^ii \S+$/);

    await ageLists();
    expect(await listsAge()).toBeGreaterThanOrEqual(7200);
    const plain = await shipshape('plan', 'cache');
    expect(plain.code, plain.stdout + plain.stderr).toBe(0);
    expect(plain.stdout).toMatch(/ok {2}hello\n {14}i apt's lists are 2 h old, older than cacheValidTime \(60 min\): apply refreshes them, not counted as a change\n/);
    expect(await listsAge()).toBeGreaterThanOrEqual(7200);

    const json = await shipshape('plan', 'cache', '--json');
    expect(json.code).toBe(0);
    expect(taskLine(json.stdout)).toMatchObject({ status: 'ok', changes: [], notes: [expect.stringMatching(/^apt's lists are 2 h old/)] });

    // apply refreshes the lists (as cacheValidTime asks) and counts no change.
    const refreshed = await shipshape('apply', 'cache', '--json');
    expect(refreshed.code, refreshed.stdout).toBe(0);
    expect(taskLine(refreshed.stdout)).toMatchObject({ status: 'ok', output: { cacheUpdated: true } });
    expect(await listsAge()).toBeLessThan(3600);
    const after = await shipshape('plan', 'cache', '--json');
    expect(after.code).toBe(0);
    expect(taskLine(after.stdout).notes).toBeUndefined();

    // Drift by hand, with old lists: exit 2, and the refresh comes with the install.
    await onHost('DEBIAN_FRONTEND=noninteractive apt-get remove -y -q hello >/dev/null');
    await ageLists();
    const drifted = await shipshape('plan', 'cache', '--json');
    expect(drifted.code).toBe(2);
    expect(taskLine(drifted.stdout).changes.map((c: { description: string }) => c.description)).toEqual([
      'update apt cache (lists are 2 h old)',
      expect.stringMatching(/^install hello \S+$/),
    ]);
    expect(await dpkgState('hello')).toBe('none');
  });

  it('state latest on a held package: no upgrade planned, a note instead; apply succeeds and keeps the held version', async () => {
    // A package in two versions: 1.0 installed and held, 2.0 offered by a local repository.
    const control = (version: string) => `Package: shipshape-dummy\nVersion: ${version}\nArchitecture: all\nMaintainer: Test <test@example.org>\nDescription: a package for the held-package test\n`;
    await onHost(
      [
        'set -e',
        'mkdir -p /srv/dummy-1.0/DEBIAN /srv/dummy-2.0/DEBIAN /srv/dummy-repo',
        `printf '%s' '${control('1.0')}' > /srv/dummy-1.0/DEBIAN/control`,
        `printf '%s' '${control('2.0')}' > /srv/dummy-2.0/DEBIAN/control`,
        'dpkg-deb --build /srv/dummy-1.0 /srv/shipshape-dummy_1.0_all.deb >/dev/null',
        'dpkg-deb --build /srv/dummy-2.0 /srv/dummy-repo/shipshape-dummy_2.0_all.deb >/dev/null',
        'cd /srv/dummy-repo',
        'deb=shipshape-dummy_2.0_all.deb',
        '{ cat /srv/dummy-2.0/DEBIAN/control; echo "Filename: ./$deb"; echo "Size: $(stat -c %s $deb)"; echo "SHA256: $(sha256sum $deb | cut -d" " -f1)"; echo; } > Packages',
        "echo 'deb [trusted=yes] file:/srv/dummy-repo ./' > /etc/apt/sources.list.d/dummy.list",
        'apt-get -q update >/dev/null',
        'dpkg -i /srv/shipshape-dummy_1.0_all.deb >/dev/null',
        'apt-mark hold shipshape-dummy >/dev/null',
      ].join('\n'),
    );
    expect(await onHost("apt-cache policy shipshape-dummy | sed -n 's/^  Candidate: //p'")).toBe('2.0\n');
    expect(await dpkgState('shipshape-dummy')).toBe('hi 1.0');

    const planned = await shipshape('plan', 'held', '--json');
    expect(planned.code, planned.stdout + planned.stderr).toBe(0);
    expect(taskLine(planned.stdout)).toMatchObject({
      status: 'ok',
      changes: [],
      notes: ['shipshape-dummy is held at 1.0 (apt-mark hold): candidate 2.0 not installed'],
    });
    for (let run = 0; run < 2; run++) {
      const applied = await shipshape('apply', 'held', '--json');
      expect(applied.code, applied.stdout).toBe(0);
      expect(taskLine(applied.stdout).status).toBe('ok');
    }
    expect(await dpkgState('shipshape-dummy')).toBe('hi 1.0');

    // Unheld, the same task upgrades, and then holds nothing back.
    await onHost('apt-mark unhold shipshape-dummy >/dev/null');
    expect((await shipshape('plan', 'held')).code).toBe(2);
    const upgraded = await shipshape('apply', 'held', '--json');
    expect(taskLine(upgraded.stdout)).toMatchObject({ status: 'changed', changes: [{ description: 'upgrade shipshape-dummy 1.0 → 2.0' }] });
    expect(await dpkgState('shipshape-dummy')).toBe('ii 2.0');
    expect((await shipshape('plan', 'held')).code).toBe(0);
  });
});
