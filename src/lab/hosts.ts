/**
 * Starts lab hosts: containers of the lab image with systemd as PID 1, one per host name, on a
 * dedicated network, the controller's key authorized for `deploy`, and each host's SSH host key read
 * through `docker exec` (a channel independent of SSH) so known_hosts can verify it.
 */
import { existsSync } from 'node:fs';
import { Socket } from 'node:net';
import { LabError } from '../errors.ts';
import { sh } from '../transport/quote.ts';
import { dockerExec, ensureNetwork, type Labels } from './docker.ts';
import { LAB_USER } from './image-recipe.ts';
import { parsePublicKeyFile } from './known-hosts.ts';
import { importDynamic } from '../util/dynamic-import.ts';

// Ryuk (testcontainers' reaper) is an image we cannot pull; we remove containers by label instead.
// testcontainers reads this when it loads, hence the dynamic import below.
process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';

const READY_TIMEOUT_MS = 120_000;
export const SSH_PORT = 22;

export interface StartHostsOptions {
  image: string;
  network: string;
  /** Put on every container and on the network; cleanup filters on them. */
  labels: Labels;
  /** Public key line authorized for the deploy user. */
  publicKey: string;
  /** Docker container name for a host (optional; names make `docker ps` readable). */
  containerName?: (hostName: string) => string;
  /** Kernel parameters of the container's own namespaces, set at start (`docker run --sysctl`). */
  sysctls?: Record<string, string>;
  /** A writable /proc/sys (as `--security-opt systempaths=unconfined`), for tests of the sysctl module. */
  writableProcSys?: boolean;
  /** The network's subnet and the part Docker may allocate from (a floating address stays outside). */
  subnet?: { subnet: string; ipRange: string; gateway?: string };
}

export interface StartedHost {
  name: string;
  containerId: string;
  address: string;
  port: number;
  user: string;
  /** `ssh-ed25519 AAAA...`, read from the container's /etc/ssh. */
  hostKey: string;
}

/**
 * The settings systemd needs as PID 1 in a container on a cgroup v1 host: --privileged fails,
 * ALL capabilities minus SYS_RESOURCE work; trixie's systemd 257 refuses cgroup v1 unless forced.
 */
function usesCgroupV1(): boolean {
  return !existsSync('/sys/fs/cgroup/cgroup.controllers');
}

export async function startHosts(names: string[], options: StartHostsOptions): Promise<StartedHost[]> {
  await ensureNetwork(options.network, options.labels, options.subnet);
  const { GenericContainer } = await importDynamic<typeof import('testcontainers')>('testcontainers');
  // testcontainers has no builder for these two host settings; its host config is protected.
  class LabContainer extends GenericContainer {
    withHostSettings(sysctls: Record<string, string> | undefined, writableProcSys: boolean): this {
      if (sysctls) this.hostConfig.Sysctls = sysctls;
      // What the CLI's `--security-opt systempaths=unconfined` becomes in the API.
      if (writableProcSys) Object.assign(this.hostConfig, { MaskedPaths: [], ReadonlyPaths: [] });
      return this;
    }
  }
  return Promise.all(
    names.map(async (name) => {
      let container = new LabContainer(options.image)
        .withHostSettings(options.sysctls, options.writableProcSys ?? false)
        .withCommand(['/sbin/init'])
        .withHostname(name)
        .withAddedCapabilities('ALL')
        .withDroppedCapabilities('SYS_RESOURCE')
        .withBindMounts([{ source: '/sys/fs/cgroup', target: '/sys/fs/cgroup', mode: 'rw' }])
        .withTmpFs({ '/run': 'rw,exec,mode=755', '/run/lock': 'rw,noexec,nosuid,nodev' })
        .withEnvironment({
          container: 'docker',
          ...(usesCgroupV1() ? { SYSTEMD_PROC_CMDLINE: 'SYSTEMD_CGROUP_ENABLE_LEGACY_FORCE=1 systemd.unified_cgroup_hierarchy=0' } : {}),
        })
        .withLabels({ ...options.labels, 'shipshape.host': name })
        // No network aliases: with aliases testcontainers also attaches the default bridge, and a
        // second address would make "the host's address" ambiguous. Hosts use each other's IPs.
        .withNetworkMode(options.network);
      if (options.containerName) container = container.withName(options.containerName(name));
      const started = await container.start();
      return prepareHost(name, started.getId(), started.getIpAddress(options.network), options.publicKey);
    }),
  );
}

/** Authorizes the key, waits for systemd and sshd, reads the host key. Also used for kept hosts. */
export async function prepareHost(name: string, containerId: string, address: string, publicKey: string): Promise<StartedHost> {
  const home = `/home/${LAB_USER}`;
  const authorize = await dockerExec(
    containerId,
    sh`umask 077 && mkdir -p ${home}/.ssh && cat > ${home}/.ssh/authorized_keys && chown -R ${LAB_USER}:${LAB_USER} ${home}/.ssh`,
    `${publicKey}\n`,
  );
  if (authorize.exitCode !== 0) throw new LabError(`${name}: could not authorize the lab key: ${authorize.stderr.trim()}`, { host: name });
  await waitForSystemd(name, containerId);
  await waitForSshBanner(name, address, SSH_PORT);
  const keyFile = await dockerExec(containerId, 'cat /etc/ssh/ssh_host_ed25519_key.pub');
  if (keyFile.exitCode !== 0) throw new LabError(`${name}: no ed25519 host key in /etc/ssh: ${keyFile.stderr.trim()}`, { host: name });
  const hostKey = parsePublicKeyFile(keyFile.stdout, `${name}:/etc/ssh/ssh_host_ed25519_key.pub`);
  return { name, containerId, address, port: SSH_PORT, user: LAB_USER, hostKey };
}

/**
 * `systemctl is-system-running --wait` blocks until boot is finished; before systemd's bus exists it
 * fails at once, hence the retries. `degraded` is expected (systemd-modules-load cannot load
 * modules in a container) and fine.
 */
async function waitForSystemd(name: string, containerId: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = '';
  while (Date.now() < deadline) {
    const result = await dockerExec(containerId, 'timeout 60 systemctl is-system-running --wait');
    last = (result.stdout.trim() || result.stderr.trim()).split('\n').pop() ?? '';
    if (last === 'running' || last === 'degraded') return;
    if (last === 'maintenance' || last === 'stopping' || last === 'offline') break;
    await delay(250);
  }
  const failed = await dockerExec(containerId, 'systemctl --failed --no-legend --plain 2>&1 | head -20');
  throw new LabError(`${name}: systemd did not finish booting (state: ${last || 'unknown'}); failed units:\n${failed.stdout.trim() || '(none)'}`, { host: name });
}

/** Waits until sshd sends its `SSH-2.0-` banner on address:port. */
async function waitForSshBanner(name: string, address: string, port: number): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastError = '';
  while (Date.now() < deadline) {
    const banner = await readBanner(address, port).catch((error: Error) => {
      lastError = error.message;
      return '';
    });
    if (banner.startsWith('SSH-2.0-')) return;
    await delay(250);
  }
  throw new LabError(`${name}: sshd did not answer on ${address}:${port} within ${READY_TIMEOUT_MS / 1000} s (${lastError || 'no banner'})`, { host: name });
}

function readBanner(address: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    let data = '';
    const finish = (error?: Error) => {
      socket.destroy();
      if (error) reject(error);
      else resolve(data);
    };
    socket.setTimeout(3000, () => finish(new Error('timed out')));
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      if (data.includes('\n')) finish();
    });
    socket.on('error', finish);
    socket.on('close', () => finish());
    socket.connect(port, address);
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
