/**
 * `lab up`, `lab down`, `lab status`: the user's long-lived local lab. Containers carry the label
 * `shipshape.lab=<lab id>` (the id lives in .lab/state.json), so `down` removes exactly these.
 */
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { ConfigError } from '../errors.ts';
import { containersWithLabels, inspectContainer, removeContainers, removeNetworkIfUnused } from './docker.ts';
import { ensureDockerEngine, engineAnswers } from './docker-engine.ts';
import { ensureLabImage } from './image.ts';
import { knownHostsText } from './known-hosts.ts';
import { labPaths } from './paths.ts';
import { prepareHost, startHosts, type StartedHost } from './hosts.ts';
import { ensureKeyPair, readPublicKey } from './ssh-key.ts';
import { readLabState, writeLabState, type LabState } from './state.ts';
import { ensureLabSecrets, LAB_DOMAIN, LAB_HA_NETWORK, LAB_HA_PEER, LAB_HA_SUBNET, LAB_HA_VIRTUAL_ADDRESS, LAB_LOAD_BALANCER } from './lab-site.ts';
import { ensureLabAcmeServer, isAcmeContainer } from './acme/lab.ts';

export const LAB_LABEL = 'shipshape.lab';
export const LAB_NETWORK = 'shipshape-lab';
export const DEFAULT_LAB_HOSTS = ['lb-01', 'web-01', 'web-02'];

export interface LabUpOptions {
  /**
   * Two load balancers (lb-02 added) sharing a floating address on a network of their own
   * (subnet with an --ip-range that excludes the address); the site's name resolves to it.
   */
  ha?: boolean;
}

const HOST_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Parses `--hosts lb-01,web-01`: valid, distinct host names. */
export function parseHostList(text: string): string[] {
  const names = text
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (names.length === 0) throw new ConfigError('--hosts: give at least one host name, e.g. --hosts lb-01,web-01', { field: 'hosts' });
  for (const name of names) {
    if (!HOST_NAME.test(name)) throw new ConfigError(`--hosts: "${name}" is not a valid host name (lowercase letters, digits, dashes)`, { field: 'hosts' });
  }
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate) throw new ConfigError(`--hosts: "${duplicate}" is listed twice`, { field: 'hosts' });
  return names;
}

export interface LabUpResult {
  state: LabState;
  started: string[];
  kept: string[];
  removed: string[];
  imageBuilt: boolean;
  timings: { engineMs: number; imageMs: number; hostsMs: number };
}

/**
 * Idempotent: hosts already running from the current image are kept as they are (with their
 * changes); missing, stopped or outdated ones are (re)created; hosts no longer asked for are removed.
 */
export async function labUp(requested: string[], log: (line: string) => void = () => {}, options: LabUpOptions = {}): Promise<LabUpResult> {
  const names = options.ha && !requested.includes(LAB_HA_PEER) ? [...requested, LAB_HA_PEER] : requested;
  const network = options.ha ? LAB_HA_NETWORK : LAB_NETWORK;
  let mark = Date.now();
  await ensureDockerEngine(log);
  const engineMs = Date.now() - mark;
  mark = Date.now();
  const image = await ensureLabImage(log);
  const imageMs = Date.now() - mark;

  const previous = readLabState();
  const labId = previous?.labId ?? randomBytes(4).toString('hex');
  const labels = { [LAB_LABEL]: labId };
  const key = ensureKeyPair(labPaths.privateKey(), 'shipshape-lab');
  const publicKey = readPublicKey(key);

  const kept: StartedHost[] = [];
  const removed: string[] = [];
  const stale: string[] = [];
  for (const id of await containersWithLabels(labels)) {
    const info = await inspectContainer(id);
    if (!info) continue;
    // The ACME server is kept or replaced by ensureLabAcmeServer, not as a host.
    if (isAcmeContainer(info.labels)) continue;
    const name = info.labels['shipshape.host'] ?? '';
    const address = info.addresses[network];
    if (names.includes(name) && info.running && info.image === image.tag && address && !kept.some((host) => host.name === name)) {
      kept.push(await prepareHost(name, id, address, publicKey));
    } else {
      stale.push(id);
      if (!names.includes(name)) removed.push(name);
    }
  }
  await removeContainers(stale);
  // Switching between the plain and the --ha lab: the other network goes with its containers.
  if (previous && previous.network !== network) await removeNetworkIfUnused(previous.network);

  mark = Date.now();
  const missing = names.filter((name) => !kept.some((host) => host.name === name));
  if (missing.length) log(`starting ${missing.join(', ')}`);
  const started = await startHosts(missing, {
    image: image.tag,
    network,
    labels,
    publicKey,
    containerName: (name) => `shipshape-lab-${labId}-${name}`,
    // /proc/sys is read-only in the lab's containers: keepalived's companion setting is made at start.
    ...(options.ha ? { subnet: LAB_HA_SUBNET, sysctls: { 'net.ipv4.ip_nonlocal_bind': '1' } } : {}),
  });
  const hostsMs = Date.now() - mark;

  const all = names.map((name) => [...kept, ...started].find((host) => host.name === name)!);
  writeFileSync(labPaths.knownHosts(), knownHostsText(all.map((host) => ({ address: host.address, port: host.port, key: host.hostKey }))));
  const loadBalancer = all.find((host) => host.name === LAB_LOAD_BALANCER);
  const acme = loadBalancer
    ? await ensureLabAcmeServer({
        labels,
        network,
        baseImage: image.tag,
        siteNames: [LAB_DOMAIN],
        // The HTTP-01 challenge arrives at whichever load balancer holds the floating address.
        resolveTo: options.ha ? LAB_HA_VIRTUAL_ADDRESS : loadBalancer.address,
        containerName: `shipshape-lab-${labId}-acme`,
        log,
      })
    : undefined;
  ensureLabSecrets();
  const state: LabState = {
    labId,
    image: image.tag,
    network,
    knownHosts: labPaths.knownHosts(),
    ...(options.ha ? { virtualAddress: LAB_HA_VIRTUAL_ADDRESS } : {}),
    privateKey: key.privateKey,
    hosts: all.map((host) => ({ name: host.name, containerId: host.containerId, address: host.address, port: host.port, user: host.user, privateKey: key.privateKey })),
    acme: acme && { containerId: acme.containerId, address: acme.address, directoryUrl: acme.directoryUrl, caBundle: acme.caBundlePath },
  };
  writeLabState(state);
  return {
    state,
    started: missing,
    kept: kept.map((host) => host.name),
    removed,
    imageBuilt: image.built,
    timings: { engineMs, imageMs, hostsMs },
  };
}

export interface LabDownResult {
  removedContainers: number;
  removedNetwork: boolean;
}

/** Removes the containers of this lab (by its label) and the network when nothing else uses it. */
export async function labDown(): Promise<LabDownResult> {
  const state = readLabState();
  if (!state) return { removedContainers: 0, removedNetwork: false };
  if (!(await engineAnswers())) throw new ConfigError('The Docker engine does not answer, so the lab cannot be removed; start it and run `shipshape lab down` again.');
  const ids = await containersWithLabels({ [LAB_LABEL]: state.labId });
  await removeContainers(ids);
  const removedNetwork = await removeNetworkIfUnused(state.network);
  rmSync(labPaths.state(), { force: true });
  rmSync(labPaths.knownHosts(), { force: true });
  rmSync(labPaths.acmeCaBundle(), { force: true });
  rmSync(labPaths.secrets(), { force: true });
  return { removedContainers: ids.length, removedNetwork };
}

export interface LabHostStatus {
  name: string;
  address: string;
  containerId: string;
  status: 'running' | 'stopped' | 'missing';
}

export async function labStatus(): Promise<{ state?: LabState; hosts: LabHostStatus[] }> {
  const state = readLabState();
  if (!state) return { hosts: [] };
  const engine = await engineAnswers();
  const hosts: LabHostStatus[] = [];
  for (const host of state.hosts) {
    const info = engine ? await inspectContainer(host.containerId) : undefined;
    hosts.push({ name: host.name, address: host.address, containerId: host.containerId, status: !info ? 'missing' : info.running ? 'running' : 'stopped' });
  }
  return { state, hosts };
}

/** The ssh command line that reaches a lab host with the lab's key and verified host key. */
export function sshCommandLine(state: LabState, host: LabState['hosts'][number]): string {
  return `ssh -i ${state.privateKey} -o UserKnownHostsFile=${state.knownHosts} -o IdentitiesOnly=yes ${host.user}@${host.address}`;
}
