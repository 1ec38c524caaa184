/**
 * The lab hosts behave like fresh servers: systemd as PID 1, sshd on 22 with the host key we
 * recorded (verified, not trusted blindly), the deploy user with passwordless sudo, hosts that reach
 * each other; and stop() leaves nothing behind.
 */
import { readFileSync } from 'node:fs';
import { NodeSSH } from 'node-ssh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectContainer } from '../../src/lab/docker.ts';
import { runLocal } from '../../src/lab/process.ts';
import { sh } from '../../src/transport/quote.ts';
import { startTestHosts, type TestHost, type TestHosts } from './support/lab-hosts.ts';

let lab: TestHosts | undefined;
let hosts: TestHost[] = [];
let stopped = false;

beforeAll(async () => {
  lab = await startTestHosts(['lab-a', 'lab-b']);
  hosts = lab.hosts;
});

afterAll(async () => {
  if (!stopped) await lab?.stop();
});

/** ssh2's hostVerifier: accept only the key recorded in known_hosts for this address. */
function verifierFor(host: TestHost, seen: string[]) {
  const recorded = readFileSync(host.knownHostsPath, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith(`${host.address} `))
    .map((line) => line.split(' ')[2]);
  return (key: Buffer) => {
    const offered = key.toString('base64');
    seen.push(offered);
    return recorded.includes(offered);
  };
}

async function sshTo(host: TestHost, seen: string[] = []): Promise<NodeSSH> {
  return new NodeSSH().connect({
    host: host.address,
    port: host.port,
    username: host.user,
    privateKeyPath: host.privateKeyPath,
    hostVerifier: verifierFor(host, seen),
    readyTimeout: 20_000,
  });
}

describe('lab hosts', () => {
  it('run systemd as PID 1 and finish booting', async () => {
    for (const host of hosts) {
      const pid1 = await host.shell('cat /proc/1/comm');
      expect(pid1.stdout.trim()).toBe('systemd');
      const state = await host.shell('systemctl is-system-running');
      expect(['running', 'degraded']).toContain(state.stdout.trim());
      const ssh = await host.shell('systemctl is-active ssh');
      expect(ssh.stdout.trim()).toBe('active');
    }
  });

  it('have a host key of their own, recorded in known_hosts', async () => {
    const lines = readFileSync(hosts[0].knownHostsPath, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    const keys = lines.map((line) => line.split(' ')[2]);
    expect(new Set(keys).size).toBe(2);
    for (const host of hosts) {
      const pub = await host.shell('cat /etc/ssh/ssh_host_ed25519_key.pub');
      expect(lines).toContain(`${host.address} ${pub.stdout.trim().split(' ').slice(0, 2).join(' ')}`);
    }
  });

  it('answer SSH on port 22 with the recorded host key, as deploy with passwordless sudo', async () => {
    for (const host of hosts) {
      const seen: string[] = [];
      const ssh = await sshTo(host, seen);
      try {
        expect(seen).toHaveLength(1);
        const whoami = await ssh.execCommand('whoami');
        expect(whoami.stdout).toBe('deploy');
        const sudo = await ssh.execCommand('sudo -n id -u');
        expect(sudo.code).toBe(0);
        expect(sudo.stdout).toBe('0');
        const python = await ssh.execCommand('command -v python3');
        expect(python.code).not.toBe(0);
      } finally {
        ssh.dispose();
      }
    }
  });

  it('refuse a host key that is not the recorded one', async () => {
    const [a, b] = hosts;
    // Verify a's address against b's recorded key: the handshake must fail.
    const wrongKey = readFileSync(b.knownHostsPath, 'utf8')
      .split('\n')
      .find((line) => line.startsWith(`${b.address} `))!
      .split(' ')[2];
    await expect(
      new NodeSSH().connect({
        host: a.address,
        username: a.user,
        privateKeyPath: a.privateKeyPath,
        hostVerifier: (key: Buffer) => key.toString('base64') === wrongKey,
        readyTimeout: 20_000,
      }),
    ).rejects.toThrow();
  });

  it('reach each other by address', async () => {
    const [a, b] = hosts;
    const probe = await a.shell(sh`bash -c ${`exec 3<>/dev/tcp/${b.address}/22 && head -c 8 <&3`}`);
    expect(probe.exitCode).toBe(0);
    expect(probe.stdout).toBe('SSH-2.0-');
    const ping = await b.shell(sh`ping -c 1 -W 5 ${a.address}`);
    expect(ping.exitCode).toBe(0);
  });

  it('are all gone after stop(), network included', async () => {
    const ids = hosts.map((host) => host.containerId);
    const info = await inspectContainer(ids[0]);
    const networks = Object.keys(info!.addresses);
    expect(networks).toHaveLength(1);
    await lab!.stop();
    stopped = true;
    for (const id of ids) expect(await inspectContainer(id)).toBeUndefined();
    const network = await runLocal('docker', ['network', 'inspect', networks[0]], { allowFailure: true });
    expect(network.exitCode).not.toBe(0);
  });
});
