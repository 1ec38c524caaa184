/**
 * Peak controller memory while a replica is seeded (mysql.replication's seed step): two throwaway
 * lab hosts with MySQL from sid, a table of `--mb` MiB on the first, then seedReplica from it to the
 * second, sampling this process's RSS every 50 ms. The dump streams through the controller, so the
 * peak should not grow with the dump's size.
 *
 *   npx tsx bench/seed-rss.ts --mb 2048
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { MysqlClient } from '../src/modules/mysql/client.ts';
import { dialectFor, parseVersion } from '../src/modules/mysql/dialect.ts';
import { seedReplica } from '../src/modules/mysql/seed.ts';
import type { TaskContext } from '../src/modules/types.ts';
import { connect, type SshConnection } from '../src/transport/ssh.ts';
import { startTestHosts, type TestHost } from '../test/integration/support/lab-hosts.ts';

const { values } = parseArgs({ options: { mb: { type: 'string', default: '2048' } } });
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

async function main(): Promise<void> {
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
      await on(
        primary,
        'mysql',
        `SET SESSION cte_max_recursion_depth = 100000; INSERT INTO app.blobs WITH RECURSIVE n(i) AS (SELECT ${from} UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ${to}) SELECT i, REPEAT(MD5(i), 32768) FROM n;`,
      );
    }
    log(`${megabytes} MiB of rows written on the primary in ${((performance.now() - started) / 1000).toFixed(0)} s`);

    for (const host of lab.hosts) {
      conns.push(
        await connect(host.name, {
          address: host.address,
          port: host.port,
          user: host.user,
          privateKey: host.privateKeyPath,
          knownHosts: host.knownHostsPath,
          become: true,
          connectTimeout: 20,
        }, { sshConfigPath: false }),
      );
    }
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

    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
    started = performance.now();
    const { bytes } = await seedReplica(ctx, client, dialect, { from: primary.name, databases: ['app'], users: [] });
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    const rows = (await on(replica, 'mysql --batch --skip-column-names', 'SELECT COUNT(*), SUM(LENGTH(body)) FROM app.blobs;')).trim();
    log(`dump ${(bytes / MiB).toFixed(0)} MiB seeded in ${seconds.toFixed(1)} s (${(bytes / MiB / seconds).toFixed(1)} MiB/s); replica rows, bytes: ${rows}`);
    log(`controller RSS: baseline ${(baseline / MiB).toFixed(0)} MiB, peak ${(peak / MiB).toFixed(0)} MiB (+${((peak - baseline) / MiB).toFixed(0)} MiB)`);
  } finally {
    for (const conn of conns) await conn.close().catch(() => undefined);
    await lab.stop();
  }
}

await main();
