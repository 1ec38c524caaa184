import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TaskError } from '../../src/errors.ts';
import { parseAptPolicy } from '../../src/modules/apt/policy.ts';
import { parseDpkgQuery } from '../../src/modules/apt/dpkg.ts';
import { transactionCommand, updateCommand } from '../../src/modules/apt/apt-get.ts';
import { explainHeldLocks, waitForLocksCommand } from '../../src/modules/apt/locks.ts';
import { parsePackageSpec, versionMatches } from '../../src/modules/apt/package-spec.ts';
import { planPackages } from '../../src/modules/apt/packages-plan.ts';
import { parseProbe, probeCommand } from '../../src/modules/apt/packages-probe.ts';
import { aptPackagesSchema, type AptPackagesInput } from '../../src/modules/apt/packages-schema.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/facts/${name}`, import.meta.url), 'utf8');
const context = { host: 'web-01', task: 'packages' };

// Recorded on Debian 13: hello installed, tree not installed, an unknown name, a virtual package.
const trixie = parseProbe(fixture('apt-probe-debian13.txt'));
// Recorded after adding sid pinned at 100: `apt-cache -t sid policy hello tree`.
const sid = parseProbe(fixture('apt-probe-debian13-sid.txt'));

function plan(input: AptPackagesInput, state = trixie) {
  const args = aptPackagesSchema.parse(input);
  return planPackages(args, args.names.map(parsePackageSpec), state, context);
}

describe('apt probe parsing (recorded output)', () => {
  it('reads dpkg versions, policy candidates and the lists age', () => {
    expect(trixie.listsAgeSeconds).toBe(6);
    expect(trixie.hasLists).toBe(true);
    expect(trixie.dpkg.map((p) => [p.name, p.version, p.installed])).toEqual([
      ['hello', '2.10-5', true],
      ['libc6', '2.41-12+deb13u4', true],
    ]);
    expect(trixie.policy.packages.get('tree')).toMatchObject({ installed: null, candidate: '2.2.1-1' });
    expect(trixie.policy.packages.get('mail-transport-agent')).toMatchObject({ candidate: null, versions: [] });
    expect(trixie.policy.packages.has('nonexistent-pkg')).toBe(false);
  });

  it('reads the version table with priorities under -t sid', () => {
    expect(sid.policy.packages.get('hello')!.versions).toEqual([
      { version: '2.12.3-1', priority: 990, installed: false, origins: ['http://deb.debian.org/debian sid/main amd64 Packages'] },
      {
        version: '2.10-5',
        priority: 500,
        installed: true,
        origins: ['http://deb.debian.org/debian trixie/main amd64 Packages', '/var/lib/dpkg/status'],
      },
    ]);
  });

  it('tells config-files-only from installed', () => {
    const [hello, logrotate] = parseDpkgQuery('hello\tamd64\t2.10-5\tii \nlogrotate\tamd64\t3.22.0-1\trc \n');
    expect(hello).toMatchObject({ installed: true, configFilesOnly: false });
    expect(logrotate).toMatchObject({ installed: false, configFilesOnly: true });
  });

  it('collects apt errors instead of treating them as packages', () => {
    expect(parseAptPolicy('E: something broke\nW: a warning\n').errors).toEqual(['something broke']);
  });
});

describe('planPackages', () => {
  it('plans only the missing package, with its candidate version', () => {
    const result = plan({ names: ['hello', 'tree'] });
    expect(result.changes.map((c) => c.description)).toEqual(['install tree 2.2.1-1']);
    expect(result.transaction).toEqual({ updateCache: false, action: 'install', packages: ['tree'], allowDowngrades: false });
  });

  it('is ok when everything is installed', () => {
    expect(plan({ names: ['hello', 'libc6'] }).changes).toEqual([]);
    expect(plan({ names: ['hello'], state: 'latest' }).changes).toEqual([]);
  });

  it('fails at plan time naming every unknown package', () => {
    expect(() => plan({ names: ['hello', 'nonexistent-pkg'] })).toThrow(TaskError);
    expect(() => plan({ names: ['hello', 'nonexistent-pkg'] })).toThrow(/'nonexistent-pkg'/);
  });

  it('fails for a virtual package with no candidate', () => {
    expect(() => plan({ names: ['mail-transport-agent'] })).toThrow(/no installation candidate/);
  });

  it('defers unknown names until after a planned cache update', () => {
    const result = plan({ names: ['nonexistent-pkg'], updateCache: true });
    expect(result.changes.map((c) => c.description)).toEqual(['update apt cache (lists are 6s old)', 'install nonexistent-pkg (after the cache update)']);
    expect(result.transaction.updateCache).toBe(true);
  });

  it('updates with cacheValidTime only when the lists are older', () => {
    expect(plan({ names: ['hello'], cacheValidTime: 3600 })).toMatchObject({ changes: [], notes: [], upkeep: false });
    // Old lists alone are not drift: a note, and upkeep for apply, but no change.
    const old = plan({ names: ['hello'], cacheValidTime: 5 });
    expect(old).toMatchObject({ changes: [], upkeep: true, transaction: { updateCache: true, action: null } });
    expect(old.notes).toEqual(["apt's lists are 6s old, older than cacheValidTime (5s): apply refreshes them, not counted as a change"]);
    // With something else to do the refresh is part of the change, as before.
    expect(plan({ names: ['tree'], cacheValidTime: 5 })).toMatchObject({ changes: [{ description: 'update apt cache (lists are 6s old)' }, { description: 'install tree 2.2.1-1' }], upkeep: false, notes: [] });
    // Fresh enough lists are used as they are, even for an install.
    expect(plan({ names: ['tree'], updateCache: true, cacheValidTime: 3600 }).changes.map((c) => c.description)).toEqual(['install tree 2.2.1-1']);
    // A host without lists is always stale.
    expect(plan({ names: ['tree'], cacheValidTime: 3600 }, { ...trixie, hasLists: false }).changes[0].description).toBe('update apt cache (no lists yet)');
  });

  it('refreshes before an install with a bare updateCache, but not on a no-op', () => {
    expect(plan({ names: ['hello'], updateCache: true }).transaction.updateCache).toBe(false);
    expect(plan({ names: ['tree'], updateCache: true }).transaction.updateCache).toBe(true);
    expect(plan({ names: [], updateCache: true }).changes.map((c) => c.description)).toEqual(['update apt cache (lists are 6s old)']);
  });

  it('never asks for another update when planning again after one', () => {
    const args = aptPackagesSchema.parse({ names: ['tree'], cacheValidTime: 0 });
    const result = planPackages(args, args.names.map(parsePackageSpec), trixie, context, true);
    expect(result.transaction).toMatchObject({ updateCache: false, packages: ['tree'] });
  });

  it('upgrades to the default release candidate with latest', () => {
    const result = plan({ names: ['hello', 'tree'], state: 'latest', defaultRelease: 'sid' }, sid);
    expect(result.changes.map((c) => c.description)).toEqual(['upgrade hello 2.10-5 → 2.12.3-1', 'install tree 2.3.2-1']);
  });

  it('resolves a version glob to the newest matching version', () => {
    const result = plan({ names: ['tree=2.2*', 'hello=2.10*'] }, sid);
    expect(result.changes.map((c) => c.description)).toEqual(['install tree 2.2.1-1']);
    expect(result.transaction).toMatchObject({ packages: ['tree=2.2.1-1'], allowDowngrades: true });
    expect(() => plan({ names: ['tree=9*'] }, sid)).toThrow(/no version of tree matches '9\*' \(apt offers 2.3.2-1, 2.2.1-1\)/);
  });

  it('removes installed packages, and purges leftover configuration only with purge', () => {
    const withRc = { ...trixie, dpkg: [...trixie.dpkg, ...parseDpkgQuery('logrotate\tamd64\t3.22.0-1\trc \n')] };
    expect(plan({ names: ['hello', 'tree', 'logrotate'], state: 'absent' }, withRc).changes.map((c) => c.description)).toEqual(['remove hello 2.10-5']);
    const purge = plan({ names: ['hello', 'logrotate'], state: 'absent', purge: true }, withRc);
    expect(purge.changes.map((c) => c.description)).toEqual(['purge hello 2.10-5', 'purge logrotate (configuration files left by a removal)']);
    expect(purge.transaction).toMatchObject({ action: 'purge', packages: ['hello', 'logrotate'] });
  });

  it('leaves a held package alone with latest, saying so, and refuses to move it to a pinned version', () => {
    const held = { ...trixie, dpkg: parseDpkgQuery('hello\tamd64\t2.10-5\thi \n') };
    expect(held.dpkg[0]).toMatchObject({ installed: true, held: true });
    const result = plan({ names: ['hello'], state: 'latest', defaultRelease: 'sid' }, { ...sid, dpkg: held.dpkg });
    expect(result).toMatchObject({ changes: [], notes: ['hello is held at 2.10-5 (apt-mark hold): candidate 2.12.3-1 not installed'], transaction: { action: null } });
    // Not held: the same plan upgrades.
    expect(plan({ names: ['hello'], state: 'latest', defaultRelease: 'sid' }, sid).changes.map((c) => c.description)).toEqual(['upgrade hello 2.10-5 → 2.12.3-1']);
    expect(() => plan({ names: ['hello=2.12*'] }, { ...sid, dpkg: held.dpkg })).toThrow(/hello is held at 2.10-5 \(apt-mark hold\): unhold it to change it to '2.12\*'/);
  });

  it('explains an unknown default release', () => {
    expect(() => plan({ names: ['hello'], defaultRelease: 'nonexistent-release' }, parseProbe(fixture('apt-probe-unknown-release.txt')))).toThrow(
      /default release 'nonexistent-release' is not in apt's sources/,
    );
  });
});

describe('apt arguments and commands', () => {
  it('rejects bad combinations with clear messages', () => {
    expect(aptPackagesSchema.safeParse({ names: [] }).success).toBe(false);
    expect(aptPackagesSchema.safeParse({ names: ['nginx=1.2*'], state: 'latest' }).error?.issues[0].message).toMatch(/version pins/);
    expect(aptPackagesSchema.safeParse({ names: ['Nginx'] }).success).toBe(false);
    expect(aptPackagesSchema.safeParse({ names: ['nginx; rm -rf /'] }).success).toBe(false);
    expect(aptPackagesSchema.safeParse({ names: ['tree', 'tree=1*'] }).error?.issues[0].message).toMatch(/twice/);
  });

  it('parses specs and version globs', () => {
    expect(parsePackageSpec('libc6:i386=2.41*')).toEqual({ spec: 'libc6:i386=2.41*', name: 'libc6:i386', baseName: 'libc6', arch: 'i386', version: '2.41*' });
    expect(versionMatches('1.2*', '1.26.3-3')).toBe(true);
    expect(versionMatches('1.2*', '1.3')).toBe(false);
    expect(versionMatches('1.2.?-1', '1.2.3-1')).toBe(true);
    expect(versionMatches('2.2.1-1', '2.2.1-1+b1')).toBe(false);
  });

  it('builds one quoted, non-interactive transaction with the lock timeout', () => {
    const command = transactionCommand({ action: 'install', packages: ['nginx', 'tree=2.2.1-1'], lockTimeout: 30, installRecommends: false, defaultRelease: 'sid', allowDowngrades: true });
    expect(command.startsWith(
      'DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=a apt-get -y -q -o DPkg::Lock::Timeout=30 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold -o APT::Install-Recommends=false -t sid --allow-downgrades install nginx tree=2.2.1-1 || ',
    )).toBe(true);
    expect(updateCommand()).toContain('apt-get -q --error-on=any update && ');
  });

  it('finishes an interrupted dpkg configuration and retries the transaction once (run with stub tools)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'apt-stub-'));
    try {
      // apt-get fails the first time and leaves dpkg "unconfigured" until dpkg --configure -a runs.
      writeFileSync(path.join(dir, 'apt-get'), `#!/bin/bash\necho "apt-get $*" >> ${dir}/log\nif [ ! -e ${dir}/configured ] && [ ! -e ${dir}/failed ]; then touch ${dir}/failed; exit 100; fi\n[ -e ${dir}/always-fail ] && exit 100\nexit 0\n`, { mode: 0o755 });
      writeFileSync(path.join(dir, 'dpkg'), `#!/bin/bash\necho "dpkg $*" >> ${dir}/log\ncase "$*" in *--audit*) [ -e ${dir}/failed ] && [ ! -e ${dir}/configured ] && echo "mysql-server half-configured";; *--configure*) touch ${dir}/configured;; esac\nexit 0\n`, { mode: 0o755 });
      const command = transactionCommand({ action: 'install', packages: ['mysql-server'], lockTimeout: 5, installRecommends: false });
      const run = () => spawnSync('bash', ['-c', command], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` }, encoding: 'utf8' });
      const recovered = run();
      expect(recovered.status).toBe(0);
      expect(readFileSync(path.join(dir, 'log'), 'utf8').split('\n').filter((l) => l.startsWith('apt-get')).length).toBe(2);
      expect(readFileSync(path.join(dir, 'log'), 'utf8')).toContain('--configure -a');
      // A failure that leaves dpkg consistent is not retried: apt's exit code comes back.
      writeFileSync(path.join(dir, 'always-fail'), '');
      writeFileSync(path.join(dir, 'log'), '');
      const failed = run();
      expect(failed.status).toBe(100);
      expect(readFileSync(path.join(dir, 'log'), 'utf8').split('\n').filter((l) => l.startsWith('apt-get')).length).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('probes in one command and asks apt-cache only about what it must (run with stub tools)', () => {
    // The probe's shell logic runs here for real, against stubs answering like Debian 13 does.
    const bin = mkdtempSync(path.join(tmpdir(), 'apt-probe-'));
    writeFileSync(path.join(bin, 'dpkg-query'), "#!/bin/sh\nprintf 'hello\\tamd64\\t2.10-5\\tii \\nlogrotate\\tamd64\\t3.22.0-1\\trc \\n'\n", { mode: 0o755 });
    writeFileSync(path.join(bin, 'apt-cache'), '#!/bin/sh\necho "apt-cache $*"\n', { mode: 0o755 });
    const probe = (command: string) => {
      const out = execFileSync('bash', ['-c', command], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, encoding: 'utf8' });
      return out.slice(out.indexOf('@@policy\n') + 9, out.indexOf('@@end'));
    };
    try {
      expect(probe(probeCommand(['hello', 'logrotate', 'tree'], [{ defaultRelease: 'sid', query: { always: [], ifMissing: ['hello', 'logrotate', 'tree'] } }]))).toBe(
        'apt-cache -t sid policy logrotate tree\n',
      );
      expect(probe(probeCommand(['hello'], [{ query: { always: [], ifMissing: ['hello'] } }]))).toBe('');
      expect(probe(probeCommand(['hello', 'tree'], [{ query: { always: ['hello'], ifMissing: ['tree'] } }]))).toBe('apt-cache policy hello tree\n');
      expect(probe(probeCommand(['hello', 'tree']))).toBe('apt-cache policy hello tree\n');
      // Two default releases in one command: one dpkg-query, one apt-cache each, under its own section.
      const both = execFileSync(
        'bash',
        [
          '-c',
          probeCommand(
            ['hello', 'tree', 'mysql-server'],
            [{ query: { always: [], ifMissing: ['hello', 'tree'] } }, { defaultRelease: 'sid', query: { always: [], ifMissing: ['mysql-server'] } }],
          ),
        ],
        { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, encoding: 'utf8' },
      );
      expect(both).toContain('@@policy\napt-cache policy tree\n@@policy-1\napt-cache -t sid policy mysql-server\n@@end');
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});

describe('waiting for apt locks', () => {
  it('finds an fcntl lock holder through /proc/locks, names it after the wait, and passes once it is gone (run here with bash)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'apt-lock-'));
    const lock = path.join(dir, 'lock');
    writeFileSync(lock, '');
    // apt's way of locking (fcntl F_SETLK write lock); prints once it holds the lock.
    const script = 'open(my $f, ">>", $ARGV[0]) or die; my $l = pack("s s x4 q q i x4", F_WRLCK, 0, 0, 0, 0); fcntl($f, F_SETLKW, $l) or die; $| = 1; print "locked\\n"; sleep 60';
    const holder = spawn('perl', ['-MFcntl', '-e', script, lock]);
    try {
      await new Promise((resolve) => holder.stdout.once('data', resolve));
      const waiting = spawnSync('bash', ['-c', waitForLocksCommand([lock, path.join(dir, 'absent')], 1)], { encoding: 'utf8' });
      expect(waiting.status).toBe(75);
      const error = explainHeldLocks(waiting.stderr, 1, context)!;
      const commandLine = `perl -MFcntl -e ${script} ${lock}`;
      expect(commandLine.length).toBeGreaterThan(160);
      expect(error.message).toBe(`apt's lock is still held after waiting the lockTimeout of 1 s: ${lock} by process ${holder.pid} (perl: ${commandLine.slice(0, 160)}…)`);
    } finally {
      holder.kill();
      await new Promise((resolve) => holder.once('exit', resolve));
    }
    expect(spawnSync('bash', ['-c', waitForLocksCommand([lock], 1)], { encoding: 'utf8' })).toMatchObject({ status: 0, stderr: '' });
    rmSync(dir, { recursive: true, force: true });
  });
});
