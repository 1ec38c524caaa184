/**
 * The file modules against a real Debian 13 host: apply → check the host with an independent
 * command (docker exec, not shipshape) → apply again changes nothing → drift by hand → --check
 * reports it and changes nothing → apply fixes it.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeContext } from '../../src/engine/task-run.ts';
import { file } from '../../src/modules/file/index.ts';
import { validateArgs } from '../../src/task/task.ts';
import { Secret } from '../../src/secrets/secret.ts';
import { useModuleHost } from './support/module-host.ts';

const localDir = mkdtempSync(path.join(tmpdir(), 'shipshape-file-test-'));

const hostVars = { maxconn: 2048, listenPort: 80, backendPort: 8080 };

const lab = useModuleHost('files-01', { vars: hostVars });
const { onHost, run, converge, checkThenFix } = lab;

afterAll(() => {
  rmSync(localDir, { recursive: true, force: true });
});

describe('file.directory', () => {
  const task = file.directory({ path: '/srv/app/releases', owner: 'deploy', group: 'deploy', mode: '0750' });
  const stat = () => onHost('stat -c "%a %U %G" /srv/app/releases');

  it('creates, converges, reports and fixes drift', async () => {
    await converge(task);
    expect(await stat()).toBe('750 deploy deploy\n');

    await onHost('chmod 0755 /srv/app/releases && chown root /srv/app/releases');
    await checkThenFix(task, ['owner of /srv/app/releases: root → deploy', 'mode of /srv/app/releases: 0755 → 0750'], stat);
    expect(await stat()).toBe('750 deploy deploy\n');
  });

  it('applies owner recursively', async () => {
    const recurse = file.directory({ path: '/srv/app', owner: 'deploy', recurse: true });
    await onHost('mkdir -p /srv/app/shared && touch /srv/app/shared/a /srv/app/shared/b');
    const snapshot = () => onHost('find /srv/app -printf "%u %p\\n" | sort');
    await checkThenFix(recurse, ['owner of /srv/app: root → deploy', 'owner/group/mode of 3 entries inside /srv/app'], snapshot);
    expect(await onHost('find /srv/app ! -user deploy | wc -l')).toBe('0\n');
  });

  it('applies a mode to every directory inside, never through a link', async () => {
    await onHost('mkdir -p /srv/tree/a/b /srv/outside && chmod 0755 /srv/outside && ln -sfn /srv/outside /srv/tree/a/link');
    await run(file.directory({ path: '/srv/tree', mode: '0750', recurse: true }));
    expect(await onHost('stat -c "%a %n" /srv/tree /srv/tree/a /srv/tree/a/b /srv/outside')).toBe(
      '750 /srv/tree\n750 /srv/tree/a\n750 /srv/tree/a/b\n755 /srv/outside\n',
    );
  });
});

describe('file.copy', () => {
  const first = 'listen 8080\nworkers 2\n';
  const task = file.copy({ dest: '/etc/shipshape-test/app.conf', content: first, owner: 'root', group: 'deploy', mode: '0640' });
  const read = () => onHost('stat -c "%a %U %G" /etc/shipshape-test/app.conf && cat /etc/shipshape-test/app.conf');

  it('writes inline content with attributes, and reports edits with a diff', async () => {
    await onHost('mkdir -p /etc/shipshape-test');
    const created = await converge(task);
    expect(created.changes[0].diff).toEqual({ path: '/etc/shipshape-test/app.conf', before: '', after: first });
    expect(await read()).toBe(`640 root deploy\n${first}`);

    await onHost('echo "workers 9" >> /etc/shipshape-test/app.conf');
    const checked = await checkThenFix(task, ['update /etc/shipshape-test/app.conf'], read);
    expect(checked.changes[0].diff).toEqual({ path: '/etc/shipshape-test/app.conf', before: `${first}workers 9\n`, after: first });
    expect(await read()).toBe(`640 root deploy\n${first}`);
  });

  it('a mode-only drift is reported as such', async () => {
    await onHost('chmod 0644 /etc/shipshape-test/app.conf');
    await checkThenFix(task, ['mode of /etc/shipshape-test/app.conf: 0644 → 0640'], read);
    expect(await read()).toBe(`640 root deploy\n${first}`);
  });

  it('recreates a deleted file', async () => {
    await onHost('rm /etc/shipshape-test/app.conf');
    const exists = () => onHost('test -e /etc/shipshape-test/app.conf && echo yes || echo no');
    await checkThenFix(task, ['create /etc/shipshape-test/app.conf (owner root, group deploy, mode 0640)'], exists);
    expect(await read()).toBe(`640 root deploy\n${first}`);
  });

  it('copies a local binary file byte for byte, without a text diff', async () => {
    const bytes = Buffer.from(Array.from({ length: 600 }, (_, i) => (i * 37) % 256));
    const local = path.join(localDir, 'blob.bin');
    writeFileSync(local, bytes);
    const copy = file.copy({ src: local, dest: '/opt/blob.bin', mode: 0o600 });
    await converge(copy);
    const hash = createHash('sha256').update(bytes).digest('hex');
    expect(await onHost('sha256sum /opt/blob.bin | cut -c1-64')).toBe(`${hash}\n`);

    await onHost('printf "\\000\\001" | dd of=/opt/blob.bin bs=1 seek=10 conv=notrunc status=none');
    const checked = await checkThenFix(copy, ['update /opt/blob.bin: binary content differs (600 → 600 bytes)'], () =>
      onHost('sha256sum /opt/blob.bin'),
    );
    expect(checked.changes[0].diff).toBeUndefined();
    expect(await onHost('sha256sum /opt/blob.bin | cut -c1-64')).toBe(`${hash}\n`);
  });

  it('creates a secrets file with its final mode and the revealed value', async () => {
    const secretFile = file.copy({ dest: '/etc/shipshape-test/db.secret', content: new Secret('pw-0123456789', 'test'), mode: '0600' });
    await converge(secretFile);
    expect(await onHost('stat -c "%a %U" /etc/shipshape-test/db.secret && cat /etc/shipshape-test/db.secret')).toBe('600 root\npw-0123456789');
  });

  it('keeps the old file and fails with the validator output when validation fails', async () => {
    await onHost('printf "ok\\n" > /etc/shipshape-test/validated.conf');
    const bad = file.copy({ dest: '/etc/shipshape-test/validated.conf', content: 'broken\n', validate: 'grep -q "^ok" %s || { echo "config invalid: missing ok" >&2; false; }' });
    const result = await run(bad);
    expect(result.status).toBe('failed');
    expect(result.error).toContain('config invalid: missing ok');
    expect(await onHost('cat /etc/shipshape-test/validated.conf')).toBe('ok\n');
    // No temporary file left beside it.
    expect(await onHost('ls -A /etc/shipshape-test')).toBe('app.conf\ndb.secret\nvalidated.conf\n');

    const good = file.copy({ dest: '/etc/shipshape-test/validated.conf', content: 'ok then\n', validate: 'grep -q "^ok" %s' });
    await converge(good);
    expect(await onHost('cat /etc/shipshape-test/validated.conf')).toBe('ok then\n');
  });

  it('keeps a backup when asked', async () => {
    await onHost('printf "v1\\n" > /etc/shipshape-test/backed.conf');
    await converge(file.copy({ dest: '/etc/shipshape-test/backed.conf', content: 'v2\n', backup: true }));
    const backups = await onHost('for f in /etc/shipshape-test/backed.conf.*; do cat "$f"; done');
    expect(backups).toBe('v1\n');
  });
});

describe('numeric owner and group', () => {
  // uid 1001 has no name on the lab host (stat says UNKNOWN); gid 4 is a named group (adm).
  const path = '/etc/shipshape-test/by-id.conf';
  const task = file.copy({ dest: path, content: 'by id\n', owner: 1001, group: '4', mode: '0640' });
  const stat = () => onHost(`stat -c "%u %g %a" ${path}`);

  it('compares ids with the numeric uid/gid: converges, and repairs an owner drift', async () => {
    await onHost('mkdir -p /etc/shipshape-test && getent passwd 1001 || true');
    await converge(task);
    expect(await stat()).toBe('1001 4 640\n');

    await onHost(`chown 0:0 ${path}`);
    await checkThenFix(task, [`owner of ${path}: root (0) → 1001`, `group of ${path}: root (0) → 4`], stat);
    expect(await stat()).toBe('1001 4 640\n');
  });

  it('a content rewrite keeps a nameless uid it is not told to change', async () => {
    const keep = file.copy({ dest: path, content: 'rewritten\n' });
    await converge(keep);
    expect(await stat()).toBe('1001 4 640\n');
  });
});

describe('file.template', () => {
  const servers = [{ name: 'web-01', address: '10.0.0.3' }, { name: 'web-02', address: '10.0.0.4' }];
  const task = file.template({ src: 'templates/haproxy.cfg.ejs', dest: '/etc/shipshape-test/haproxy.cfg', vars: { servers }, mode: '0644' });

  it('renders the host vars and extra vars, converges and repairs drift', async () => {
    await converge(task);
    const rendered = await onHost('cat /etc/shipshape-test/haproxy.cfg');
    expect(rendered).toContain('    maxconn 2048\n');
    expect(rendered).toContain('    server web-02 10.0.0.4:8080 check\n');

    await onHost('sed -i "s/balance roundrobin/balance leastconn/" /etc/shipshape-test/haproxy.cfg');
    const checked = await checkThenFix(task, ['update /etc/shipshape-test/haproxy.cfg'], () => onHost('cat /etc/shipshape-test/haproxy.cfg'));
    expect(checked.changes[0].diff!.before).toContain('balance leastconn');
    expect(checked.changes[0].diff!.after).toContain('balance roundrobin');
    expect(await onHost('cat /etc/shipshape-test/haproxy.cfg')).toBe(rendered);
  });

  it('fails naming template, line and variable, and writes nothing', async () => {
    const broken = file.template({ src: 'templates/haproxy.cfg.ejs', dest: '/etc/shipshape-test/broken.cfg', vars: { servers } });
    const result = await lab.session.run(broken, { vars: { backendPort: undefined as unknown } });
    expect(result.status).toBe('failed');
    expect(result.error).toBe('templates/haproxy.cfg.ejs:11: undefined variable "backendPort"');
    expect(await onHost('test -e /etc/shipshape-test/broken.cfg && echo yes || echo no')).toBe('no\n');
  });
});

describe('file.link and file.absent', () => {
  it('links, repairs a wrong link, removes it', async () => {
    await onHost('mkdir -p /srv/releases/1 /srv/releases/2');
    const link = file.link({ src: '/srv/releases/2', dest: '/srv/current' });
    await converge(link);
    expect(await onHost('readlink /srv/current')).toBe('/srv/releases/2\n');

    await onHost('ln -sfn /srv/releases/1 /srv/current');
    await checkThenFix(link, ['relink /srv/current: /srv/releases/1 → /srv/releases/2'], () => onHost('readlink /srv/current'));
    expect(await onHost('readlink /srv/current')).toBe('/srv/releases/2\n');

    const absent = file.absent({ path: '/srv/current' });
    await converge(absent);
    expect(await onHost('test -L /srv/current && echo yes || echo no; ls /srv/releases')).toBe('no\n1\n2\n');
  });

  it('removes a directory tree; a file standing in for a link needs force', async () => {
    await onHost('mkdir -p /srv/old/a/b && touch /srv/old/a/b/c && touch /srv/plainfile');
    await converge(file.absent({ path: '/srv/old' }));
    expect(await onHost('test -e /srv/old && echo yes || echo no')).toBe('no\n');

    const failed = await run(file.link({ src: '/srv/releases/1', dest: '/srv/plainfile' }));
    expect(failed.status).toBe('failed');
    expect(failed.error).toContain('force: true');
    await converge(file.link({ src: '/srv/releases/1', dest: '/srv/plainfile', force: true }));
    expect(await onHost('readlink /srv/plainfile')).toBe('/srv/releases/1\n');
  });
});

describe('file.line', () => {
  const config = '/etc/shipshape-test/sshd_config';
  const task = file.line({ path: config, regexp: '^#?PermitRootLogin', line: 'PermitRootLogin no' });

  it('replaces the matching line, converges, and repairs a hand edit', async () => {
    await onHost(`printf "Port 22\\n#PermitRootLogin yes\\nUseDNS no\\n" > ${config} && chmod 0600 ${config}`);
    const first = await converge(task);
    expect(first.changes[0].diff).toEqual({
      path: config,
      before: 'Port 22\n#PermitRootLogin yes\nUseDNS no\n',
      after: 'Port 22\nPermitRootLogin no\nUseDNS no\n',
    });
    expect(await onHost(`stat -c %a ${config} && cat ${config}`)).toBe('600\nPort 22\nPermitRootLogin no\nUseDNS no\n');

    await onHost(`sed -i "s/PermitRootLogin no/PermitRootLogin yes/" ${config}`);
    await checkThenFix(task, [`set line "PermitRootLogin no" in ${config}`], () => onHost(`cat ${config}`));
    expect(await onHost(`cat ${config}`)).toBe('Port 22\nPermitRootLogin no\nUseDNS no\n');
  });

  it('removes lines and creates a missing file when asked', async () => {
    await converge(file.line({ path: config, state: 'absent', regexp: '^UseDNS' }));
    expect(await onHost(`cat ${config}`)).toBe('Port 22\nPermitRootLogin no\n');

    await converge(file.line({ path: '/etc/shipshape-test/new.conf', line: 'enabled=1', create: true, mode: '0640' }));
    expect(await onHost('stat -c %a /etc/shipshape-test/new.conf && cat /etc/shipshape-test/new.conf')).toBe('640\nenabled=1\n');
  });
});

describe('a file in a directory another account controls', () => {
  it('fixes owner and mode of the file itself: a link swapped in between plan and apply is never followed', async () => {
    // dana owns /home/dana/app, so she may replace anything in it. Root left a file there that the
    // task wants to hand over to her (owner, group and mode drift: an in-place fix, no rewrite).
    await onHost('id dana >/dev/null 2>&1 || useradd -m dana');
    await onHost('install -d -o dana -g dana /home/dana/app && printf "setting=1\\n" > /home/dana/app/app.conf && chown root:root /home/dana/app/app.conf && chmod 0600 /home/dana/app/app.conf');
    await onHost('printf "root only\\n" > /root/victim.conf && chmod 0600 /root/victim.conf');
    const task = file.copy({ dest: '/home/dana/app/app.conf', content: 'setting=1\n', owner: 'dana', group: 'dana', mode: '0644' });
    const ctx = makeContext(task, {
      conn: lab.session.conn,
      host: lab.session.view,
      check: false,
      become: true,
      registered: {},
      baseDir: localDir,
      earlierChanges: false,
    });
    const args = validateArgs(task.module, task.args);
    const planned = await task.module.plan(ctx, args);
    expect(planned.changes.map((c) => c.description)).toEqual([
      'owner of /home/dana/app/app.conf: root → dana',
      'group of /home/dana/app/app.conf: root → dana',
      'mode of /home/dana/app/app.conf: 0600 → 0644',
    ]);
    // Between plan and apply, dana swaps the file for a link to a file only root may read.
    await onHost("setpriv --reuid=dana --regid=dana --init-groups -- sh -c 'rm -f /home/dana/app/app.conf && ln -s /root/victim.conf /home/dana/app/app.conf'");
    await task.module.apply(ctx, args, planned).catch(() => undefined);
    expect(await onHost('stat -c "%U %G %a" /root/victim.conf')).toBe('root root 600\n');
  });
});

