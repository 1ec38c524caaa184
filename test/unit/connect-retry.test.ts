/**
 * Connections sshd drops before its banner (MaxStartups) are retried with backoff, bounded, and
 * counted. Against a real SSH server (ssh2's Server on 127.0.0.1) behind a TCP front that closes
 * the first N connections right after accepting them, as sshd does past MaxStartups.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ssh2 from 'ssh2';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionError } from '../../src/errors.ts';
import { runPlaybook, type Connector } from '../../src/engine/run.ts';
import type { HostFacts } from '../../src/facts/types.ts';
import type { Inventory, InventoryHost } from '../../src/inventory/types.ts';
import type { Module } from '../../src/task/types.ts';
import { definePlaybook, play } from '../../src/playbook/define.ts';
import { moduleFunction } from '../../src/task/task.ts';
import { JsonReporter } from '../../src/report/json.ts';
import { recapText } from '../../src/report/format.ts';
import { isDroppedBeforeHandshake, retryDelayMs, type RetryPolicy } from '../../src/transport/connect-retry.ts';
import { connect } from '../../src/transport/ssh.ts';
import type { HostConnection } from '../../src/transport/types.ts';

const FAST: RetryPolicy = { attempts: 5, baseDelayMs: 10, maxDelayMs: 40 };

interface Front {
  port: number;
  /** Connections accepted so far (dropped ones included). */
  accepted: number;
  close(): Promise<void>;
}

/** An SSH server that accepts any key, behind a front closing its first `drop` connections at once. */
async function startFront(drop: number, how: 'close' | 'reset' = 'close'): Promise<Front> {
  const server = new ssh2.Server({ hostKeys: [ssh2.utils.generateKeyPairSync('ed25519').private] }, (client) => {
    client.on('error', () => undefined);
    client.on('authentication', (ctx) => ctx.accept());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const sshPort = (server.address() as net.AddressInfo).port;
  const sockets = new Set<net.Socket>();
  const front: Front = { port: 0, accepted: 0, close: async () => undefined };
  const tcp = net.createServer((socket) => {
    front.accepted++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    if (front.accepted <= drop) {
      if (how === 'reset') socket.resetAndDestroy();
      else socket.end();
      return;
    }
    const upstream = net.connect(sshPort, '127.0.0.1');
    sockets.add(upstream);
    upstream.on('error', () => socket.destroy());
    socket.pipe(upstream).pipe(socket);
  });
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  front.port = (tcp.address() as net.AddressInfo).port;
  front.close = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((done) => tcp.close(done));
    await new Promise((done) => server.close(done));
  };
  return front;
}

const dir = mkdtempSync(path.join(tmpdir(), 'shipshape-retry-'));
const keyPath = path.join(dir, 'id_ed25519');
const knownHosts = path.join(dir, 'known_hosts');
const fronts: Front[] = [];
let savedAgent: string | undefined;

beforeAll(() => {
  writeFileSync(keyPath, ssh2.utils.generateKeyPairSync('ed25519').private, { mode: 0o600 });
  savedAgent = process.env.SSH_AUTH_SOCK;
  delete process.env.SSH_AUTH_SOCK;
});
afterAll(async () => {
  await Promise.all(fronts.map((front) => front.close()));
  if (savedAgent !== undefined) process.env.SSH_AUTH_SOCK = savedAgent;
  rmSync(dir, { recursive: true, force: true });
});

function settings(port: number) {
  return { address: '127.0.0.1', port, user: 'deploy', become: false, connectTimeout: 5, privateKey: keyPath, knownHosts };
}

describe('connections dropped before the banner (MaxStartups)', () => {
  it('are made again, and the retries are counted', async () => {
    const front = await startFront(3);
    fronts.push(front);
    const conn = await connect('busy', settings(front.port), { acceptNewHostKeys: true, sshConfigPath: false, retryPolicy: FAST });
    try {
      expect(front.accepted).toBe(4);
      expect(conn.connectRetries).toBe(3);
    } finally {
      await conn.close();
    }
  });

  it('a reset is retried too', async () => {
    const front = await startFront(1, 'reset');
    fronts.push(front);
    const conn = await connect('reset', settings(front.port), { acceptNewHostKeys: true, sshConfigPath: false, retryPolicy: FAST });
    await conn.close();
    expect(conn.connectRetries).toBe(1);
  });

  it('stop after the bounded number of attempts, and say so', async () => {
    const front = await startFront(1000);
    fronts.push(front);
    const failure = await connect('full', settings(front.port), { acceptNewHostKeys: true, sshConfigPath: false, retryPolicy: FAST }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ConnectionError);
    expect((failure as Error).message).toMatch(/^host full: cannot connect to 127\.0\.0\.1:\d+: .*dropped all 5 attempts: sshd's MaxStartups\?/);
    expect(front.accepted).toBe(5);
  });

  it('a refused port is not retried', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((done) => closed.close(done));
    const failure = await connect('down', settings(port), { acceptNewHostKeys: true, sshConfigPath: false, retryPolicy: { ...FAST, baseDelayMs: 5000 } }).catch(
      (e: unknown) => e,
    );
    // With a retry, the 5 s wait would exceed the test's own timeout.
    expect((failure as Error).message).toMatch(/connection refused$/);
  });

  it('back off exponentially with jitter, capped', () => {
    const policy: RetryPolicy = { attempts: 6, baseDelayMs: 100, maxDelayMs: 1000 };
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(n, policy, () => 1))).toEqual([100, 200, 400, 800, 1000]);
    expect([1, 2, 3].map((n) => retryDelayMs(n, policy, () => 0))).toEqual([50, 100, 200]);
    expect(isDroppedBeforeHandshake(new Error('Connection lost before handshake'))).toBe(true);
    expect(isDroppedBeforeHandshake(new Error('All configured authentication methods failed'))).toBe(false);
  });
});

describe('the recap', () => {
  const facts = { os: { id: 'debian', version: '13', codename: 'trixie', name: 'Debian', family: ['debian'] } } as unknown as HostFacts;
  const noop: Module<{ key: string }, unknown, { key: string }> = {
    name: 'noop',
    schema: z.object({ key: z.string() }).strict(),
    describe: (a) => `noop ${a.key}`,
    plan: async () => ({ changes: [] }),
    apply: async () => undefined,
  };
  const task = moduleFunction(noop);

  it('counts a retried host as reached, with its retries', async () => {
    const names = ['a', 'b'];
    const hosts = new Map<string, InventoryHost>(
      names.map((name) => [name, { name, connection: { address: '127.0.0.1', port: 22, user: 'x', become: false, connectTimeout: 1 }, vars: {}, groups: ['all'] }]),
    );
    const inventory: Inventory = { source: 'test', hosts, groups: new Map([['all', { name: 'all', hosts: names, children: [], vars: {} }]]) };
    const connector: Connector = {
      connect: async (host) =>
        ({ host: host.name, channelsOpened: 0, connectRetries: host.name === 'a' ? 2 : 0, exec: async () => { throw new Error('not used'); }, close: async () => {} }) as HostConnection,
      gatherFacts: async () => facts,
    };
    const lines: string[] = [];
    const playbook = definePlaybook({ name: 'p', plays: [play({ name: 'one', hosts: 'all', tasks: [task({ key: 'x' })] })] });
    const recap = await runPlaybook(playbook, inventory, connector, new JsonReporter((l) => lines.push(l)), {
      check: false,
      forks: 2,
      baseDir: '.',
      playbookName: 'p',
      selectHosts: () => names,
    });
    expect(recap.hosts.a).toMatchObject({ ok: 1, unreachable: 0 });
    expect(recap.connectRetries).toEqual({ a: 2 });
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ type: 'recap', connectRetries: { a: 2 } });
    expect(recapText(recap)).toContain('connections retried after sshd dropped them (MaxStartups): 2 on 1 host(s): a 2');
  });
});
