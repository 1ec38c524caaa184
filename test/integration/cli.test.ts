/**
 * The CLI end to end, as a user runs it: `shipshape apply` on three fresh hosts in parallel, a
 * second run changes nothing, `plan` exits 0, drift makes `plan` exit 2 naming it (and change
 * nothing), apply fixes it; --json lines; an invalid inventory exits 1 naming the field; a changed
 * host key is refused; one failing host does not stop the others.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHosts, type TestHosts } from './support/lab-hosts.ts';

const run = promisify(execFile);
const CLI = path.resolve('bin/shipshape.js');
const PLAYBOOK = path.resolve('test/fixtures/playbooks/basic.ts');

let lab: TestHosts | undefined;
const dir = mkdtempSync(path.join(tmpdir(), 'shipshape-cli-test-'));
const inventoryFile = path.join(dir, 'inventory.json');

async function shipshape(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: '1' } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function jsonLines(stdout: string): Array<Record<string, any>> {
  return stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
}

beforeAll(async () => {
  lab = await startTestHosts(['cli-01', 'cli-02', 'cli-03']);
  const [first] = lab.hosts;
  writeFileSync(
    inventoryFile,
    JSON.stringify({
      defaults: { user: 'deploy', become: true, privateKey: first.privateKeyPath, knownHosts: first.knownHostsPath },
      hosts: Object.fromEntries(lab.hosts.map((h) => [h.name, { address: h.address, port: h.port }])),
      groups: { first: { hosts: ['cli-01'] } },
      vars: { greeting: 'ahoy' },
    }),
  );
});

afterAll(async () => {
  await lab?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('shipshape CLI on three hosts', () => {
  it('converges fresh hosts in parallel, then a second run and plan change nothing', async () => {
    const first = await shipshape('apply', PLAYBOOK, '-i', inventoryFile, '--json');
    expect(first.code, first.stderr + first.stdout).toBe(0);
    const lines = jsonLines(first.stdout);
    const recap = lines.at(-1)!;
    expect(recap.type).toBe('recap');
    for (const host of lab!.hosts) {
      expect(recap.hosts[host.name]).toMatchObject({ failed: 0, unreachable: 0 });
      expect(recap.hosts[host.name].changed).toBeGreaterThanOrEqual(6);
      // Independent checks.
      expect((await host.shell('dpkg-query -W -f=\'${Status}\' tree')).stdout).toBe('install ok installed');
      expect((await host.shell('id -nG alice')).stdout).toContain('ops');
      expect((await host.shell('cat /srv/basic/motd')).stdout).toBe(`ahoy from ${host.name} (Debian GNU/Linux 13 (trixie))\n`);
      expect((await host.shell('wc -l < /srv/basic/handler-runs')).stdout.trim()).toBe('1');
    }
    const task = lines.find((l) => l.type === 'task' && l.status === 'changed')!;
    expect(Object.keys(task)).toEqual(expect.arrayContaining(['type', 'play', 'host', 'task', 'status', 'changes', 'durationMs']));

    const second = await shipshape('apply', PLAYBOOK, '-i', inventoryFile, '--json');
    expect(second.code).toBe(0);
    const recap2 = jsonLines(second.stdout).at(-1)!;
    for (const host of lab!.hosts) expect(recap2.hosts[host.name].changed).toBe(0);
    expect((await lab!.hosts[0].shell('wc -l < /srv/basic/handler-runs')).stdout.trim()).toBe('1');

    const plan = await shipshape('plan', PLAYBOOK, '-i', inventoryFile);
    expect(plan.code, plan.stdout).toBe(0);
  });

  it('plan exits 2 naming drift and changes nothing; apply fixes it; --limit narrows', async () => {
    const [h1, h2] = lab!.hosts;
    await h1.shell('echo tampered > /srv/basic/motd; chmod 600 /srv/basic/motd; systemctl stop cron');
    const plan = await shipshape('plan', PLAYBOOK, '-i', inventoryFile);
    expect(plan.code, plan.stdout + plan.stderr).toBe(2);
    expect(plan.stdout).toContain('/srv/basic/motd');
    expect(plan.stdout).toMatch(/-tampered/);
    // cli-01's cron task and its change line, both on cli-01's own lines (not "start cron" anywhere).
    expect(plan.stdout).toMatch(/^cli-01\s+would change\s+[^\n]*cron[^\n]*\n {14}~ start cron\.service$/m);
    expect((await h1.shell('cat /srv/basic/motd')).stdout).toBe('tampered\n');

    await h2.shell('systemctl stop cron');
    const limited = await shipshape('apply', PLAYBOOK, '-i', inventoryFile, '--limit', 'first', '--json');
    expect(limited.code).toBe(0);
    const hosts = Object.keys(jsonLines(limited.stdout).at(-1)!.hosts);
    expect(hosts).toEqual(['cli-01']);
    expect((await h1.shell('cat /srv/basic/motd; systemctl is-active cron')).stdout).toContain('ahoy');
    expect((await h2.shell('systemctl is-active cron')).stdout.trim()).toBe('inactive');

    const again = await shipshape('plan', PLAYBOOK, '-i', inventoryFile, '--limit', 'first');
    expect(again.code).toBe(0);
    await shipshape('apply', PLAYBOOK, '-i', inventoryFile);
  });

  it('one failing host does not stop the others; exit 1', async () => {
    const [h1, h2, h3] = lab!.hosts;
    // A directory where the template goes: the write fails on cli-02 only.
    await h2.shell('rm -f /srv/basic/motd && mkdir /srv/basic/motd');
    await h1.shell('rm -f /srv/basic/built');
    await h3.shell('rm -f /srv/basic/built');
    const result = await shipshape('apply', PLAYBOOK, '-i', inventoryFile, '--json');
    expect(result.code).toBe(1);
    const recap = jsonLines(result.stdout).at(-1)!;
    expect(recap.hosts['cli-02'].failed).toBe(1);
    expect(recap.hosts['cli-01'].failed).toBe(0);
    // The failure as data: its class and message, host and task named by the engine, no stack.
    const failure = jsonLines(result.stdout).find((l) => l.type === 'task' && l.status === 'failed')!;
    expect(failure.errorInfo).toEqual({ class: 'TaskError', message: failure.error, host: 'cli-02', task: failure.task });
    expect(failure.errorInfo.stack).toBeUndefined();
    expect((await h1.shell('cat /srv/basic/built')).stdout).toBe('built\n');
    expect((await h3.shell('cat /srv/basic/built')).stdout).toBe('built\n');
    await h2.shell('rmdir /srv/basic/motd');
  });

  it('an invalid inventory exits 1 naming the field, without a stack trace', async () => {
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ hosts: { a: { address: '127.0.0.1', port: 'ssh' } } }));
    const result = await shipshape('plan', PLAYBOOK, '-i', bad);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${bad}`);
    expect(result.stderr).toContain('hosts.a.port');
    expect(result.stderr).not.toMatch(/\n\s+at /);
    writeFileSync(bad, JSON.stringify({ hosts: { a: { address: '127.0.0.1' } }, groups: { web: { hosts: ['a', 'web-3'] } } }));
    const unknown = await shipshape('plan', PLAYBOOK, '-i', bad);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('groups.web.hosts[1]: unknown host "web-3"');
  });

  it('refuses a changed host key, naming the host', async () => {
    const original = readFileSync(inventoryFile, 'utf8');
    const inv = JSON.parse(original);
    const forged = path.join(dir, 'known_hosts_forged');
    const [h1, h2] = lab!.hosts;
    // cli-01's address with cli-02's key: exactly what a man in the middle looks like.
    const known = readFileSync(h1.knownHostsPath, 'utf8').split('\n');
    const keyOf = (address: string) => known.find((l) => l.startsWith(`${address} `))!.split(' ').slice(1).join(' ');
    writeFileSync(forged, `${h1.address} ${keyOf(h2.address)}\n`);
    inv.defaults.knownHosts = forged;
    const file = path.join(dir, 'forged.json');
    writeFileSync(file, JSON.stringify(inv));
    const result = await shipshape('apply', PLAYBOOK, '-i', file, '--limit', 'cli-01', '--json');
    expect(result.code).toBe(1);
    const recap = jsonLines(result.stdout).at(-1)!;
    expect(recap.hosts['cli-01'].unreachable).toBe(1);
    expect(result.stdout).toMatch(/cli-01.*host key/i);
  });

  it('plan and apply --check take no run lock: they finish while another holds it, apply waits and fails naming the holder', async () => {
    const [h1] = lab!.hosts;
    // Another run's lock, held the way run-lock.ts holds it (flock on the file naming the owner).
    await h1.shell(
      "printf 'pid 4242 on elsewhere (user ops), since 2026-01-01T00:00:00.000Z, playbook other.ts\\n' > /run/lock/shipshape.lock && " +
        '(nohup flock /run/lock/shipshape.lock sleep 3007 >/dev/null 2>&1 &) ; sleep 1',
    );
    try {
      expect((await h1.shell('flock -n /run/lock/shipshape.lock true || echo held')).stdout).toBe('held\n');
      const plan = await shipshape('plan', PLAYBOOK, '-i', inventoryFile, '--limit', 'cli-01', '--lock-timeout', '1');
      // 0 or 2 (what the earlier tests left): anything but a failure.
      expect([0, 2], plan.stdout + plan.stderr).toContain(plan.code);
      expect(plan.stderr).not.toContain('run lock');
      const check = await shipshape('apply', PLAYBOOK, '-i', inventoryFile, '--limit', 'cli-01', '--check', '--json', '--lock-timeout', '1');
      expect([0, 2], check.stdout + check.stderr).toContain(check.code);
      expect(jsonLines(check.stdout).at(-1)!.hosts['cli-01']).toMatchObject({ failed: 0, unreachable: 0 });

      const applied = await shipshape('apply', PLAYBOOK, '-i', inventoryFile, '--limit', 'cli-01', '--json', '--lock-timeout', '1');
      expect(applied.code).toBe(1);
      const failure = jsonLines(applied.stdout).find((l) => l.type === 'task' && l.status === 'failed')!;
      expect(failure.task).toBe('(run lock)');
      expect(failure.error).toContain('holds the run lock /run/lock/shipshape.lock (pid 4242 on elsewhere (user ops), since 2026-01-01T00:00:00.000Z, playbook other.ts); gave up after waiting 1 s');
    } finally {
      await h1.shell("pkill -f 'sleep [3]007' || true");
    }
  });

  it('refuses an unknown host key without --accept-new-host-keys (naming host and fingerprint, host unchanged); accepts and records it with it', async () => {
    const [h1] = lab!.hosts;
    const inv = JSON.parse(readFileSync(inventoryFile, 'utf8'));
    const knownHosts = path.join(dir, 'known_hosts_empty');
    writeFileSync(knownHosts, '');
    inv.defaults.knownHosts = knownHosts;
    const file = path.join(dir, 'unknown-key.json');
    writeFileSync(file, JSON.stringify(inv));
    const entry = readFileSync(h1.knownHostsPath, 'utf8').split('\n').find((l) => l.startsWith(`${h1.address} `) || l.startsWith(`[${h1.address}]:${h1.port} `))!;
    const [, keyType, key] = entry.split(' ');
    const fingerprint = `SHA256:${createHash('sha256').update(Buffer.from(key, 'base64')).digest('base64').replace(/=+$/, '')}`;
    await h1.shell('mkdir -p /srv/basic && echo tampered > /srv/basic/motd');

    const refused = await shipshape('apply', PLAYBOOK, '-i', file, '--limit', 'cli-01', '--json');
    expect(refused.code).toBe(1);
    const unreachable = jsonLines(refused.stdout).find((l) => l.type === 'unreachable')!;
    expect(unreachable.error).toBe(
      `host cli-01 (${h1.address}:${h1.port}): unknown host key (${keyType} ${fingerprint}); verify it and re-run with --accept-new-host-keys, or add it to ${knownHosts}`,
    );
    expect((await h1.shell('cat /srv/basic/motd')).stdout).toBe('tampered\n');
    expect(readFileSync(knownHosts, 'utf8')).toBe('');

    const accepted = await shipshape('apply', PLAYBOOK, '-i', file, '--limit', 'cli-01', '--json', '--accept-new-host-keys');
    expect(accepted.code, accepted.stdout + accepted.stderr).toBe(0);
    expect((await h1.shell('cat /srv/basic/motd')).stdout).toContain('ahoy from cli-01');
    expect(readFileSync(knownHosts, 'utf8')).toContain(`${keyType} ${key}`);
    // Recorded: the next run trusts it without the flag.
    const again = await shipshape('plan', PLAYBOOK, '-i', file, '--limit', 'cli-01');
    expect(again.code, again.stdout + again.stderr).toBe(0);
  });
});
