/**
 * sysctl against real Debian 13 hosts, checked through docker exec (/proc/sys and the file).
 * sys-rw has a writable /proc/sys (its own network namespace, so net.* keys touch nothing else);
 * sys-ro is like every lab host: /proc/sys read-only, ip_nonlocal_bind set at container start.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskResult } from '../../src/task/types.ts';
import { sysctl } from '../../src/modules/sysctl/index.ts';
import { startTestHosts, type TestHost, type TestHosts } from './support/lab-hosts.ts';
import { openTestSession, type TestSession } from './support/run-task.ts';

let rwLab: TestHosts | undefined;
let roLab: TestHosts | undefined;
let rw: TestHost;
let ro: TestHost;
let rwSession: TestSession | undefined;
let roSession: TestSession | undefined;

beforeAll(async () => {
  // Both started before either is awaited; each kept as soon as it is up, so afterAll removes it.
  const starting = [
    startTestHosts(['sys-rw'], { writableProcSys: true }).then((lab) => (rwLab = lab)),
    startTestHosts(['sys-ro'], { sysctls: { 'net.ipv4.ip_nonlocal_bind': '1' } }).then((lab) => (roLab = lab)),
  ];
  const failed = (await Promise.allSettled(starting)).find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  [rw] = rwLab!.hosts;
  [ro] = roLab!.hosts;
  [rwSession, roSession] = await Promise.all([openTestSession(rw), openTestSession(ro)]);
});

afterAll(async () => {
  await rwSession?.close();
  await roSession?.close();
  await rwLab?.stop();
  await roLab?.stop();
});

const lines = (result: TaskResult) => result.changes.map((c) => c.description);
const onHost = async (host: TestHost, cmd: string) => {
  const result = await host.shell(cmd);
  expect(result.exitCode, `${cmd}: ${result.stderr}`).toBe(0);
  return result.stdout.trim();
};

describe('sysctl', () => {
  const FILE = '/etc/sysctl.d/60-shipshape.conf';
  const task = sysctl({ key: 'net.ipv4.tcp_fin_timeout', value: 17 });

  it('sets a writable key live and in the file; a second run changes nothing; live drift is fixed alone', async () => {
    expect(await onHost(rw, 'cat /proc/sys/net/ipv4/tcp_fin_timeout')).toBe('60');
    const first = await rwSession!.run(task);
    expect(first.status).toBe('changed');
    expect(lines(first)).toEqual([`${FILE}: net.ipv4.tcp_fin_timeout = 17`, 'set net.ipv4.tcp_fin_timeout: 60 → 17']);
    expect(await onHost(rw, 'cat /proc/sys/net/ipv4/tcp_fin_timeout')).toBe('17');
    expect(await onHost(rw, `cat ${FILE}`)).toBe('net.ipv4.tcp_fin_timeout = 17');
    expect(await onHost(rw, `stat -c %a ${FILE}`)).toBe('644');

    expect((await rwSession!.run(task)).status).toBe('ok');

    await onHost(rw, 'echo 30 > /proc/sys/net/ipv4/tcp_fin_timeout');
    const drift = await rwSession!.run(task, { check: true });
    expect(lines(drift)).toEqual(['set net.ipv4.tcp_fin_timeout: 30 → 17']);
    expect(await onHost(rw, 'cat /proc/sys/net/ipv4/tcp_fin_timeout')).toBe('30');
    expect((await rwSession!.run(task)).status).toBe('changed');
    expect(await onHost(rw, 'cat /proc/sys/net/ipv4/tcp_fin_timeout')).toBe('17');
    // The file is what the kernel gets at boot: sysctl itself reads it back to the same value.
    expect(await onHost(rw, `sysctl -p ${FILE}`)).toBe('net.ipv4.tcp_fin_timeout = 17');
  });

  it('a key set at container start on a read-only /proc/sys: only the file changes, then ok', async () => {
    const bind = sysctl({ key: 'net.ipv4.ip_nonlocal_bind', value: 1 });
    const first = await roSession!.run(bind);
    expect(lines(first)).toEqual([`${FILE}: net.ipv4.ip_nonlocal_bind = 1`]);
    expect(await onHost(ro, `cat ${FILE}`)).toBe('net.ipv4.ip_nonlocal_bind = 1');
    expect((await roSession!.run(bind)).status).toBe('ok');
  });

  it('a live change that /proc/sys refuses fails and says why', async () => {
    const result = await roSession!.run(sysctl({ key: 'net.ipv4.tcp_fin_timeout', value: 18 }));
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/read-only/);
    expect(await onHost(ro, 'cat /proc/sys/net/ipv4/tcp_fin_timeout')).toBe('60');
  });
});
