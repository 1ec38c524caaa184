/**
 * haproxy.server on a real HAProxy 3.0 (Debian 13) through its admin socket: drain / maint / ready
 * set and checked independently (socat on the host, docker exec), a second run changes nothing, a
 * drain waits for the server's sessions (bounded), and a drained server stays drained across
 * `systemctl reload haproxy` with the role's systemd drop-in and server-state-file.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as haproxy from '../../src/modules/haproxy/index.ts';
import { useModuleHost } from './support/module-host.ts';

const lab = useModuleHost('lb-01');
const { onHost, run } = lab;

// Two servers answered by HAProxy itself, and a third that holds each request for 20 s (socat),
// so a test can keep a session open on it.
const CONFIG = `global
    stats socket /run/haproxy/admin.sock mode 600 level admin
    server-state-file /var/lib/haproxy/server-state
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    load-server-state-from-file global
frontend fe
    bind 127.0.0.1:8080
    default_backend web
backend web
    balance roundrobin
    default-server inter 500ms fall 2 rise 1
    server web-1 127.0.0.1:8081 check
    server web-2 127.0.0.1:8082 check
backend slow
    server slow-1 127.0.0.1:8083
frontend slow_fe
    bind 127.0.0.1:8090
    default_backend slow
listen app1
    bind 127.0.0.1:8081
    http-request return status 200 content-type text/plain string "web-1"
listen app2
    bind 127.0.0.1:8082
    http-request return status 200 content-type text/plain string "web-2"
`;

/** Admin state as HAProxy reports it, read outside shipshape: `web-1:0 web-2:8` (srv_admin_state). */
const adminStates = async (backend = 'web') =>
  (await onHost(`echo "show servers state ${backend}" | socat stdio UNIX-CONNECT:/run/haproxy/admin.sock | awk '!/^#/ && NF > 5 { printf "%s:%s ", $4, $7 }'`)).trim();

beforeAll(async () => {
  await onHost('DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q haproxy socat >/dev/null');
  await onHost('cat > /etc/haproxy/haproxy.cfg', CONFIG);
  await onHost('mkdir -p /etc/systemd/system/haproxy.service.d && cat > /etc/systemd/system/haproxy.service.d/server-state.conf', readFileSync(path.resolve('playbooks/files/haproxy/server-state.conf'), 'utf8'));
  await onHost('systemctl daemon-reload && systemctl restart haproxy');
});

describe('haproxy.server', () => {
  it('sets drain, maint and ready through the admin socket; a second run changes nothing', async () => {
    expect(await adminStates()).toBe('web-1:0 web-2:0');

    const drain = haproxy.server({ backend: 'web', server: 'web-1', state: 'drain' });
    const checked = await run(drain, { check: true });
    expect(checked.changes.map((c) => c.description)).toEqual(['lb-01: set web/web-1 ready → drain']);
    expect(await adminStates()).toBe('web-1:0 web-2:0');
    expect((await run(drain)).status).toBe('changed');
    expect(await adminStates()).toBe('web-1:8 web-2:0');
    expect((await run(drain)).status).toBe('ok');
    // Drained: new requests all go to the other server.
    const answers = await onHost('for i in 1 2 3 4; do curl -s http://127.0.0.1:8080/; echo; done');
    expect(answers.trim().split('\n')).toEqual(['web-2', 'web-2', 'web-2', 'web-2']);

    const maint = haproxy.server({ backend: 'web', server: 'web-1', state: 'maint' });
    expect((await run(maint)).changes.map((c) => c.description)).toEqual(['lb-01: set web/web-1 drain → maint']);
    expect(await adminStates()).toBe('web-1:1 web-2:0');

    const ready = haproxy.server({ backend: 'web', server: 'web-1', state: 'ready', upTimeout: 30 });
    expect((await run(ready)).status).toBe('changed');
    // ready waited until HAProxy saw it UP: srv_op_state 2 right after the task.
    expect(await onHost(`echo "show servers state web" | socat stdio UNIX-CONNECT:/run/haproxy/admin.sock | awk '$4 == "web-1" { print $6 }'`)).toBe('2\n');
    expect(await adminStates()).toBe('web-1:0 web-2:0');
    expect((await run(ready)).status).toBe('ok');
  });

  it('names an unknown backend or server instead of planning nothing', async () => {
    const noBackend = await run(haproxy.server({ backend: 'nope', server: 'web-1', state: 'drain' }));
    expect(noBackend.status).toBe('failed');
    expect(noBackend.error).toContain('no backend "nope"');
    const noServer = await run(haproxy.server({ backend: 'web', server: 'web-9', state: 'drain' }));
    expect(noServer.status).toBe('failed');
    expect(noServer.error).toContain('has no server "web-9" (it has: web-1, web-2)');
  });

  it('drain waits until the server sessions end, and fails when they outlast drainTimeout', async () => {
    // A backend that answers after 20 s: each request through it is a session for 20 s.
    await onHost(`nohup socat TCP-LISTEN:8083,fork,reuseaddr SYSTEM:'sleep 20; printf "HTTP/1.0 200 OK\\\\r\\\\n\\\\r\\\\nslow"' >/dev/null 2>&1 &`);
    const hold = () => onHost('nohup curl -s -o /dev/null http://127.0.0.1:8090/ >/dev/null 2>&1 &');
    const sessions = async () => Number((await onHost(`echo "show stat" | socat stdio UNIX-CONNECT:/run/haproxy/admin.sock | awk -F, '$1 == "slow" && $2 == "slow-1" { print $5 }'`)).trim());

    await hold();
    await expect.poll(sessions, { timeout: 15_000, interval: 200 }).toBe(1);
    const drained = await run(haproxy.server({ backend: 'slow', server: 'slow-1', state: 'drain', drainTimeout: 60 }));
    expect(drained.status, drained.error).toBe('changed');
    expect(await sessions()).toBe(0);

    await run(haproxy.server({ backend: 'slow', server: 'slow-1', state: 'ready', upTimeout: 0 }));
    await hold();
    await expect.poll(sessions, { timeout: 15_000, interval: 200 }).toBe(1);
    const late = await run(haproxy.server({ backend: 'slow', server: 'slow-1', state: 'drain', drainTimeout: 1 }));
    expect(late.status).toBe('failed');
    expect(late.error).toContain('slow/slow-1 sessions: still 1 session(s) after 1s');
  });

  it('a drained server stays drained across systemctl reload haproxy (and the reload runs)', async () => {
    await run(haproxy.server({ backend: 'web', server: 'web-2', state: 'drain' }));
    expect(await adminStates()).toBe('web-1:0 web-2:8');
    const pidBefore = await onHost('pgrep -f "haproxy -Ws" | sort | tr "\\n" " "');
    await onHost('systemctl reload haproxy');
    // The reload really happened: a new worker process.
    await expect.poll(async () => onHost('pgrep -f "haproxy -Ws" | sort | tr "\\n" " "'), { timeout: 10_000 }).not.toBe(pidBefore);
    expect(await adminStates()).toBe('web-1:0 web-2:8');
    expect((await run(haproxy.server({ backend: 'web', server: 'web-2', state: 'drain' }))).status).toBe('ok');
  });
});
