/**
 * `npm run bench -- --rtt MS`: hosts as far away as real servers usually are. One TCP proxy per
 * host on 127.0.0.1 delays every chunk by half the round trip in each direction, so both tools and
 * the floor pay the same latency on every exchange (SSH handshake, authentication, each command).
 * This machine's kernel has no netem, hence a proxy; it runs in the bench's own process.
 */
import net from 'node:net';

export interface DelayProxy {
  /** The port on 127.0.0.1 that leads to the host. */
  port: number;
  close(): void;
}

/** Sends what `write` is given `delayMs` later, in order. */
function delayedWriter(to: net.Socket, delayMs: number): (data: Buffer) => void {
  const queue: Array<{ at: number; data: Buffer }> = [];
  let timer: NodeJS.Timeout | undefined;
  const pump = () => {
    timer = undefined;
    const now = Date.now();
    while (queue.length && queue[0].at <= now) to.write(queue.shift()!.data);
    if (queue.length) timer = setTimeout(pump, queue[0].at - now);
  };
  return (data) => {
    queue.push({ at: Date.now() + delayMs, data });
    timer ??= setTimeout(pump, delayMs);
  };
}

export async function startDelayProxy(target: { address: string; port: number }, rttMs: number): Promise<DelayProxy> {
  const oneWay = rttMs / 2;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.address);
    for (const socket of [client, upstream]) sockets.add(socket);
    client.on('data', delayedWriter(upstream, oneWay));
    upstream.on('data', delayedWriter(client, oneWay));
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    for (const socket of [client, upstream]) {
      socket.on('close', end);
      socket.on('error', end);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}
