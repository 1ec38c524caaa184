/**
 * The bench's own hosts: lab-image containers labelled `shipshape.bench=<run id>`, so the bench
 * removes exactly what it started (and a crashed run's leftovers on the next start), never another
 * engineer's lab or test hosts. Both tools get hosts of the same image, prepared the same way.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { containersWithLabels, dockerExec, removeContainers } from '../src/lab/docker.ts';
import { ensureLabImage } from '../src/lab/image.ts';
import { startHosts, type StartedHost } from '../src/lab/hosts.ts';
import { knownHostsText } from '../src/lab/known-hosts.ts';
import { ensureKeyPair, readPublicKey } from '../src/lab/ssh-key.ts';
import { runLocal } from '../src/lab/process.ts';

export const BENCH_LABEL = 'shipshape.bench';
export const BENCH_NETWORK = 'shipshape-bench';

export interface BenchLab {
  workDir: string;
  privateKey: string;
  knownHosts: string;
  image: string;
  /** One set of hosts per tool: each tool converges fresh hosts of its own. */
  hosts: Record<string, StartedHost[]>;
}

/**
 * Removes every container a bench of this kind labelled (`run`: npm run bench; `scale`: bench:scale),
 * so the two benches can run at once without removing each other's hosts.
 */
export async function removeBenchContainers(kind: 'run' | 'scale' = 'run'): Promise<number> {
  const ids = await containersWithLabels({ [BENCH_LABEL]: kind });
  await removeContainers(ids);
  return ids.length;
}

export async function startBenchLab(workDir: string, sets: string[], names: string[], log: (line: string) => void): Promise<BenchLab> {
  mkdirSync(workDir, { recursive: true });
  const image = (await ensureLabImage(log)).tag;
  const key = ensureKeyPair(join(workDir, 'id_ed25519'), 'shipshape-bench');
  const hosts: Record<string, StartedHost[]> = {};
  for (const set of sets) {
    hosts[set] = await startHosts(names, {
      image,
      network: BENCH_NETWORK,
      labels: { [BENCH_LABEL]: 'run' },
      publicKey: readPublicKey(key),
      containerName: (name) => `shipshape-bench-${set}-${name}`,
    });
  }
  const knownHosts = join(workDir, 'known_hosts');
  const all = Object.values(hosts).flat();
  writeFileSync(knownHosts, knownHostsText(all.map((h) => ({ address: h.address, port: h.port, key: h.hostKey }))));
  return { workDir, privateKey: key.privateKey, knownHosts, image, hosts };
}

/**
 * python3 for Ansible (and python3-pymysql for community.mysql; the site installs it on the web/db
 * hosts anyway, for the app; python3-apt for Ansible's apt module, which without it installs it and
 * re-executes itself, a respawn that Mitogen's in-process runner cannot do), on every bench host alike (the issue: both tools get the same hosts). The
 * apt lists are removed again afterwards so both tools start from a server that never ran apt update.
 */
export async function installPython(hosts: StartedHost[]): Promise<void> {
  await Promise.all(
    hosts.map(async (host) => {
      const result = await dockerExec(
        host.containerId,
        'export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq --no-install-recommends python3 python3-pymysql python3-apt >/dev/null && apt-get clean && rm -rf /var/lib/apt/lists/*',
      );
      if (result.exitCode !== 0) throw new Error(`${host.name}: installing python3 failed: ${result.stderr.slice(-500)}`);
    }),
  );
}

/** Runs a root shell snippet in a host through docker (not SSH): drift and checks outside the tools. */
export async function onHost(host: StartedHost, script: string): Promise<string> {
  const result = await dockerExec(host.containerId, script);
  if (result.exitCode !== 0) throw new Error(`${host.name}: ${script}: ${result.stderr.trim()}`);
  return result.stdout;
}

export async function dockerStats(): Promise<string> {
  return (await runLocal('uptime', [], { allowFailure: true })).stdout.trim();
}
