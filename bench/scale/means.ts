/**
 * The effect of each means issue 4 lists, measured on the scale bench's light hosts:
 * a persistent session against a channel per command, facts once, prefetched (batched) plans,
 * and parallel connections. Each figure is a median of several tries.
 */
import { gatherFacts } from '../../src/facts/gather.ts';
import { connect } from '../../src/transport/ssh.ts';
import { median } from '../report.ts';
import type { LightHost, LightLab } from './hosts.ts';

async function samples(n: number, fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    await fn();
    times.push(performance.now() - started);
  }
  return median(times);
}

/** ms per command: a new exec channel each time against the host's persistent shell session. */
export async function sessionVsChannel(lab: LightLab, host: LightHost) {
  const conn = await connect(host.name, {
    address: host.address,
    port: host.port,
    user: 'deploy',
    privateKey: lab.privateKey,
    knownHosts: lab.knownHosts,
    connectTimeout: 10,
    become: false,
  } as never, { sshConfigPath: false });
  try {
    const probe = 'stat -c %a /etc/hostname';
    await conn.exec(probe);
    const session = await samples(30, () => conn.exec(probe));
    const channel = await samples(30, () => conn.execChannel(probe));
    // Twenty probes issued together (what prefetched plans do) against one after the other.
    const sequential20 = await samples(5, async () => {
      for (let i = 0; i < 20; i++) await conn.exec(probe);
    });
    const together20 = await samples(5, () => Promise.all(Array.from({ length: 20 }, () => conn.exec(probe))));
    const facts = await samples(10, () => gatherFacts(conn));
    const connectMs = await samples(5, async () => {
      const c = await connect(host.name, { address: host.address, port: host.port, user: 'deploy', privateKey: lab.privateKey, knownHosts: lab.knownHosts, connectTimeout: 10, become: false } as never, { sshConfigPath: false });
      await c.exec('true');
      await c.close();
    });
    return { sessionMs: session, channelMs: channel, sequential20Ms: sequential20, together20Ms: together20, factsMs: facts, connectAndFirstCommandMs: connectMs };
  } finally {
    await conn.close();
  }
}

