/**
 * A fleet larger than the open-files limit fails up front, saying how to raise it, before any host
 * is contacted (instead of EMFILE on connection after connection in the middle of a run).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import { checkOpenFilesLimit, descriptorsNeeded, parseOpenFilesLimit } from '../../src/cli/open-files.ts';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            1024                 4096                 files
Max locked memory         8388608              8388608              bytes
`;

const ssh = (proxyJump?: string) => ({ connection: { address: 'a', port: 22, user: 'u', become: false, connectTimeout: 10, ...(proxyJump ? { proxyJump } : {}) } });

describe('the open-files limit', () => {
  it('is read from /proc/<pid>/limits', () => {
    expect(parseOpenFilesLimit(LIMITS)).toEqual({ soft: 1024, hard: 4096 });
    expect(parseOpenFilesLimit(LIMITS.replace('1024                 4096', 'unlimited            unlimited'))).toBeUndefined();
    expect(parseOpenFilesLimit('')).toBeUndefined();
  });

  it('counts a socket per host, per jump hop, and pipes for local hosts', () => {
    const local = { connection: { ...ssh().connection, connection: 'local' as const } };
    expect(descriptorsNeeded([ssh(), ssh('j1,j2'), local]) - descriptorsNeeded([])).toBe(1 + 3 + 3);
  });

  it('lets a fleet that fits run, and stops one that does not, saying how', () => {
    const fleet = (n: number) => Array.from({ length: n }, () => ssh());
    expect(() => checkOpenFilesLimit(fleet(900), { soft: 1024, hard: 4096 })).not.toThrow();
    const error = (() => {
      try {
        checkOpenFilesLimit(fleet(1000), { soft: 1024, hard: 4096 });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.message).toMatch(/^1000 hosts need about 1064 open files at once .* may open 1024 \(hard limit 4096\).*`ulimit -n 2048`.*--shard/);
  });
});

describe('through the CLI', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'shipshape-nofile-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('fails before connecting to any host when the hard limit is too low', async () => {
    let accepted = 0;
    const server = net.createServer((socket) => {
      accepted++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const inventory = path.join(dir, 'inventory.json');
    const hosts = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`h${i}`, { address: '127.0.0.1', port }]));
    writeFileSync(inventory, JSON.stringify({ hosts, defaults: { user: 'deploy', connectTimeout: 2 } }));
    const playbook = path.join(dir, 'site.ts');
    writeFileSync(playbook, "import { definePlaybook, play } from 'shipshape';\nexport default definePlaybook([play({ name: 'one', hosts: 'all', tasks: [] })]);\n");
    // Node raises its soft limit to the hard one at start: only a low hard limit binds.
    const child = spawn('bash', ['-c', `ulimit -n 256 && exec "$0" "$@"`, process.execPath, path.resolve('bin/shipshape.js'), 'apply', playbook, '-i', inventory], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    await new Promise((done) => server.close(done));
    expect(out).toMatch(/300 hosts need about 364 open files at once .* may open 256 \(hard limit 256\).*`ulimit -n 512`/);
    expect(code).toBe(1);
    expect(accepted).toBe(0);
  });
});
