/**
 * Light hosts for the scale bench: the lab image without systemd, several simulated hosts per
 * container (`perContainer`, default 25), so 1000 of them fit on this machine. Each simulated host
 * is its own sshd on its own port, started in a mount namespace of its own with private tmpfs on
 * /opt, /run/lock and /var/lib/shipshape: the playbook's files, the run lock and the pending-handler
 * record are its own. What hosts of one container share: the kernel and CPU (all of them share this
 * machine's 2 cores with the controller anyway), the address, /etc (users, groups: created when the
 * container starts, so concurrent converges do not race on them), dpkg's database and the hostname.
 * One host key for all (made here, mounted read-only): ssh-keygen -A in each container would cost
 * seconds of CPU per host, and one known_hosts line per address and port still verifies every
 * connection.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { ensureNetwork } from '../../src/lab/docker.ts';
import { runLocal } from '../../src/lab/process.ts';
import { ensureKeyPair, readPublicKey } from '../../src/lab/ssh-key.ts';
import { BENCH_LABEL, BENCH_NETWORK } from '../lab.ts';

export interface LightHost {
  name: string;
  address: string;
  port: number;
}

export interface LightLab {
  privateKey: string;
  knownHosts: string;
  hosts: LightHost[];
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]);
      }
    }),
  );
  return out;
}

/** The first simulated host's sshd port in each container; the next ones count up. */
const FIRST_PORT = 2201;

/**
 * The container's PID 1: the shared account and group of the playbook, then one sshd per simulated
 * host, each in its own mount namespace (private /opt, /run/lock, /var/lib/shipshape).
 */
export function containerScript(hostsInContainer: number): string {
  const ports = Array.from({ length: hostsInContainer }, (_, i) => FIRST_PORT + i).join(' ');
  const own = 'mount -t tmpfs none /opt && mount -t tmpfs none /run/lock && mount -t tmpfs none /var/lib/shipshape';
  return [
    'mkdir -p /run/sshd /var/lib/shipshape /opt',
    'getent group bench >/dev/null || groupadd --system bench',
    'id bench >/dev/null 2>&1 || useradd --system --gid bench --shell /usr/sbin/nologin --no-create-home bench',
    `for port in ${ports}; do unshare -m --propagation private sh -c "${own} && exec /usr/sbin/sshd -D -e -p $port -h /etc/ssh/bench_host_key -o MaxStartups=200" & done`,
    'wait',
  ].join('\n');
}

export async function startLightHosts(workDir: string, image: string, count: number, perContainer = 25): Promise<LightLab> {
  mkdirSync(workDir, { recursive: true });
  const key = ensureKeyPair(join(workDir, 'id_ed25519'), 'shipshape-bench');
  const authorized = join(workDir, 'authorized_keys');
  writeFileSync(authorized, `${readPublicKey(key)}\n`, { mode: 0o644 });
  const hostKeyPath = join(workDir, 'ssh_host_ed25519_key');
  const pair = ssh2.utils.generateKeyPairSync('ed25519');
  writeFileSync(hostKeyPath, pair.private, { mode: 0o600 });
  await ensureNetwork(BENCH_NETWORK, { [BENCH_LABEL]: 'run' });
  const containers = Math.ceil(count / perContainer);
  const groups = Array.from({ length: containers }, (_, c) => Math.min(perContainer, count - c * perContainer));
  const started = await mapLimit(groups.map((size, c) => ({ size, c })), 6, async ({ size, c }) => {
    const run = await runLocal('docker', [
      'run', '-d', '--name', `shipshape-bench-scale-${String(c + 1).padStart(3, '0')}`, '--hostname', `scale-${c + 1}`,
      '--label', `${BENCH_LABEL}=scale`, '--network', BENCH_NETWORK,
      // unshare + mount of the per-host tmpfs (nothing else: no --privileged).
      '--cap-add', 'SYS_ADMIN',
      '-v', `${authorized}:/home/deploy/.ssh/authorized_keys:ro`,
      '-v', `${hostKeyPath}:/etc/ssh/bench_host_key:ro`,
      image, 'sh', '-c', containerScript(size),
    ]);
    const id = run.stdout.trim();
    const inspect = await runLocal('docker', ['inspect', '-f', `{{(index .NetworkSettings.Networks "${BENCH_NETWORK}").IPAddress}}`, id]);
    const address = inspect.stdout.trim();
    return Array.from({ length: size }, (_, i) => ({
      name: `node-${String(c * perContainer + i + 1).padStart(4, '0')}`,
      address,
      port: FIRST_PORT + i,
    }));
  });
  const hosts = started.flat();
  await waitForPorts(hosts);
  const knownHosts = join(workDir, 'known_hosts');
  writeFileSync(knownHosts, hosts.map((h) => `[${h.address}]:${h.port} ${pair.public}`).join('\n') + '\n');
  return { privateKey: key.privateKey, knownHosts, hosts };
}

/** Until every sshd answers with its banner (a container's sshds start one after another). */
async function waitForPorts(hosts: LightHost[]): Promise<void> {
  const deadline = Date.now() + 300_000;
  const answers = (host: LightHost) =>
    new Promise<boolean>((resolve) => {
      const socket = net.connect(host.port, host.address);
      const done = (ok: boolean) => {
        socket.destroy();
        resolve(ok);
      };
      socket.once('data', (data) => done(data.toString().startsWith('SSH-')));
      socket.once('error', () => done(false));
      socket.setTimeout(10_000, () => done(false));
    });
  await mapLimit(hosts, 20, async (host) => {
    while (!(await answers(host))) {
      if (Date.now() > deadline) throw new Error(`${host.name} (${host.address}:${host.port}): sshd did not answer in 300 s`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  });
}
