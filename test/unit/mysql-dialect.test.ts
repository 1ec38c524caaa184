import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseBatch } from '../../src/modules/mysql/batch.ts';
import { dialectFor, parseVersion } from '../../src/modules/mysql/dialect.ts';
import { storedPasswordDigest, storedPasswordDigestSql } from '../../src/modules/mysql/replication.ts';

const fixture = (name: string) => parseBatch(readFileSync(new URL(`../fixtures/mysql/${name}`, import.meta.url), 'utf8'));
const source = { host: 'db-1', port: 3306, user: 'repl', password: "pw'x", autoPosition: true, getSourcePublicKey: true };

describe('parseVersion', () => {
  it('reads MySQL and MariaDB version strings', () => {
    expect(parseVersion(fixture('version.tsv')[0]['VERSION()'])).toMatchObject({ flavor: 'mysql', major: 9, minor: 7, patch: 4 });
    expect(parseVersion('10.11.6-MariaDB-0+deb12u1-log')).toMatchObject({ flavor: 'mariadb', major: 10, minor: 11 });
    expect(() => parseVersion('garbage')).toThrow(TypeError);
  });
});

describe('modern MySQL (>= 8.0.23)', () => {
  const d = dialectFor(parseVersion('9.7.4-2'));

  it('speaks REPLICA/SOURCE and the 8.4 reset statement', () => {
    expect([d.showStatus, d.start, d.stop, d.resetGtids]).toEqual(['SHOW REPLICA STATUS;', 'START REPLICA;', 'STOP REPLICA;', 'RESET BINARY LOGS AND GTIDS;']);
    expect(d.changeSource(source)).toBe(
      "CHANGE REPLICATION SOURCE TO SOURCE_HOST = 'db-1', SOURCE_PORT = 3306, SOURCE_USER = 'repl', SOURCE_PASSWORD = 'pw''x', SOURCE_AUTO_POSITION = 1, GET_SOURCE_PUBLIC_KEY = 1;",
    );
    expect(d.changeSource({ ...source, ssl: true, getSourcePublicKey: false })).toContain('GET_SOURCE_PUBLIC_KEY = 0, SOURCE_SSL = 1;');
    expect(d.changeSource({ ...source, ssl: true, sslCa: "/etc/mysql/ca'x.pem" })).toMatch(/, SOURCE_SSL = 1, SOURCE_SSL_CA = '\/etc\/mysql\/ca''x\.pem';$/);
  });

  it('maps the recorded SHOW REPLICA STATUS (IO thread failing to connect)', () => {
    expect(d.parseStatus(fixture('replica-status-io-error.tsv')[0])).toEqual({
      host: '127.0.0.1',
      port: 3307,
      user: 'repl',
      ioRunning: 'Connecting',
      sqlRunning: 'Yes',
      lastIoError: expect.stringContaining("Can't connect to MySQL server on '127.0.0.1:3307'"),
      lastSqlError: '',
      autoPosition: true,
      getSourcePublicKey: true,
      sslAllowed: true,
      sslCaFile: '',
    });
  });

  it('maps the recorded status of a configured, stopped replica', () => {
    expect(d.parseStatus(fixture('replica-status-stopped.tsv')[0])).toMatchObject({ ioRunning: 'No', sqlRunning: 'No', lastIoError: '', lastSqlError: '' });
  });

  it('8.0.23 is the first with CHANGE REPLICATION SOURCE; 8.0.x keeps RESET MASTER', () => {
    const d8023 = dialectFor(parseVersion('8.0.23'));
    expect(d8023.changeSource(source)).toMatch(/^CHANGE REPLICATION SOURCE TO/);
    expect(d8023.resetGtids).toBe('RESET MASTER;');
  });
});

describe('legacy: MySQL < 8.0.23 and MariaDB', () => {
  it('old MySQL speaks MASTER/SLAVE with GET_MASTER_PUBLIC_KEY', () => {
    const d = dialectFor(parseVersion('8.0.22'));
    expect([d.showStatus, d.start, d.stop, d.resetGtids]).toEqual(['SHOW SLAVE STATUS;', 'START SLAVE;', 'STOP SLAVE;', 'RESET MASTER;']);
    expect(d.changeSource(source)).toBe(
      "CHANGE MASTER TO MASTER_HOST = 'db-1', MASTER_PORT = 3306, MASTER_USER = 'repl', MASTER_PASSWORD = 'pw''x', MASTER_AUTO_POSITION = 1, GET_MASTER_PUBLIC_KEY = 1;",
    );
    expect(dialectFor(parseVersion('5.7.44-log')).changeSource(source)).not.toContain('PUBLIC_KEY');
  });

  it('MariaDB uses MASTER_USE_GTID and maps Master_*/Slave_* columns', () => {
    const d = dialectFor(parseVersion('10.11.6-MariaDB'));
    expect(d.changeSource(source)).toBe(
      "CHANGE MASTER TO MASTER_HOST = 'db-1', MASTER_PORT = 3306, MASTER_USER = 'repl', MASTER_PASSWORD = 'pw''x', MASTER_USE_GTID = slave_pos;",
    );
    expect(d.gtidSeeding).toBe(false);
    expect(d.parseStatus(fixture('slave-status-mariadb.tsv')[0])).toMatchObject({
      host: '10.0.0.5',
      port: 3306,
      user: 'repl',
      ioRunning: 'Yes',
      sqlRunning: 'No',
      lastIoError: '',
      lastSqlError: expect.stringContaining("Duplicate entry '1'"),
      autoPosition: true,
    });
  });
});

/**
 * The servers a site meets: Ubuntu 22.04 and 24.04 ship MySQL 8.0 (8.0.36+, REPLICA/SOURCE words,
 * RESET MASTER), 8.4 LTS drops MASTER/SLAVE (RESET BINARY LOGS AND GTIDS), 9.x as 8.4.
 */
describe('each MySQL release line a site meets', () => {
  const cases = [
    ['8.0.36-0ubuntu0.22.04.1', 'RESET MASTER;'],
    ['8.0.41-0ubuntu0.24.04.1', 'RESET MASTER;'],
    ['8.4.3', 'RESET BINARY LOGS AND GTIDS;'],
    ['9.1.0', 'RESET BINARY LOGS AND GTIDS;'],
    ['9.7.4-2', 'RESET BINARY LOGS AND GTIDS;'],
  ] as const;
  it.each(cases)('%s: REPLICA/SOURCE statements, %s', (version, reset) => {
    const d = dialectFor(parseVersion(version));
    expect(parseVersion(version)).toMatchObject({ flavor: 'mysql' });
    expect([d.showStatus, d.start, d.stop, d.resetGtids, d.gtidSeeding]).toEqual(['SHOW REPLICA STATUS;', 'START REPLICA;', 'STOP REPLICA;', reset, true]);
    expect(d.changeSource(source)).toMatch(/^CHANGE REPLICATION SOURCE TO SOURCE_HOST = 'db-1', .*SOURCE_AUTO_POSITION = 1, GET_SOURCE_PUBLIC_KEY = 1;$/);
  });

  it('8.0.22 and older 8.0: SHOW SLAVE STATUS, CHANGE MASTER TO, RESET MASTER', () => {
    for (const version of ['8.0.22', '8.0.21', '8.0.4']) {
      const d = dialectFor(parseVersion(version));
      expect([d.showStatus, d.resetGtids]).toEqual(['SHOW SLAVE STATUS;', 'RESET MASTER;']);
      expect(d.changeSource(source)).toMatch(/^CHANGE MASTER TO .*GET_MASTER_PUBLIC_KEY = 1;$/);
    }
  });

  it('the stored source password is compared by a digest whose SQL holds the nonce only (the same on every line)', () => {
    const nonce = '0123456789abcdef0123456789abcdef';
    const sql = storedPasswordDigestSql(nonce);
    expect(sql).toBe(
      "SELECT SHA2(CONCAT('0123456789abcdef0123456789abcdef', CONVERT(COALESCE(User_password, '') USING utf8mb4)), 256) AS digest FROM mysql.slave_master_info WHERE Channel_name = '';",
    );
    // What MySQL 9.7.4 answered for the stored password se'cr\et"x and the nonce 'abc'.
    expect(storedPasswordDigest('abc', `se'cr\\et"x`)).toBe('90086b63e53f72ff693618bd853cd37bfc30ac673aa56daf2302d2b99ccbd385');
    // ...and for pä☃x (UTF-8 on both sides).
    expect(storedPasswordDigest('abc', 'pä☃x')).toBe('8db529311e59eb7cfdf5d185b1271e66e9a549d7617239e6e0cc14f707d7d4b2');
  });
});
