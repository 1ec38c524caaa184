/**
 * What a switchover or failover sends when the site replicates over TLS and may use semi-sync: the
 * old primary is repointed with SOURCE_SSL=1 and the new primary's CA (the replication account
 * REQUIRE SSL, and a site run compares both), and the roles' semi-sync sides are set before the
 * first write or connection. The CA pinning runs against a local shell standing in for two hosts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dialectFor, parseVersion } from '../../src/modules/mysql/dialect.ts';
import { mysqlFailoverModule as failoverModule } from '../../src/modules/mysql/failover.ts';
import { mysqlReplicationModule as replicationModule } from '../../src/modules/mysql/replication.ts';
import { pinSourceCa } from '../../src/modules/mysql/source-ca.ts';
import { describeWiring, PROMOTE_SQL, repointSql, mysqlSwitchoverModule as switchoverModule } from '../../src/modules/mysql/switchover.ts';
import type { Executor } from '../../src/transport/remote-files.ts';

const mysql84 = dialectFor(parseVersion('8.4.3'));
const base = { hosts: [{ name: 'db-1', address: '10.0.0.1' }, { name: 'db-2', address: '10.0.0.2' }], address: '10.0.0.2', user: 'repl', password: 'pw' };

describe('repointSql: the old primary replicates from the new one', () => {
  it('over TLS with the CA at the path the site replicas use, semi-sync replica side before START REPLICA', () => {
    const args = switchoverModule.schema.parse({ ...base, ssl: true, semiSync: true });
    const site = replicationModule.schema.parse({ sourceHost: '10.0.0.1', user: 'repl', password: 'pw', ssl: true, sslCaFrom: 'db-1' });
    expect(args.sslCa).toBe(site.sslCa);
    const lines = repointSql(mysql84, args, 'pw', false).split('\n');
    expect(lines[0]).toMatch(/^CHANGE REPLICATION SOURCE TO .*SOURCE_SSL = 1, SOURCE_SSL_CA = '\/etc\/mysql\/shipshape-source-ca\.pem';$/);
    expect(lines.slice(1)).toEqual(['SET GLOBAL rpl_semi_sync_source_enabled = OFF;', 'SET GLOBAL rpl_semi_sync_replica_enabled = ON;', 'START REPLICA;']);
  });

  it('without ssl and semi-sync: no TLS clause, no semi-sync variable; a running replica is stopped first', () => {
    const sql = repointSql(mysql84, switchoverModule.schema.parse(base), 'pw', true);
    expect(sql.startsWith('STOP REPLICA;\nCHANGE REPLICATION SOURCE TO ')).toBe(true);
    expect(sql).not.toMatch(/SSL|rpl_semi_sync/);
  });
});

describe('PROMOTE_SQL', () => {
  it('with semi-sync the source side is on before the node becomes writable', () => {
    const lines = PROMOTE_SQL(mysql84, true).split('\n');
    const on = lines.indexOf('SET GLOBAL rpl_semi_sync_source_enabled = ON;');
    expect(on).toBeGreaterThan(lines.indexOf('RESET REPLICA ALL;'));
    expect(lines).toContain('SET GLOBAL rpl_semi_sync_replica_enabled = OFF;');
    expect(on).toBeLessThan(lines.indexOf('SET GLOBAL super_read_only = OFF;'));
    expect(PROMOTE_SQL(mysql84)).not.toMatch(/rpl_semi_sync/);
  });

  it('the failover module takes the option (default off) and its plan says so', () => {
    expect(failoverModule.schema.parse({ from: 'db-1' }).semiSync).toBe(false);
    expect(failoverModule.schema.parse({ from: 'db-1', semiSync: true }).semiSync).toBe(true);
    expect(describeWiring(['promote db-2: STOP REPLICA', 'make db-1 a replica of db-2 (...)'], { ssl: true, sslCa: '/ca.pem', semiSync: true })).toEqual([
      'promote db-2: STOP REPLICA; semi-sync source side ON',
      "make db-1 a replica of db-2 (...) [SOURCE_SSL=1, the new primary's CA pinned at /ca.pem; semi-sync replica side ON]",
    ]);
  });
});

/** A shell on this machine standing in for a host (the test runs the same scripts SSH would). */
function localHost(name: string): Executor {
  return {
    host: name,
    async exec(command, options) {
      const r = spawnSync('bash', ['-c', command], { input: options?.stdin });
      return { command, exitCode: r.status ?? 1, stdout: r.stdout.toString(), stderr: r.stderr.toString(), stdoutBytes: r.stdout, durationMs: 0 };
    },
  };
}

describe('pinSourceCa: the new primary CA on the old primary', () => {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'pin-ca-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the source CA where the replica names it when it differs, and leaves an equal one alone', async () => {
    const ca = '-----BEGIN CERTIFICATE-----\nMIIB new primary\n-----END CERTIFICATE-----\n';
    const sourcePath = path.join(dir, 'ca.pem');
    const replicaPath = path.join(dir, 'source-ca.pem');
    writeFileSync(sourcePath, ca);
    writeFileSync(replicaPath, '-----BEGIN CERTIFICATE-----\nthe old primary\n-----END CERTIFICATE-----\n');
    expect(await pinSourceCa(localHost('db-2'), localHost('db-1'), sourcePath, replicaPath)).toBe(true);
    expect(readFileSync(replicaPath, 'utf8')).toBe(ca);
    expect(await pinSourceCa(localHost('db-2'), localHost('db-1'), sourcePath, replicaPath)).toBe(false);
  });

  it('refuses a source without a CA certificate, naming the host and path', async () => {
    await expect(pinSourceCa(localHost('db-2'), localHost('db-1'), path.join(dir, 'none.pem'), path.join(dir, 'x.pem'))).rejects.toThrow(/no CA certificate at .*none\.pem on db-2/);
  });
});
