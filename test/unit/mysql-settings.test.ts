import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseBatch } from '../../src/modules/mysql/batch.ts';
import { gtidModeSteps, liveDrift, liveMatches, renderConfig, setGlobalStatements } from '../../src/modules/mysql/settings.ts';

/** SHOW GLOBAL VARIABLES recorded on a fresh MySQL 9.7.4 from Debian sid. */
const live = new Map(
  parseBatch(readFileSync(new URL('../fixtures/mysql/variables.tsv', import.meta.url), 'utf8')).map((r) => [r.Variable_name, r.Value]),
);

describe('renderConfig', () => {
  it('writes a [mysqld] section in the given order; log_bin true is the bare option', () => {
    expect(renderConfig({ 'server-id': 2, log_bin: true, gtid_mode: 'ON', read_only: false, datadir: '/srv/my sql#1' })).toBe(
      [
        '# Managed by shipshape (mysql.config): local edits are overwritten on the next run.',
        '[mysqld]',
        'server-id = 2',
        'log_bin',
        'gtid_mode = ON',
        'read_only = OFF',
        'datadir = "/srv/my sql#1"',
        '',
      ].join('\n'),
    );
    expect(renderConfig({ log_bin: false })).toContain('\ndisable_log_bin\n');
    expect(renderConfig({ log_bin: 'mysql-bin' })).toContain('\nlog_bin = mysql-bin\n');
  });
});

describe('liveMatches', () => {
  it.each([
    ['ON', 'ON', true],
    ['1', 'ON', true],
    ['true', 'ON', true],
    ['OFF', 'ON', false],
    ['0', 'OFF', true],
    ['128M', '134217728', true],
    ['256M', '134217728', false],
    ['7', '7', true],
    ['row', 'ROW', true],
    ['0.0.0.0', '127.0.0.1', false],
    ['STRICT_TRANS_TABLES,ONLY_FULL_GROUP_BY', 'ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES', true],
    ['ON_PERMISSIVE', 'ON', false],
  ])('wanted %s vs running %s → %s', (wanted, running, same) => {
    expect(liveMatches(wanted, running)).toBe(same);
  });
});

describe('liveDrift on recorded variables', () => {
  it('names what differs, maps dashes, ignores options without a variable', () => {
    const drift = liveDrift(
      { 'server-id': 1, 'bind-address': '0.0.0.0', log_bin: 'mysql-bin', gtid_mode: 'ON', enforce_gtid_consistency: true, read_only: 'ON', super_read_only: 1, innodb_buffer_pool_size: '128M', 'skip-name-resolve': 'ON' },
      live,
    );
    expect(drift.map((d) => `${d.variable}:${d.live}->${d.expected}`)).toEqual(['bind_address:127.0.0.1->0.0.0.0', 'read_only:OFF->ON', 'super_read_only:OFF->1']);
  });
});

describe('setGlobalStatements', () => {
  it('steps gtid_mode one level at a time, after enforce_gtid_consistency', () => {
    const statements = setGlobalStatements([
      { option: 'gtid_mode', variable: 'gtid_mode', expected: 'ON', live: 'OFF' },
      { option: 'enforce_gtid_consistency', variable: 'enforce_gtid_consistency', expected: 'ON', live: 'OFF' },
    ]).map((s) => s.sql);
    expect(statements).toEqual([
      'SET GLOBAL enforce_gtid_consistency = ON;',
      'SET GLOBAL gtid_mode = OFF_PERMISSIVE;',
      'SET GLOBAL gtid_mode = ON_PERMISSIVE;',
      'SET GLOBAL gtid_mode = ON;',
    ]);
    expect(gtidModeSteps('ON', 'OFF')).toEqual(['ON_PERMISSIVE', 'OFF_PERMISSIVE', 'OFF']);
  });

  it('orders read_only and super_read_only so neither undoes the other', () => {
    const on = setGlobalStatements([
      { option: 'super_read_only', variable: 'super_read_only', expected: 'ON', live: 'OFF' },
      { option: 'read_only', variable: 'read_only', expected: 'ON', live: 'OFF' },
    ]).map((s) => s.variable);
    expect(on).toEqual(['read_only', 'super_read_only']);
    const off = setGlobalStatements([
      { option: 'read_only', variable: 'read_only', expected: 'OFF', live: 'ON' },
      { option: 'super_read_only', variable: 'super_read_only', expected: 'OFF', live: 'ON' },
    ]).map((s) => s.variable);
    expect(off).toEqual(['super_read_only', 'read_only']);
  });

  it('sizes become numbers and other strings are quoted', () => {
    expect(setGlobalStatements([{ option: 'x', variable: 'innodb_buffer_pool_size', expected: '256M', live: '134217728' }])[0].sql).toBe(
      'SET GLOBAL innodb_buffer_pool_size = 268435456;',
    );
    expect(setGlobalStatements([{ option: 'x', variable: 'binlog_format', expected: "ROW'; DROP", live: 'MIXED' }])[0].sql).toBe(
      "SET GLOBAL binlog_format = 'ROW''; DROP';",
    );
  });
});
