import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseBatch } from '../../src/modules/mysql/batch.ts';
import { dialectFor, parseVersion } from '../../src/modules/mysql/dialect.ts';

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
