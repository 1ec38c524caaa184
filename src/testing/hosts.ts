/**
 * Throwaway lab hosts for integration tests. They carry a label of their own (`shipshape.test`),
 * never `shipshape.lab`, and a network of their own, so tests never touch a user's `lab up` hosts
 * and `stop()` removes exactly what this call started.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { containersWithLabels, dockerExec, removeContainers, removeNetworkIfUnused } from '../lab/docker.ts';
import { ensureLabImage } from '../lab/image.ts';
import { knownHostsText } from '../lab/known-hosts.ts';
import { labDir } from '../lab/paths.ts';
import { startHosts, type StartHostsOptions } from '../lab/hosts.ts';
import { ensureKeyPair, readPublicKey } from '../lab/ssh-key.ts';

export const TEST_LABEL = 'shipshape.test';

export interface ShellResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface TestHost {
  name: string;
  address: string;
  port: number;
  user: 'deploy';
  privateKeyPath: string;
  knownHostsPath: string;
  containerId: string;
  /** Runs `sh -c cmd` as root via `docker exec`: the independent check, never through shipshape. */
  shell(cmd: string, input?: string): Promise<ShellResult>;
}

export interface TestHosts {
  hosts: TestHost[];
  /** The Docker network the hosts share (other test containers, e.g. an ACME server, join it). */
  network: string;
  /** Labels that mark this run's containers: give them to any extra container so stop() removes it. */
  labels: Record<string, string>;
  /** Removes the containers, the network and the known_hosts file. */
  stop(): Promise<void>;
}

/** The key tests log in with (one for all test runs; made by globalSetup or the first caller). */
export function testKeyPath(): string {
  return resolve(labDir(), 'test', 'id_ed25519');
}

/**
 * `extra`: kernel parameters a host needs set at start (a read-only /proc/sys in a container cannot
 * take them later), a writable /proc/sys, or a network subnet with an allocation range that keeps
 * a floating address free.
 */
export async function startTestHosts(names: string[], extra: Pick<StartHostsOptions, 'sysctls' | 'writableProcSys' | 'subnet'> = {}): Promise<TestHosts> {
  const runId = randomBytes(5).toString('hex');
  const labels = { [TEST_LABEL]: runId };
  const network = `shipshape-test-${runId}`;
  const key = ensureKeyPair(testKeyPath(), 'shipshape-test');
  const { tag } = await ensureLabImage();
  const workDir = mkdtempSync(join(tmpdir(), `shipshape-test-${runId}-`));
  const knownHostsPath = join(workDir, 'known_hosts');
  const stop = async () => {
    await removeContainers(await containersWithLabels(labels));
    await removeNetworkIfUnused(network);
    rmSync(workDir, { recursive: true, force: true });
  };
  try {
    const started = await startHosts(names, {
      image: tag,
      network,
      labels,
      publicKey: readPublicKey(key),
      containerName: (name) => `shipshape-test-${runId}-${name}`,
      ...extra,
    });
    writeFileSync(knownHostsPath, knownHostsText(started.map((host) => ({ address: host.address, port: host.port, key: host.hostKey }))));
    const hosts = started.map<TestHost>((host) => ({
      name: host.name,
      address: host.address,
      port: host.port,
      user: 'deploy',
      privateKeyPath: key.privateKey,
      knownHostsPath,
      containerId: host.containerId,
      shell: (cmd, input) => dockerExec(host.containerId, cmd, input),
    }));
    return { hosts, network, labels, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
