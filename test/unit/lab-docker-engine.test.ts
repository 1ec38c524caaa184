import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dockerSocketPath, engineAnswers } from '../../src/lab/docker-engine.ts';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function withDockerHost(value: string | undefined): void {
  const previous = process.env.DOCKER_HOST;
  if (value === undefined) delete process.env.DOCKER_HOST;
  else process.env.DOCKER_HOST = value;
  cleanups.push(() => {
    if (previous === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = previous;
  });
}

/** A stand-in engine on a unix socket answering /_ping with the given status. */
async function fakeEngine(status: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'fake-docker-'));
  const socketPath = join(dir, 'docker.sock');
  const server: Server = createServer((req, res) => {
    res.statusCode = req.url === '/_ping' ? status : 404;
    res.end('OK');
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return socketPath;
}

describe('docker engine detection', () => {
  it('uses /var/run/docker.sock unless DOCKER_HOST names another unix socket', () => {
    withDockerHost(undefined);
    expect(dockerSocketPath()).toBe('/var/run/docker.sock');
    process.env.DOCKER_HOST = 'unix:///run/user/1000/docker.sock';
    expect(dockerSocketPath()).toBe('/run/user/1000/docker.sock');
    process.env.DOCKER_HOST = 'tcp://127.0.0.1:2375';
    expect(dockerSocketPath()).toBeUndefined();
  });

  it('answers true when /_ping returns 200', async () => {
    expect(await engineAnswers(await fakeEngine(200))).toBe(true);
  });

  it('answers false when the engine errors or nothing listens', async () => {
    expect(await engineAnswers(await fakeEngine(500))).toBe(false);
    expect(await engineAnswers(join(tmpdir(), 'no-such-dir', 'docker.sock'))).toBe(false);
  });
});
