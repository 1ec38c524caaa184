/**
 * Peak controller memory while a replica is seeded (mysql.replication's seed step): two throwaway
 * lab hosts with MySQL from sid, a table of `--mb` MiB on the first, then seedReplica from it to the
 * second, sampling this process's RSS every 50 ms. The dump streams through the controller, so the
 * peak should not grow with the dump's size.
 *
 *   npx tsx bench/seed-rss.ts --mb 2048
 *   npx tsx bench/seed-rss.ts --mb 2048 --raw    the same stream without MySQL (`head -c` → `wc -c`)
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { MysqlClient } from '../src/modules/mysql/client.ts';
import { dialectFor, parseVersion } from '../src/modules/mysql/dialect.ts';
import { seedReplica } from '../src/modules/mysql/seed.ts';
import type { TaskContext } from '../src/task/types.ts';
import { connect, type SshConnection } from '../src/transport/ssh.ts';
import { startTestHosts, type TestHost } from '../test/integration/support/lab-hosts.ts';

const { values } = parseArgs({ options: { mb: { type: 'string', default: '2048' }, raw: { type: 'boolean', default: false } } });
const megabytes = Number(values.mb);
const MiB = 1024 * 1024;
const log = (line: string): void => console.log(`[seed-rss] ${line}`);

async function on(host: TestHost, cmd: string, input?: string): Promise<string> {
  const result = await host.shell(cmd, input);
  if (result.exitCode !== 0) throw new Error(`${host.name}: ${cmd}: ${result.stderr}`);
  return result.stdout;
}

async function installMysql(host: TestHost, serverId: number): Promise<void> {
  await on(
    host,
    [
      'echo "deb http://deb.debian.org/debian sid main" > /etc/apt/sources.list.d/sid.list',
      'printf "Package: *\\nPin: release n=sid\\nPin-Priority: 100\\n" > /etc/apt/preferences.d/sid',
      'apt-get -q -o Acquire::Check-Valid-Until=false update >/dev/null',
      'DEBIAN_FRONTEND=noninteractive apt-get install -y -q -t sid mysql-server >/dev/null',
      `printf '[mysqld]\\nserver-id=${serverId}\\ngtid_mode=ON\\nenforce_gtid_consistency=ON\\nmax_allowed_packet=64M\\n' > /etc/mysql/mysql.conf.d/zz-bench.cnf`,
      'systemctl restart mysql',
    ].join(' && '),
  );
}

function connectTo(host: TestHost): Promise<SshConnection> {
  return connect(
    host.name,
    { address: host.address, port: host.port, user: host.user, privateKey: host.privateKeyPath, knownHosts: host.knownHostsPath, become: true, connectTimeout: 20 },
    { sshConfigPath: false },
  );
}

/** Samples this process's RSS while `work` runs. */
async function peakRss<T>(work: () => Promise<T>): Promise<{ result: T; baseline: number; peak: number; seconds: number }> {
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const started = performance.now();
  try {
    const result = await work();
    return { result, baseline, peak: Math.max(peak, process.memoryUsage().rss), seconds: (performance.now() - started) / 1000 };
  } finally {
    clearInterval(sampler);
  }
}

const report = (bytes: number, m: { baseline: number; peak: number; seconds: number }): void => {
  log(`${(bytes / MiB).toFixed(0)} MiB in ${m.seconds.toFixed(1)} s (${(bytes / MiB / m.seconds).toFixed(1)} MiB/s)`);
  log(`controller RSS: baseline ${(m.baseline / MiB).toFixed(0)} MiB, peak ${(m.peak / MiB).toFixed(0)} MiB (+${((m.peak - m.baseline) / MiB).toFixed(0)} MiB)`);
};

/** The seed's transport alone: root on one host → controller → root on the other, no database. */
async function rawStream(): Promise<void> {
  const lab = await startTestHosts(['seed-a', 'seed-b']);
  const conns: SshConnection[] = [];
  try {
    for (const host of lab.hosts) conns.push(await connectTo(host));
    const [from, to] = conns;
    const measured = await peakRss(async () => {
      const source = await from.stream!(`head -c ${megabytes * MiB} /dev/zero`, { become: true });
      const sink = await to.stream!('wc -c', { become: true, stdin: source.stdout });
      const out: Buffer[] = [];
      sink.stdout.on('data', (chunk: Buffer) => out.push(chunk));
      const [sent, received] = await Promise.all([source.done, sink.done]);
      if (sent.exitCode !== 0 || received.exitCode !== 0) throw new Error(`stream failed: ${sent.stderr} ${received.stderr}`);
      return Number(Buffer.concat(out).toString().trim());
    });
    if (measured.result !== megabytes * MiB) throw new Error(`received ${measured.result} bytes`);
    report(measured.result, measured);
  } finally {
    for (const conn of conns) await conn.close().catch(() => undefined);
    await lab.stop();
  }
}

async function main(): Promise<void> {
  if (values.raw) return rawStream();
  const lab = await startTestHosts(['seed-db1', 'seed-db2']);
  const conns: SshConnection[] = [];
  try {
    const [primary, replica] = lab.hosts;
    let started = performance.now();
    await Promise.all([installMysql(primary, 1), installMysql(replica, 2)]);
    log(`mysql installed on both hosts in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    // 1 MiB rows of hex text, 64 per statement.
    started = performance.now();
    await on(primary, 'mysql', 'CREATE DATABASE app; CREATE TABLE app.blobs (id INT PRIMARY KEY, body LONGTEXT) ENGINE=InnoDB;');
    for (let from = 0; from < megabytes; from += 64) {
      const to = Math.min(megabytes, from + 64);
      const rows = Array.from({ length: to - from }, (_, k) => `(${from + k}, REPEAT(MD5(${from + k}), 32768))`);
      await on(primary, 'mysql app', `INSERT INTO blobs VALUES ${rows.join(', ')};`);
    }
    log(`${megabytes} MiB of rows written on the primary in ${((performance.now() - started) / 1000).toFixed(0)} s`);

    for (const host of lab.hosts) conns.push(await connectTo(host));
    const [primaryConn, replicaConn] = conns;
    const exec: TaskContext['exec'] = (command, options) => replicaConn.exec(command, { become: true, ...options });
    const client = new MysqlClient(exec, { host: replica.name });
    const [row] = await client.query('SELECT VERSION() AS v;');
    const dialect = dialectFor(parseVersion(row.v));
    const peers = new Map([[primary.name, primaryConn], [replica.name, replicaConn]]);
    const ctx = {
      host: { name: replica.name },
      task: 'seed',
      exec,
      peer: (name: string) => peers.get(name)!,
      coalesce: () => {
        throw new Error('not coalesced in the bench');
      },
    } as unknown as TaskContext;

    const measured = await peakRss(() => seedReplica(ctx, client, dialect, { from: primary.name, databases: ['app'], users: [] }));
    const rows = (await on(replica, 'mysql --batch --skip-column-names', 'SELECT COUNT(*), SUM(LENGTH(body)) FROM app.blobs;')).trim();
    log(`seeded; replica rows, bytes: ${rows.replace('\t', ', ')}`);
    report(measured.result.bytes, measured);
  } finally {
    for (const conn of conns) await conn.close().catch(() => undefined);
    await lab.stop();
  }
}

await main();
