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

/** Sends what it is given `delayMs` later, in order; an end of input too, after the data before it. */
function delayedWriter(to: net.Socket, delayMs: number): { write(data: Buffer): void; end(): void } {
  const queue: Array<{ at: number; data: Buffer | null }> = [];
  let timer: NodeJS.Timeout | undefined;
  const pump = () => {
    timer = undefined;
    const now = Date.now();
    while (queue.length && queue[0].at <= now) {
      const { data } = queue.shift()!;
      if (data === null) to.end();
      else to.write(data);
    }
    if (queue.length) timer = setTimeout(pump, queue[0].at - now);
  };
  const push = (data: Buffer | null) => {
    queue.push({ at: Date.now() + delayMs, data });
    timer ??= setTimeout(pump, delayMs);
  };
  return { write: push, end: () => push(null) };
}

export async function startDelayProxy(target: { address: string; port: number }, rttMs: number): Promise<DelayProxy> {
  const oneWay = rttMs / 2;
  const sockets = new Set<net.Socket>();
  // allowHalfOpen: one side's end travels (delayed, after its data) instead of closing both at once.
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    const upstream = net.connect({ port: target.port, host: target.address, allowHalfOpen: true });
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ]) {
      sockets.add(from);
      // No Nagle: a delayed chunk must not wait for the peer's delayed ACK on top.
      from.setNoDelay(true);
      const writer = delayedWriter(to, oneWay);
      from.on('data', writer.write);
      from.on('end', writer.end);
      from.on('close', () => sockets.delete(from));
      from.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
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
