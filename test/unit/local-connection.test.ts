/**
 * `connection: 'local'` (Ansible's ansible_connection=local): a host's tasks run on the controller
 * through the same shell session protocol as SSH. Every write goes under a temporary directory
 * (the run lock included), checked with node's own fs, never through shipshape's report. The
 * controller here runs as root, so `become` takes the no-sudo path; that is asserted by the
 * number of shells opened.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sshConnector } from '../../src/cli/connector.ts';
import { runPlaybook } from '../../src/engine/run.ts';
import { exitCode } from '../../src/engine/result.ts';
import { loadInventory } from '../../src/inventory/load.ts';
import * as apt from '../../src/modules/apt/index.ts';
import * as command from '../../src/modules/command/index.ts';
import { file } from '../../src/modules/file/index.ts';
import { definePlaybook, play } from '../../src/playbook/define.ts';
import { JsonReporter } from '../../src/report/json.ts';
import { LocalConnection } from '../../src/transport/local-host.ts';
import { acquireRunLock } from '../../src/transport/run-lock.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'shipshape-local-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeInventory(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** A process that exists and is not a zombie waiting to be reaped. */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('inventory: the local connection', () => {
  it('maps ansible_connection=local (INI) and connection: local (YAML); ssh stays SSH', async () => {
    const ini = await loadInventory(writeInventory('hosts.ini', 'me ansible_connection=local ansible_become=yes\nweb1 ansible_host=10.0.0.5 ansible_connection=ssh\n[all:vars]\nx=1\n'));
    expect(ini.hosts.get('me')!.connection).toMatchObject({ connection: 'local', become: true });
    expect(ini.hosts.get('web1')!.connection.connection).not.toBe('local');
    const yaml = await loadInventory(writeInventory('inv.yml', 'hosts:\n  me:\n    address: localhost\n    connection: local\n'));
    expect(yaml.hosts.get('me')!.connection.connection).toBe('local');
  });

  it('sets it from group vars too, and names an unsupported plugin', async () => {
    const grouped = await loadInventory(writeInventory('group.ini', '[here]\nctl\n[here:vars]\nansible_connection=ansible.builtin.local\n'));
    expect(grouped.hosts.get('ctl')!.connection.connection).toBe('local');
    await expect(loadInventory(writeInventory('docker.ini', 'box ansible_connection=winrm\n'))).rejects.toThrow(/box[\s\S]*connection/);
    const containers = await loadInventory(writeInventory('containers.ini', 'c1 ansible_connection=community.docker.docker ansible_host=app-1\nc2 ansible_connection=docker\n'));
    expect(containers.hosts.get('c1')!.connection).toMatchObject({ connection: 'docker', address: 'app-1' });
    expect(containers.hosts.get('c2')!.connection).toMatchObject({ connection: 'docker', address: 'c2' });
  });
});

describe('a local host applies a playbook on the controller', () => {
  it('file, command and a package check through the CLI connector, run lock and facts included; the rerun changes nothing', async () => {
    const work = path.join(dir, 'apply');
    const lockPath = path.join(dir, 'run.lock');
    const inventoryFile = writeInventory('local.yml', 'hosts:\n  me:\n    address: localhost\n    connection: local\n    become: true\n');
    const inventory = await loadInventory(inventoryFile);
    const book = definePlaybook([
      play({
        name: 'local',
        hosts: 'all',
        tasks: (host) => [
          file.directory({ path: work, mode: '0750' }),
          file.copy({ dest: `${work}/greeting`, content: `hello from ${host.facts.hostname}\n`, mode: '0640' }),
          command.shell({ command: `echo "$(id -u) $$" > ${work}/ran-as`, creates: `${work}/ran-as` }),
          apt.packages({ names: ['bash'] }),
        ],
      }),
    ]);
    const opened: LocalConnection[] = [];
    const base = sshConnector({ acceptNewHostKeys: false, runLock: { timeoutS: 5, path: lockPath } });
    const connector = {
      ...base,
      connect: async (host: Parameters<typeof base.connect>[0]) => {
        const conn = await base.connect(host);
        opened.push(conn as LocalConnection);
        return conn;
      },
    };
    const runOnce = async () => {
      const lines: Array<Record<string, any>> = [];
      const recap = await runPlaybook(book, inventory, connector, new JsonReporter((line) => lines.push(JSON.parse(line))), {
        check: false,
        forks: 1,
        baseDir: dir,
        playbookName: 'local-test',
        selectHosts: () => ['me'],
      });
      return { recap, lines };
    };

    const first = await runOnce();
    expect(exitCode(first.recap), JSON.stringify(first.lines)).toBe(0);
    expect(first.recap.hosts.me).toMatchObject({ changed: 3, ok: 1, failed: 0 });
    // Checked on the filesystem, not in the report.
    const hostname = execFileSync('hostname', { encoding: 'utf8' }).trim();
    expect(readFileSync(`${work}/greeting`, 'utf8')).toBe(`hello from ${hostname}\n`);
    expect(statSync(`${work}/greeting`).mode & 0o777).toBe(0o640);
    expect(statSync(work).mode & 0o777).toBe(0o750);
    const [uid, shellPid] = readFileSync(`${work}/ran-as`, 'utf8').trim().split(' ');
    expect(uid).toBe(String(process.getuid!()));
    expect(Number(shellPid)).not.toBe(process.pid);
    // The run lock was really taken in the file given (and let go when the run ended).
    expect(readFileSync(lockPath, 'utf8')).toBe('');
    // Root already: become opens no sudo shell. One session + the lock's channel.
    expect(opened[0]!.becomeThroughSudo).toBe(false);
    expect(opened[0]!.channelsOpened).toBe(2);

    const second = await runOnce();
    expect(second.recap.hosts.me).toMatchObject({ changed: 0, ok: 4, failed: 0 });
    expect(readFileSync(`${work}/ran-as`, 'utf8').trim().split(' ')[1]).toBe(shellPid);
  });

  it('holds the run lock for as long as the connection lives', async () => {
    const lockPath = path.join(dir, 'held.lock');
    const inventory = await loadInventory(writeInventory('lock.yml', 'hosts:\n  me:\n    address: localhost\n    connection: local\n'));
    const settings = inventory.hosts.get('me')!.connection;
    const holder = new LocalConnection('me', settings);
    const other = new LocalConnection('me', settings);
    try {
      await acquireRunLock(holder, holder.settings, { timeoutS: 5, path: lockPath, label: 'holder-run' });
      expect(readFileSync(lockPath, 'utf8')).toContain('holder-run');
      await expect(acquireRunLock(other, other.settings, { timeoutS: 1, path: lockPath })).rejects.toThrow(/holds the run lock .*held\.lock.*holder-run/);
      await holder.close();
      await acquireRunLock(other, other.settings, { timeoutS: 5, path: lockPath, label: 'second-run' });
      expect(readFileSync(lockPath, 'utf8')).toContain('second-run');
    } finally {
      await holder.close();
      await other.close();
    }
    expect(existsSync(lockPath)).toBe(true);
  });

  it('a timed-out command is killed and the session goes on', async () => {
    const inventory = await loadInventory(writeInventory('kill.yml', 'hosts:\n  me:\n    address: localhost\n    connection: local\n'));
    const conn = new LocalConnection('me', inventory.hosts.get('me')!.connection, { killGraceMs: 500 });
    try {
      const pidFile = path.join(dir, 'sleeper.pid');
      await expect(conn.exec(`sh -c 'echo $$ > ${pidFile}; exec sleep 30'`, { timeoutMs: 300 })).rejects.toThrow(/timed out|timeout/i);
      const sleeper = Number(readFileSync(pidFile, 'utf8'));
      // Gone (killed with its process group), not left running on the controller.
      await expect.poll(() => running(sleeper), { timeout: 3000 }).toBe(false);
      const after = await conn.exec('echo alive');
      expect(after.stdout).toBe('alive\n');
    } finally {
      await conn.close();
    }
  });

  // Not root: become must go through sudo. Run as nobody (setpriv, no system change): sudo cannot
  // make nobody root here, and that must be a clear task error, never a hang or a silent non-root run.
  it.skipIf(process.getuid?.() !== 0)('as a non-root account, become goes through sudo and its refusal is a clear error', () => {
    const scriptDir = mkdtempSync(path.join(tmpdir(), 'shipshape-local-nobody-'));
    chmodSync(scriptDir, 0o755);
    const script = path.join(scriptDir, 'become.mts');
    writeFileSync(
      script,
      `import { LocalConnection } from ${JSON.stringify(path.resolve('src/transport/local-host.ts'))};
const conn = new LocalConnection('me', { address: 'localhost', port: 22, user: 'x', become: true, connectTimeout: 5 });
const plain = await conn.exec('id -u');
console.log('uid', plain.stdout.trim(), 'sudo', conn.becomeThroughSudo);
try { const r = await conn.exec('id -u', { become: true }); console.log('became', r.stdout.trim()); }
catch (e) { console.log('refused', e.constructor.name, e.message.split('\\n')[0]); }
await conn.close();
`,
    );
    chmodSync(script, 0o644);
    try {
      const out = execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'env', `HOME=${scriptDir}`, path.resolve('node_modules/.bin/tsx'), script], {
        encoding: 'utf8',
        cwd: scriptDir,
      });
      expect(out).toContain('uid 65534 sudo true');
      expect(out).toMatch(/refused CommandError host me: cannot become root with sudo: /);
      expect(out).not.toContain('became');
    } finally {
      rmSync(scriptDir, { recursive: true, force: true });
    }
  }, 60_000);
});
