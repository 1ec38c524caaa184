/**
 * deploy.release on a real host: a local directory becomes releases/<content hash> with `current`
 * pointing at it, checked with sha256sum/readlink on the host (docker exec, not shipshape); the same
 * content again changes nothing; a hand-edited live file is drift that --check reports and apply
 * restores; new content switches `current` atomically and old releases beyond `keep` are pruned.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { release } from '../../src/modules/deploy/index.ts';
import { readBundle } from '../../src/modules/deploy/bundle.ts';
import { useModuleHost } from './support/module-host.ts';

const lab = useModuleHost('deploy-01');
const app = mkdtempSync(path.join(tmpdir(), 'shipshape-deploy-test-'));
afterAll(() => rmSync(app, { recursive: true, force: true }));

const task = () => release({ src: app, dest: '/srv/demo', owner: 'root', group: 'root', keep: 2 });
const listing = () => lab.onHost('readlink /srv/demo/current; ls -1 /srv/demo/releases; sha256sum /srv/demo/current/app.sh /srv/demo/current/lib/util.txt');

describe('deploy.release', () => {
  it('uploads a release, links current to it, and changes nothing the second time', async () => {
    writeFileSync(path.join(app, 'app.sh'), '#!/bin/sh\necho v1\n');
    chmodSync(path.join(app, 'app.sh'), 0o755);
    rmSync(path.join(app, 'lib'), { recursive: true, force: true });
    mkdirSync(path.join(app, 'lib'));
    writeFileSync(path.join(app, 'lib', 'util.txt'), 'helper\n');
    const id = (await readBundle(app)).id;

    const first = await lab.converge(task());
    expect(first.changes.map((c) => c.description)).toEqual([
      `upload release ${id} (2 files) to /srv/demo/releases/${id}`,
      `switch /srv/demo/current: (none) → releases/${id}`,
    ]);
    expect((await lab.onHost('readlink /srv/demo/current')).trim()).toBe(`releases/${id}`);
    expect(await lab.onHost('/srv/demo/current/app.sh')).toBe('v1\n');
    expect(await lab.onHost('stat -c %U:%G /srv/demo/current/app.sh')).toBe('root:root\n');
  });

  it('reports a hand-edited live file under --check without touching it, and apply restores it', async () => {
    await lab.onHost("echo 'echo hacked' >> /srv/demo/current/app.sh");
    const id = (await readBundle(app)).id;
    await lab.checkThenFix(task(), [`restore release ${id}: modified on the host: app.sh`], listing);
    expect(await lab.onHost('/srv/demo/current/app.sh')).toBe('v1\n');
  });

  it('--check on a host without the release creates nothing, not even the directory', async () => {
    const fresh = release({ src: app, dest: '/srv/fresh-demo', owner: 'root', group: 'root' });
    const checked = await lab.run(fresh, { check: true });
    expect(checked.status, checked.error).toBe('changed');
    expect(await lab.onHost('test -e /srv/fresh-demo && echo exists || echo absent')).toBe('absent\n');
  });

  it('a file added by hand, a chmod and a chown in the live release are drift; apply removes and restores them', async () => {
    const id = (await readBundle(app)).id;
    await lab.onHost('echo stray > /srv/demo/current/stray.txt && chmod 0644 /srv/demo/current/app.sh && chown 1001 /srv/demo/current/lib/util.txt');
    const tree = () => lab.onHost('cd /srv/demo/current && find . -printf "%m %u %p\\n" | sort');
    await lab.checkThenFix(
      task(),
      [`restore release ${id}: owner of lib/util.txt root:root → 1001:root, mode of app.sh 755 → 644, extra file stray.txt`],
      tree,
    );
    expect(await lab.onHost('test -e /srv/demo/current/stray.txt && echo exists || echo absent')).toBe('absent\n');
    expect(await lab.onHost('stat -c "%a %U" /srv/demo/current/app.sh /srv/demo/current/lib/util.txt')).toBe('755 root\n644 root\n');
  });

  it('extra files the task excludes (a runtime cache) are not drift', async () => {
    const excluding = release({ src: app, dest: '/srv/demo', owner: 'root', group: 'root', keep: 2, exclude: ['__pycache__'] });
    await lab.onHost('mkdir -p /srv/demo/current/lib/__pycache__ && echo cache > /srv/demo/current/lib/__pycache__/util.pyc');
    const result = await lab.run(excluding, { check: true });
    expect(result.status, result.error ?? JSON.stringify(result.changes)).toBe('ok');
    expect((await lab.run(task(), { check: true })).changes.map((c) => c.description)).toEqual([
      `restore release ${(await readBundle(app)).id}: extra directory lib/__pycache__, extra file lib/__pycache__/util.pyc`,
    ]);
    await lab.onHost('rm -r /srv/demo/current/lib/__pycache__');
  });

  it('switches current to new content and keeps only `keep` releases', async () => {
    const ids: string[] = [];
    for (const version of ['v2', 'v3']) {
      writeFileSync(path.join(app, 'app.sh'), `#!/bin/sh\necho ${version}\n`);
      ids.push((await readBundle(app)).id);
      const result = await lab.run(task());
      expect(result.status, result.error).toBe('changed');
      expect(await lab.onHost('/srv/demo/current/app.sh')).toBe(`${version}\n`);
    }
    const releases = (await lab.onHost('ls -1 /srv/demo/releases')).trim().split('\n').sort();
    expect(releases).toEqual([...ids].sort());
    expect((await lab.run(task())).status).toBe('ok');
  });
});
