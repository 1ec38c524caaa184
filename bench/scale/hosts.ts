/**
 * Light hosts for the scale bench: the lab image with plain `sshd -D` as PID 1 instead of systemd,
 * so 100 of them fit on this machine (a few MB each). One host key for all (made here, mounted
 * read-only): ssh-keygen -A in each container would cost seconds of CPU per host, and one
 * known_hosts line per address still verifies every connection.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { ensureNetwork } from '../../src/lab/docker.ts';
import { runLocal } from '../../src/lab/process.ts';
import { ensureKeyPair, readPublicKey } from '../../src/lab/ssh-key.ts';
import { BENCH_LABEL, BENCH_NETWORK } from '../lab.ts';

export interface LightHost {
  name: string;
  address: string;
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

export async function startLightHosts(workDir: string, image: string, count: number): Promise<LightLab> {
  mkdirSync(workDir, { recursive: true });
  const key = ensureKeyPair(join(workDir, 'id_ed25519'), 'shipshape-bench');
  const authorized = join(workDir, 'authorized_keys');
  writeFileSync(authorized, `${readPublicKey(key)}\n`, { mode: 0o644 });
  const hostKeyPath = join(workDir, 'ssh_host_ed25519_key');
  const pair = ssh2.utils.generateKeyPairSync('ed25519');
  writeFileSync(hostKeyPath, pair.private, { mode: 0o600 });
  await ensureNetwork(BENCH_NETWORK, { [BENCH_LABEL]: 'run' });
  const names = Array.from({ length: count }, (_, i) => `node-${String(i + 1).padStart(3, '0')}`);
  const hosts = await mapLimit(names, 6, async (name) => {
    const run = await runLocal('docker', [
      'run', '-d', '--name', `shipshape-bench-scale-${name}`, '--hostname', name,
      '--label', `${BENCH_LABEL}=run`, '--network', BENCH_NETWORK,
      '-v', `${authorized}:/home/deploy/.ssh/authorized_keys:ro`,
      '-v', `${hostKeyPath}:/etc/ssh/bench_host_key:ro`,
      image, 'sh', '-c', 'mkdir -p /run/sshd && exec /usr/sbin/sshd -D -e -h /etc/ssh/bench_host_key -o MaxStartups=200',
    ]);
    const id = run.stdout.trim();
    const inspect = await runLocal('docker', ['inspect', '-f', `{{(index .NetworkSettings.Networks "${BENCH_NETWORK}").IPAddress}}`, id]);
    return { name, address: inspect.stdout.trim() };
  });
  const knownHosts = join(workDir, 'known_hosts');
  writeFileSync(knownHosts, hosts.map((h) => `${h.address} ${pair.public}`).join('\n') + '\n');
  return { privateKey: key.privateKey, knownHosts, hosts };
}
