/**
 * `--connect-timeout` bounds each host's SSH connection for a run, over the inventory's setting: a
 * host whose sshd accepts the TCP connection and then says nothing (a controller or host under
 * load) is unreachable after that long, with the time in the message.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(path.join(tmpdir(), 'shipshape-connect-timeout-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('apply --connect-timeout', () => {
  it('overrides the inventory connectTimeout', async () => {
    const held: net.Socket[] = [];
    const silent = net.createServer((socket) => void held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    const inventory = path.join(dir, 'inventory.json');
    writeFileSync(inventory, JSON.stringify({ hosts: { quiet: { address: '127.0.0.1', port } }, defaults: { user: 'deploy', connectTimeout: 4 } }));
    const playbook = path.join(dir, 'site.ts');
    writeFileSync(playbook, "import { definePlaybook, play } from 'shipshape';\nexport default definePlaybook([play({ name: 'one', hosts: 'all', tasks: [] })]);\n");
    const child = spawn(process.execPath, [path.resolve('bin/shipshape.js'), 'apply', playbook, '-i', inventory, '--json', '--connect-timeout', '1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    for (const socket of held) socket.destroy();
    await new Promise((done) => silent.close(done));
    const unreachable = out.split('\n').filter(Boolean).map((line) => JSON.parse(line)).find((event) => event.type === 'unreachable');
    expect(unreachable).toMatchObject({ host: 'quiet', error: `host quiet: cannot connect to 127.0.0.1:${port}: timed out after 1 s` });
    expect(code).toBe(1);
  });
});
