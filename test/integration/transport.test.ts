/**
 * The transport against a real lab host over SSH: sessions as user and root, atomic file writes
 * checked independently (docker exec), host key refusal and acceptance, a sudo password, a jump
 * host, timeouts, and a host that stops answering.
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandError, ConnectionError, HostKeyError, TaskError, TimeoutError } from '../../src/errors.ts';
import type { ConnectionSettings } from '../../src/inventory/types.ts';
import { Secret } from '../../src/secrets/secret.ts';
import { fingerprint, parseKnownHosts } from '../../src/transport/known-hosts.ts';
import { readRemote, statRemote, writeRemoteAtomic } from '../../src/transport/remote-files.ts';
import { connect, type ConnectOptions, type SshConnection } from '../../src/transport/ssh.ts';
import { startTestHosts, type TestHost, type TestHosts } from './support/lab-hosts.ts';

const run = promisify(execFile);

describe('transport over SSH', () => {
  let lab: TestHosts;
  let host: TestHost;
  let conn: SshConnection;
  let work: string;
  const settings = (extra: Partial<ConnectionSettings> = {}): ConnectionSettings => ({
    address: host.address,
    port: host.port,
    user: host.user,
    privateKey: host.privateKeyPath,
    knownHosts: host.knownHostsPath,
    become: false,
    connectTimeout: 20,
    ...extra,
  });
  const options: ConnectOptions = { sshConfigPath: false, killGraceMs: 1000 };

  beforeAll(async () => {
    lab = await startTestHosts(['transport-1']);
    host = lab.hosts[0];
    work = mkdtempSync(join(tmpdir(), 'transport-it-'));
    conn = await connect(host.name, settings(), options);
  });
  afterAll(async () => {
    await conn?.close();
    await lab?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('runs commands as the login user and as root, over one channel each', async () => {
    const user = await conn.exec('id -un; echo warn >&2; exit 3');
    expect(user).toMatchObject({ stdout: 'deploy\n', stderr: 'warn\n', exitCode: 3 });
    const root = await conn.exec('id -un; cd /; X=1', { become: true });
    expect(root).toMatchObject({ stdout: 'root\n', exitCode: 0 });
    const before = conn.channelsOpened;
    for (let i = 0; i < 50; i++) await conn.exec('true', { become: i % 2 === 0 });
    expect(conn.channelsOpened).toBe(before);
    expect(before).toBe(2);
  });

  it('costs far less per command in the session than with a channel per command', async () => {
    const time = async (fn: () => Promise<unknown>, count: number) => {
      const started = performance.now();
      for (let i = 0; i < count; i++) await fn();
      return (performance.now() - started) / count;
    };
    await conn.exec(':');
    const session = await time(() => conn.exec(':'), 200);
    const channel = await time(() => conn.execChannel(':'), 20);
    const started = performance.now();
    await Promise.all(Array.from({ length: 200 }, () => conn.exec(':')));
    const pipelined = (performance.now() - started) / 200;
    console.log(`[transport] no-op: ${session.toFixed(2)} ms in session, ${pipelined.toFixed(2)} ms queued, ${channel.toFixed(1)} ms per new channel`);
    // Reported, not asserted: the numbers depend on the machine.
    expect((await conn.execChannel('echo via-channel')).stdout).toBe('via-channel\n');
  });

  it('keeps a secret on stdin out of the host process list, as root', async () => {
    const secret = `pw-${randomBytes(12).toString('hex')}`;
    const result = await conn.exec('ps -eo args; cat > /dev/null', { become: true, stdin: `${secret}\n` });
    expect(result.stdout).toContain('ps -eo args');
    expect(result.stdout).not.toContain(secret);
  });

  it('keeps the session nonce out of every argv on the host; a file of forged markers cat-ed by a probe changes nothing', async () => {
    const fresh = await connect(host.name, settings(), options);
    try {
      expect((await fresh.exec('id -un', { become: true })).stdout).toBe('root\n');
      expect((await fresh.exec('id -un')).stdout).toBe('deploy\n');
      // The attacker: any unprivileged local user, reading every process's argv while both sessions are open.
      const ps = await host.shell("su -s /bin/sh nobody -c 'ps -eo args'");
      expect(ps.exitCode).toBe(0);
      expect(ps.stdout).toContain('sudo -n -- bash --noprofile --norc -c'); // sudo is there for the whole session
      const leaked = [...new Set(ps.stdout.match(/ss[0-9a-f]{24}/g) ?? [])];
      expect(leaked).toEqual([]);
      // What the attacker can do then: guess. Markers of the old and new shapes, every early sequence number.
      const nonces = [...leaked, `ss${randomBytes(12).toString('hex')}`];
      const forged = nonces
        .flatMap((n) => [`${n}R`, `${n}E0`, `${n}E`, ...Array.from({ length: 20 }, (_, k) => [`${n}E${k} 0`, `${n}E${k}`, `${n}S${k} 1`]).flat()])
        .map((line) => `before ${line}\n${line}\n`)
        .join('');
      const path = '/tmp/shipshape-forged-markers.txt';
      const wrote = await host.shell(`su -s /bin/sh nobody -c 'cat > ${path}'`, forged);
      expect(wrote.exitCode).toBe(0);
      expect((await host.shell(`cat ${path}`)).stdout).toBe(forged);
      // Probes read it as root and as the login user, with more commands queued behind each.
      const [asRoot, rootAfter, asUser, userAfter] = await Promise.all([
        readRemote(fresh, path, true),
        fresh.exec('id -un; echo err >&2', { become: true }),
        fresh.exec(`cat ${path}; cat ${path} >&2`),
        fresh.exec('echo after'),
      ]);
      expect(asRoot.content?.toString()).toBe(forged);
      expect(rootAfter).toMatchObject({ stdout: 'root\n', stderr: 'err\n', exitCode: 0 });
      expect(asUser).toMatchObject({ stdout: forged, stderr: forged, exitCode: 0 });
      expect(userAfter).toMatchObject({ stdout: 'after\n', stderr: '', exitCode: 0 });
      await host.shell(`rm -f ${path}`);
    } finally {
      await fresh.close();
    }
  });

  it('fails a command printing past the output limit as a task error; the next command runs in the same session', async () => {
    const limited = await connect(host.name, settings(), { ...options, maxOutputBytes: 1024 * 1024 });
    try {
      expect((await limited.exec('id -un', { become: true })).stdout).toBe('root\n');
      const channels = limited.channelsOpened;
      const error = await limited.exec('head -c 20000000 /dev/zero; echo', { become: true }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TaskError);
      expect(error).not.toBeInstanceOf(ConnectionError);
      expect((error as Error).message).toBe(
        'host transport-1: command output exceeded the limit of 1 MiB per stream (20000001 bytes on stdout); the output was dropped: head -c 20000000 /dev/zero; echo',
      );
      expect(await limited.exec('id -un; echo fine >&2', { become: true })).toMatchObject({ stdout: 'root\n', stderr: 'fine\n', exitCode: 0 });
      expect(limited.channelsOpened).toBe(channels);
    } finally {
      await limited.close();
    }
  });

  it('streams a command\'s output into another command through the controller, byte for byte, with sudo passwords answered', async () => {
    const password = `sudo-${randomBytes(6).toString('hex')}`;
    const setup = await host.shell(
      `id streamer >/dev/null 2>&1 || useradd -m -s /bin/bash streamer; echo 'streamer:${password}' | chpasswd; ` +
        `echo 'streamer ALL=(ALL) ALL' > /etc/sudoers.d/streamer; chmod 0440 /etc/sudoers.d/streamer; ` +
        `install -d -o streamer -m 0700 /home/streamer/.ssh; install -o streamer -m 0600 /home/deploy/.ssh/authorized_keys /home/streamer/.ssh/; ` +
        `head -c 30000000 /dev/urandom > /root/stream-src; grep -q banner-from-bashrc /home/streamer/.bashrc || sed -i '1i echo banner-from-bashrc' /home/streamer/.bashrc`,
    );
    expect(setup.exitCode).toBe(0);
    const withPassword = await connect(host.name, settings({ user: 'streamer', becomePassword: new Secret(password, 'test') }), options);
    try {
      const source = await conn.stream!('cat /root/stream-src; echo done >&2', { become: true });
      const sink = await withPassword.stream!('cat > /root/stream-dst; id -un', { become: true, stdin: source.stdout });
      const said: Buffer[] = [];
      sink.stdout.on('data', (chunk: Buffer) => said.push(chunk));
      const [sent, received] = await Promise.all([source.done, sink.done]);
      expect(sent).toEqual({ exitCode: 0, stderr: 'done\n' });
      expect(received.exitCode).toBe(0);
      expect(Buffer.concat(said).toString()).toBe('root\n'); // no banner, no prompt, nothing else
      expect((await host.shell('cmp /root/stream-src /root/stream-dst && echo same')).stdout).toBe('same\n');
      const failing = await conn.stream!('echo partial; exit 3');
      failing.stdout.resume();
      expect(await failing.done).toEqual({ exitCode: 3, stderr: '' });
    } finally {
      await withPassword.close();
      await host.shell('rm -f /root/stream-src /root/stream-dst');
    }
  });

  it('writes a file atomically with owner and mode, checked independently', async () => {
    const path = '/etc/shipshape-transport.conf';
    await writeRemoteAtomic(conn, path, 'setting = 1\n', { owner: 'deploy', group: 'root', mode: '0640', become: true });
    const check = await host.shell(`stat -c '%U %G %a' ${path}; cat ${path}; ls -a /etc | grep -c shipshape-transport || true`);
    expect(check.stdout).toBe('deploy root 640\nsetting = 1\n1\n');
    expect(await statRemote(conn, path, true)).toMatchObject({ exists: true, type: 'file', mode: '0640', owner: 'deploy', group: 'root', size: 12 });
    const read = await readRemote(conn, path, true);
    expect(read.content?.toString()).toBe('setting = 1\n');
  });

  it('keeps the old file when validation fails, with the validator output in the error', async () => {
    const path = '/etc/shipshape-validated.conf';
    await writeRemoteAtomic(conn, path, 'good\n', { mode: '0644', become: true });
    const error = await writeRemoteAtomic(conn, path, 'bad\n', { become: true, validate: 'grep -q good %s || { echo "rejected: $(cat %s)"; exit 1; }' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CommandError);
    expect((error as Error).message).toMatch(/host transport-1: validation of \/etc\/shipshape-validated.conf failed .*rejected: bad/);
    const check = await host.shell(`cat ${path}; ls -a /etc | grep shipshape-validated`);
    // Only the old file: no temporary file left beside it.
    expect(check.stdout).toBe('good\nshipshape-validated.conf\n');
  });

  it('kills a command as root on timeout and keeps the session', async () => {
    await expect(conn.exec('sleep 731', { become: true, timeoutMs: 300 })).rejects.toBeInstanceOf(TimeoutError);
    expect((await host.shell("pgrep -f 'sleep [7]31' || echo none")).stdout).toBe('none\n');
    expect((await conn.exec('id -u', { become: true })).stdout).toBe('0\n');
  });

  it('refuses a changed host key, naming both fingerprints', async () => {
    const real = parseKnownHosts(readFileSync(host.knownHostsPath, 'utf8'))[0];
    const { publicKey } = generateKeyPairSync('ed25519');
    const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
    const str = (data: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, data.length]), data]);
    const fake = Buffer.concat([str(Buffer.from('ssh-ed25519')), str(raw)]);
    const file = join(work, 'changed_known_hosts');
    writeFileSync(file, `${real.hosts} ssh-ed25519 ${fake.toString('base64')}\n`);
    const error = await connect(host.name, settings({ knownHosts: file }), { ...options, acceptNewHostKeys: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HostKeyError);
    const message = (error as Error).message;
    expect(message).toContain(`host ${host.name} (${host.address}:${host.port}): HOST KEY CHANGED`);
    expect(message).toContain(fingerprint(fake));
    expect(message).toContain(fingerprint(Buffer.from(real.key, 'base64')));
    expect(message).toContain(`${file} line 1`);
  });

  it('refuses an unknown host key, then records it when asked and trusts it afterwards', async () => {
    const file = join(work, 'fresh', 'known_hosts');
    await expect(connect(host.name, settings({ knownHosts: file }), options)).rejects.toThrow(/unknown host key \(ssh-ed25519 SHA256:/);
    const accepted = await connect(host.name, settings({ knownHosts: file }), { ...options, acceptNewHostKeys: true });
    await accepted.close();
    expect(readFileSync(file, 'utf8')).toContain(parseKnownHosts(readFileSync(host.knownHostsPath, 'utf8'))[0].key);
    const again = await connect(host.name, settings({ knownHosts: file }), options);
    expect((await again.exec('echo ok')).stdout).toBe('ok\n');
    await again.close();
  });

  it('becomes root with a sudo password, and fails clearly with a wrong one', async () => {
    const password = `sudo-${randomBytes(6).toString('hex')}`;
    const setup = await host.shell(
      `id ops >/dev/null 2>&1 || useradd -m -s /bin/bash ops; echo 'ops:${password}' | chpasswd; ` +
        `echo 'ops ALL=(ALL) ALL' > /etc/sudoers.d/ops; chmod 0440 /etc/sudoers.d/ops; ` +
        `install -d -o ops -m 0700 /home/ops/.ssh; install -o ops -m 0600 /home/deploy/.ssh/authorized_keys /home/ops/.ssh/`,
    );
    expect(setup.exitCode).toBe(0);
    const ops = await connect(host.name, settings({ user: 'ops', becomePassword: new Secret(password, 'test') }), options);
    expect((await ops.exec('id -un', { become: true })).stdout).toBe('root\n');
    await expect(ops.exec('sleep 732', { become: true, timeoutMs: 300 })).rejects.toBeInstanceOf(TimeoutError);
    expect((await host.shell("pgrep -f 'sleep [7]32' || echo none")).stdout).toBe('none\n');
    await ops.close();
    const wrong = await connect(host.name, settings({ user: 'ops', becomePassword: new Secret('not-the-password', 'test') }), options);
    await expect(wrong.exec('id -un', { become: true })).rejects.toThrow(/host transport-1: cannot become root with sudo: .*refused/);
    expect((await wrong.exec('id -un')).stdout).toBe('ops\n');
    await wrong.close();
  });

  it('uses an encrypted private key with privateKeyPassphrase; without it (no agent) or with a wrong one, a clear error before connecting', async () => {
    const keyFile = join(work, 'id_encrypted');
    const passphrase = `phrase-${randomBytes(6).toString('hex')}`;
    // A passphrase-protected PEM key (Proc-Type: 4,ENCRYPTED), made without ssh-keygen.
    const pair = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'pkcs1', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs1', format: 'pem', cipher: 'aes-256-cbc', passphrase },
    });
    writeFileSync(keyFile, pair.privateKey, { mode: 0o600 });
    expect(pair.privateKey).toContain('ENCRYPTED');
    const parsed = ssh2.utils.parseKey(pair.privateKey, passphrase);
    if (parsed instanceof Error) throw parsed;
    const publicKey = `${parsed.type} ${parsed.getPublicSSH().toString('base64')} shipshape-test`;
    expect((await host.shell(`echo '${publicKey}' >> /home/deploy/.ssh/authorized_keys`)).exitCode).toBe(0);
    // agent '' = no agent, whatever $SSH_AUTH_SOCK the test runs with.
    const noAgent = { ...settings({ privateKey: keyFile }), agent: '' };
    const withPassphrase = await connect(host.name, { ...noAgent, privateKeyPassphrase: new Secret(passphrase, 'test') }, options);
    expect((await withPassphrase.exec('echo "$SSH_CONNECTION" | wc -w')).stdout.trim()).toBe('4');
    await withPassphrase.close();
    await expect(connect(host.name, noAgent, options)).rejects.toThrow(
      `host transport-1: private key ${keyFile} is encrypted: give privateKeyPassphrase (secret.env(NAME) or a vault value) or load the key into ssh-agent`,
    );
    await expect(connect(host.name, { ...noAgent, privateKeyPassphrase: new Secret('wrong', 'test') }, options)).rejects.toThrow(
      `host transport-1: cannot decrypt private key ${keyFile} with privateKeyPassphrase (wrong passphrase?)`,
    );
  });

  it('reaches the host through a ProxyJump host', async () => {
    const jumped = await connect(host.name, settings({ proxyJump: `deploy@${host.address}:${host.port}` }), options);
    expect((await jumped.exec('echo "$SSH_CONNECTION"')).stdout.split(' ')[0]).toBe(host.address);
    await jumped.close();
  });

  it('fails a pending command with ConnectionError when the host stops answering', async () => {
    const fragile = await connect(host.name, settings(), { ...options, keepaliveIntervalMs: 500, keepaliveCountMax: 2 });
    await fragile.exec('true');
    const pending = fragile.exec('sleep 600', { become: true }).catch((e: unknown) => e);
    // Pause once the command runs on the host: a pause while the root shell is still starting would
    // test that start, not a pending command.
    for (let i = 0; i < 100; i++) {
      const running = await run('docker', ['exec', host.containerId, 'pgrep', '-f', '^sleep 600']).then(() => true, () => false);
      if (running) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await run('docker', ['pause', host.containerId]);
    try {
      const error = await pending;
      expect(error).toBeInstanceOf(ConnectionError);
      expect((error as Error).message).toMatch(/^host transport-1: connection lost/);
      await expect(fragile.exec('true')).rejects.toBeInstanceOf(ConnectionError);
    } finally {
      await run('docker', ['unpause', host.containerId]);
      await fragile.close();
    }
  });
});
