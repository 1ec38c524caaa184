/**
 * The few docker CLI calls the lab makes outside testcontainers: exec (the independent way into a
 * host), inspect, and cleanup by label (so we remove exactly what we started, even from a later
 * process that never held the testcontainers objects).
 */
import { runLocal, type LocalResult } from './process.ts';

export type Labels = Record<string, string>;

function labelFilters(labels: Labels): string[] {
  return Object.entries(labels).flatMap(([key, value]) => ['--filter', `label=${key}=${value}`]);
}

/** Runs `sh -c script` as root in the container; never throws on a non-zero exit. */
export function dockerExec(containerId: string, script: string, input?: string): Promise<LocalResult> {
  const args = ['exec', ...(input === undefined ? [] : ['-i']), containerId, 'sh', '-c', script];
  return runLocal('docker', args, { input, allowFailure: true });
}

export async function containersWithLabels(labels: Labels, options: { all?: boolean } = {}): Promise<string[]> {
  const result = await runLocal('docker', ['ps', '-q', '--no-trunc', ...(options.all === false ? [] : ['-a']), ...labelFilters(labels)]);
  return result.stdout.split('\n').filter(Boolean);
}

export interface ContainerInfo {
  id: string;
  running: boolean;
  image: string;
  labels: Labels;
  /** Address per network name. */
  addresses: Record<string, string>;
}

export async function inspectContainer(id: string): Promise<ContainerInfo | undefined> {
  const result = await runLocal('docker', ['container', 'inspect', id], { allowFailure: true });
  if (result.exitCode !== 0) return undefined;
  const [data] = JSON.parse(result.stdout) as Array<{
    Id: string;
    State: { Running: boolean };
    Config: { Image: string; Labels: Labels | null };
    NetworkSettings: { Networks: Record<string, { IPAddress: string }> | null };
  }>;
  const addresses: Record<string, string> = {};
  for (const [name, network] of Object.entries(data.NetworkSettings.Networks ?? {})) if (network.IPAddress) addresses[name] = network.IPAddress;
  return { id: data.Id, running: data.State.Running, image: data.Config.Image, labels: data.Config.Labels ?? {}, addresses };
}

/** Creates a user-defined bridge network (hosts reach each other by address and by name). */
export async function ensureNetwork(name: string, labels: Labels, subnet?: { subnet: string; ipRange: string; gateway?: string }): Promise<void> {
  const existing = await runLocal('docker', ['network', 'inspect', name], { allowFailure: true });
  if (existing.exitCode === 0) return;
  const labelArgs = [
    ...Object.entries(labels).flatMap(([key, value]) => ['--label', `${key}=${value}`]),
    ...(subnet ? ['--subnet', subnet.subnet, '--ip-range', subnet.ipRange, ...(subnet.gateway ? ['--gateway', subnet.gateway] : [])] : []),
  ];
  const created = await runLocal('docker', ['network', 'create', ...labelArgs, name], { allowFailure: true });
  // Another process may have created it between inspect and create.
  if (created.exitCode !== 0 && !/already exists/.test(created.stderr)) {
    await runLocal('docker', ['network', 'create', ...labelArgs, name]);
  }
}

export async function removeContainers(ids: string[]): Promise<void> {
  if (ids.length) await runLocal('docker', ['rm', '-f', '-v', ...ids]);
}

/** Removes the network unless containers someone else started are still attached to it. */
export async function removeNetworkIfUnused(name: string): Promise<boolean> {
  const result = await runLocal('docker', ['network', 'rm', name], { allowFailure: true });
  return result.exitCode === 0;
}
