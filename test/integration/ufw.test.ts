/**
 * ufw.firewall against a real Debian 13 host, checked independently: `ufw status` through docker
 * exec and real traffic. Port 80 on fw-web is allowed from fw-client only, so a connection from
 * fw-client opens and one from the controller (the Docker gateway) goes unanswered (default deny
 * = DROP). Then: apply again → no change; drift by hand → check reports each item and changes
 * nothing → apply fixes; purge; the lockout guard on a real session (run through sudo).
 */
import { connect as tcpConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskResult } from '../../src/task/types.ts';
import { firewall } from '../../src/modules/ufw/index.ts';
import type { Task } from '../../src/task/task.ts';
import { sh } from '../../src/transport/quote.ts';
import { startTestHosts, type TestHost, type TestHosts } from './support/lab-hosts.ts';
import { openTestSession, type TestSession } from './support/run-task.ts';

let lab: TestHosts | undefined;
let web: TestHost;
let client: TestHost;
let session: TestSession | undefined;

beforeAll(async () => {
  lab = await startTestHosts(['fw-web', 'fw-client']);
  [web, client] = lab.hosts;
  await onHost(web, 'DEBIAN_FRONTEND=noninteractive apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q ufw socat');
  // A tiny HTTP-ish listener on :80 that greets every connection.
  await onHost(web, `systemd-run --unit=hello80 socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'echo hello'`);
  session = await openTestSession(web);
});

afterAll(async () => {
  await session?.close();
  await lab?.stop();
});

async function onHost(host: TestHost, cmd: string): Promise<string> {
  const result = await host.shell(cmd);
  expect(result.exitCode, `${cmd}: ${result.stderr}`).toBe(0);
  return result.stdout;
}

const run = (task: Task, options: { check?: boolean } = {}): Promise<TaskResult> => session!.run(task, options);
const lines = (result: TaskResult) => result.changes.map((c) => c.description);

/** What `ufw status` says, straight from the host. */
const ufwStatus = () => onHost(web, 'ufw status');

/** Reaches fw-web:80 from fw-client; DROP shows as no answer within 5 s. */
async function fromClient(): Promise<boolean> {
  const probe = await client.shell(sh`timeout 5 bash -c ${`exec 3<>/dev/tcp/${web.address}/80 && head -c 5 <&3`}`);
  return probe.exitCode === 0 && probe.stdout === 'hello';
}

/** Reaches fw-web:80 from the controller: 'open', 'refused', or 'no answer' after 3 s. */
function fromController(port = 80): Promise<'open' | 'refused' | 'no answer'> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: web.address, port });
    const done = (outcome: 'open' | 'refused' | 'no answer') => {
      socket.destroy();
      resolve(outcome);
    };
    socket.setTimeout(3000, () => done('no answer'));
    socket.once('connect', () => done('open'));
    socket.once('error', () => done('refused'));
  });
}

const site = () =>
  firewall({
    defaults: { incoming: 'deny', outgoing: 'allow' },
    logging: 'low',
    rules: [
      { rule: 'allow', port: 22, proto: 'tcp', comment: 'ssh' },
      { rule: 'allow', port: 80, proto: 'tcp', from: client.address, comment: 'web from client' },
    ],
  });

describe('ufw.firewall on a real host', () => {
  it('before: port 80 is open to everyone', async () => {
    expect(await ufwStatus()).toMatch(/^Status: inactive/);
    expect(await fromController()).toBe('open');
  });

  it('check mode reports the changes and changes nothing', async () => {
    const checked = await run(site(), { check: true });
    expect(checked.status, checked.error).toBe('changed');
    expect(lines(checked)).toEqual([
      "allow 22/tcp from any (comment 'ssh')",
      `allow 80/tcp from ${client.address} (comment 'web from client')`,
      'enable firewall',
    ]);
    expect(await ufwStatus()).toMatch(/^Status: inactive/);
  });

  it('apply: active with exactly the declared rules, and traffic follows them', async () => {
    const applied = await run(site());
    expect(applied.status, applied.error).toBe('changed');
    const status = await ufwStatus();
    expect(status).toMatch(/^Status: active/);
    expect(status).toMatch(new RegExp(`^80/tcp\\s+ALLOW\\s+${client.address.replace(/\./g, '\\.')}\\s+# web from client$`, 'm'));
    expect(status).toMatch(/^22\/tcp\s+ALLOW\s+Anywhere\s+# ssh$/m);
    expect(await onHost(web, 'ufw status verbose')).toMatch(/Default: deny \(incoming\), allow \(outgoing\)/);
    expect(await fromClient()).toBe(true);
    expect(await fromController()).toBe('no answer');
  });

  it('apply again: zero changes (over a new SSH connection, so SSH really is admitted)', async () => {
    await session!.close();
    session = await openTestSession(web);
    const again = await run(site());
    expect(again.status, again.error).toBe('ok');
    expect(again.changes).toEqual([]);
  });

  it('drift (rule deleted, firewall disabled): check names each and changes nothing; apply fixes', async () => {
    await onHost(web, sh`ufw delete allow proto tcp from ${client.address} to any port 80 && ufw disable`);
    const drifted = await ufwStatus();
    expect(drifted).toMatch(/^Status: inactive/);

    const checked = await run(site(), { check: true });
    expect(checked.status, checked.error).toBe('changed');
    expect(lines(checked)).toEqual([`allow 80/tcp from ${client.address} (comment 'web from client')`, 'enable firewall']);
    expect(await ufwStatus()).toBe(drifted);
    expect(await fromController()).toBe('open');

    const fixed = await run(site());
    expect(fixed.status, fixed.error).toBe('changed');
    expect(await ufwStatus()).toMatch(/^Status: active/);
    expect(await fromClient()).toBe(true);
    expect(await fromController()).toBe('no answer');
    expect((await run(site())).status).toBe('ok');
  });

  it('a changed comment is updated in place; purge deletes what is not declared', async () => {
    await onHost(web, `ufw allow 8080 && ufw allow 22/tcp comment 'edited'`);
    const task = firewall({
      defaults: { incoming: 'deny' },
      purge: true,
      rules: [
        { rule: 'allow', port: 22, proto: 'tcp', comment: 'ssh' },
        { rule: 'allow', port: 80, proto: 'tcp', from: client.address, comment: 'web from client' },
      ],
    });
    const applied = await run(task);
    expect(applied.status, applied.error).toBe('changed');
    expect(lines(applied)).toEqual(["comment of allow 22/tcp from any: 'edited' → 'ssh'", 'delete allow 8080 from any']);
    const status = await ufwStatus();
    expect(status).not.toMatch(/8080/);
    expect(status).toMatch(/^22\/tcp\s+ALLOW\s+Anywhere\s+# ssh$/m);
    expect((await run(task)).status).toBe('ok');
  });

  it('refuses, at plan time, a firewall that would not admit this session; nothing changes', async () => {
    const before = await onHost(web, 'cat /etc/ufw/user.rules');
    const locked = firewall({ purge: true, rules: [{ rule: 'allow', port: 22, proto: 'tcp', from: '192.0.2.0/24' }] });
    const refused = await run(locked);
    expect(refused.status).toBe('failed');
    // The controller's address was read from the SSH session, through sudo: the peer sshd sees.
    const peers = await onHost(web, `ss -Htn state established '( sport = :22 )' | awk '{print $4}' | sed 's/:[0-9]*$//'`);
    const address = /from (\S+) \(this session's address/.exec(refused.error ?? '')?.[1];
    expect(refused.error).toMatch(/no rule admits SSH on port 22\/tcp/);
    expect(peers.split('\n')).toContain(address);
    expect(await onHost(web, 'cat /etc/ufw/user.rules')).toBe(before);
  });

  it('a declared deny after an earlier broader allow is moved before it, and really blocks', async () => {
    // By hand: an allow for everyone on 80, and no rule of the client's own (a deny declared for
    // the same match as an existing allow would replace it in place, as ufw does: nothing to move).
    await onHost(web, `ufw allow 80/tcp && ufw delete allow proto tcp from ${client.address} to any port 80 || true`);
    expect(await fromClient()).toBe(true);
    const task = firewall({
      defaults: { incoming: 'deny' },
      rules: [
        { rule: 'allow', port: 22, proto: 'tcp', comment: 'ssh' },
        { rule: 'deny', port: 80, proto: 'tcp', from: client.address, comment: 'no web from client' },
      ],
    });
    const checked = await run(task, { check: true });
    expect(lines(checked)).toEqual([
      `deny 80/tcp from ${client.address} (comment 'no web from client')`,
      `move deny 80/tcp from ${client.address} before allow 80/tcp from any (which matches first)`,
    ]);
    expect(await fromClient()).toBe(true);

    const applied = await run(task);
    expect(applied.status, applied.error).toBe('changed');
    // Independent: ufw's own numbering puts the deny first, and traffic follows it.
    expect(await onHost(web, 'ufw status numbered')).toMatch(new RegExp(`\\[ *2\\] 80/tcp +DENY IN +${client.address.replace(/\./g, '\\.')} .*\\n\\[ *3\\] 80/tcp +ALLOW IN +Anywhere`));
    expect(await fromClient()).toBe(false);
    expect(await fromController()).toBe('open');
    expect((await run(task)).status).toBe('ok');
    await onHost(web, `ufw delete deny proto tcp from ${client.address} to any port 80 && ufw delete allow 80/tcp && ufw allow proto tcp from ${client.address} to any port 80`);
  });

  it('ufw missing: a clear error', async () => {
    const bare = await openTestSession(client);
    try {
      const result = await bare.run(firewall({ rules: [{ rule: 'allow', port: 22 }] }));
      expect(result.status).toBe('failed');
      expect(result.error).toMatch(/ufw is not installed/);
    } finally {
      await bare.close();
    }
  });

  it('state disabled turns it off', async () => {
    const off = await run(firewall({ state: 'disabled' }));
    expect(lines(off)).toEqual(['disable firewall']);
    expect(await ufwStatus()).toMatch(/^Status: inactive/);
    expect(await fromController()).toBe('open');
  });
});
