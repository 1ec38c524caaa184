/**
 * A ProxyJump hop never receives the target's password. Against real SSH servers (ssh2's Server on
 * 127.0.0.1) that record every authentication request: a jump host that accepts the controller's
 * key forwards to a target that wants a password (the target gets it, the hop never sees a password
 * request); a jump host that refuses the key fails the connection without ever being offered the
 * password.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionSettings } from '../../src/inventory/types.ts';
import { Secret } from '../../src/secrets/secret.ts';
import { authMethods, jumpHostSettings, openClient } from '../../src/transport/ssh-connect.ts';

const TARGET_PASSWORD = 'target-only-pw-5d21';

interface Attempt {
  user: string;
  method: string;
  password?: string;
}

interface FakeServer {
  port: number;
  attempts: Attempt[];
  close(): Promise<void>;
}

/** An SSH server recording each auth request; `accept` decides; direct-tcpip is forwarded. */
function startServer(accept: (ctx: ssh2.AuthContext) => boolean): Promise<FakeServer> {
  const attempts: Attempt[] = [];
  const sockets = new Set<net.Socket>();
  const server = new ssh2.Server({ hostKeys: [ssh2.utils.generateKeyPairSync('ed25519').private] }, (client) => {
    client.on('error', () => undefined);
    client.on('authentication', (ctx) => {
      attempts.push({ user: ctx.username, method: ctx.method, ...(ctx.method === 'password' ? { password: ctx.password } : {}) });
      if (accept(ctx)) ctx.accept();
      else ctx.reject(['publickey', 'password']);
    });
    client.on('tcpip', (acceptForward, _reject, info) => {
      const stream = acceptForward();
      const socket = net.connect(info.destPort, info.destIP);
      sockets.add(socket);
      socket.on('error', () => stream.destroy());
      stream.on('error', () => socket.destroy());
      stream.pipe(socket).pipe(stream);
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as net.AddressInfo).port,
        attempts,
        close: () =>
          new Promise((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

const dir = mkdtempSync(path.join(tmpdir(), 'shipshape-jump-'));
const keyPath = path.join(dir, 'id_ed25519');
const knownHosts = path.join(dir, 'known_hosts');
const options = { acceptNewHostKeys: true, sshConfigPath: false as const, keepaliveIntervalMs: 0, keepaliveCountMax: 3 };
let savedAgent: string | undefined;
const servers: FakeServer[] = [];

beforeAll(() => {
  writeFileSync(keyPath, ssh2.utils.generateKeyPairSync('ed25519').private, { mode: 0o600 });
  // The controller's own agent (if any) stays out of this test.
  savedAgent = process.env.SSH_AUTH_SOCK;
  delete process.env.SSH_AUTH_SOCK;
});
afterAll(() => {
  if (savedAgent !== undefined) process.env.SSH_AUTH_SOCK = savedAgent;
  rmSync(dir, { recursive: true, force: true });
});
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

function target(port: number, jumpPort: number): ConnectionSettings {
  return {
    address: '127.0.0.1',
    port,
    user: 'deploy',
    privateKey: keyPath,
    password: new Secret(TARGET_PASSWORD, 'password'),
    become: true,
    becomePassword: new Secret('become-pw-77aa', 'becomePassword'),
    proxyJump: `hop@127.0.0.1:${jumpPort}`,
    connectTimeout: 10,
    knownHosts,
  };
}

describe('ProxyJump authentication', () => {
  it("a hop's settings keep the key and agent, never the target's passwords", () => {
    const hop = jumpHostSettings({ ...target(2222, 2200), agent: '/run/agent.sock' }, { address: 'bastion', port: 2200 });
    expect(hop).toMatchObject({ address: 'bastion', port: 2200, user: 'deploy', privateKey: keyPath, agent: '/run/agent.sock' });
    expect(hop.password).toBeUndefined();
    expect(hop.becomePassword).toBeUndefined();
    expect(hop.proxyJump).toBeUndefined();
    expect(authMethods({ privateKey: hop.privateKey, agent: hop.agent, password: hop.password })).toEqual(['publickey', 'agent']);
  });

  it('the target gets its password through a hop that accepts the key; the hop sees no password', async () => {
    const targetServer = await startServer((ctx) => ctx.method === 'password' && ctx.password === TARGET_PASSWORD);
    const jump = await startServer((ctx) => ctx.method === 'publickey');
    servers.push(targetServer, jump);
    const opened = await openClient('web-1', target(targetServer.port, jump.port), options);
    for (const client of [opened.ssh, ...opened.jumps]) client.dispose();

    expect(jump.attempts.length).toBeGreaterThan(0);
    expect(jump.attempts.every((a) => a.method === 'publickey' && a.user === 'hop')).toBe(true);
    expect(targetServer.attempts).toContainEqual({ user: 'deploy', method: 'password', password: TARGET_PASSWORD });
  });

  it('a hop that refuses the key fails the connection without being offered the password', async () => {
    const jump = await startServer(() => false);
    servers.push(jump);
    await expect(openClient('web-1', target(1, jump.port), options)).rejects.toThrow(
      `host web-1 (jump host 127.0.0.1): cannot connect to 127.0.0.1:${jump.port}: authentication failed for user hop`,
    );
    expect(jump.attempts.map((a) => a.method)).toEqual(['publickey']);
    expect(JSON.stringify(jump.attempts)).not.toContain(TARGET_PASSWORD);
  });
});
