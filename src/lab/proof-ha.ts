/**
 * `lab proof` on the --ha lab: which load balancer holds the floating address, and a failover shown
 * live: HAProxy stopped on the holder, the address seen moving to its peer (docker exec, not
 * shipshape), a verified HTTPS request through the address, HAProxy started again.
 */
import { dockerExec } from './docker.ts';
import type { LabState } from './state.ts';

type Get = (address: string, path: string) => Promise<{ status: number; body: string }>;

async function holderOf(state: LabState, address: string): Promise<string[]> {
  const holders: string[] = [];
  for (const host of state.hosts.filter((h) => h.name.startsWith('lb-'))) {
    const out = await dockerExec(host.containerId, 'ip -4 -o addr show');
    if (out.exitCode === 0 && out.stdout.includes(` ${address}/`)) holders.push(host.name);
  }
  return holders;
}

export async function proveFailover(state: LabState, address: string, get: Get, print: (line: string) => void): Promise<boolean> {
  const before = await holderOf(state, address);
  print(`Floating address ${address}: held by ${before.join(', ') || 'nobody'}`);
  if (before.length !== 1) return false;
  const holder = state.hosts.find((h) => h.name === before[0])!;
  print(`Failover: stopping HAProxy on ${holder.name} (keepalived's check sees it gone and gives the address up)`);
  const started = Date.now();
  await dockerExec(holder.containerId, 'systemctl stop haproxy');
  let after: string[] = before;
  while (Date.now() - started < 30_000) {
    after = await holderOf(state, address);
    if (after.length === 1 && after[0] !== holder.name) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const moved = after.length === 1 && after[0] !== holder.name;
  print(moved ? `  → ${after[0]} holds ${address} after ${((Date.now() - started) / 1000).toFixed(1)} s` : `  → the address did NOT move (held by ${after.join(', ') || 'nobody'})`);
  const answer = await get(address, '/').catch((error: Error) => ({ status: 0, body: error.message }));
  print(`  GET / through ${address}: ${answer.status} ${answer.body.trim()}`);
  await dockerExec(holder.containerId, 'systemctl start haproxy');
  await new Promise((resolve) => setTimeout(resolve, 3000));
  print(`  HAProxy on ${holder.name} started again; the address is with ${(await holderOf(state, address)).join(', ') || 'nobody'} (no preemption: it stays)`);
  return moved && answer.status === 200;
}
