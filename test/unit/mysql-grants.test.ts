import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseBatch } from '../../src/modules/mysql/batch.ts';
import {
  diffGrants,
  GrantSyntaxError,
  grantStepLabel,
  grantStepSql,
  parseShowGrants,
  parseWantedGrant,
  targetLabel,
  type GrantSet,
} from '../../src/modules/mysql/grants.ts';

/** SHOW GRANTS recorded on MySQL 9.7.4. */
function recorded(name: string): GrantSet[] {
  const rows = parseBatch(readFileSync(new URL(`../fixtures/mysql/${name}`, import.meta.url), 'utf8'));
  return parseShowGrants(rows.map((row) => Object.values(row)[0]));
}

const wanted = (...specs: string[]) => specs.map(parseWantedGrant);
const labels = (current: GrantSet[], want: GrantSet[]) => diffGrants(current, want).map((s) => grantStepLabel(s, "'app'@'%'"));

describe('parseShowGrants on recorded output', () => {
  it('reads every level, quoted names and column privileges', () => {
    const sets = recorded('grants-app.tsv');
    const byTarget = Object.fromEntries(sets.map((s) => [targetLabel(s.target), [...s.privileges].sort()]));
    expect(byTarget).toEqual({
      '*.*': ['REPLICATION CLIENT', 'REPLICATION SLAVE'],
      'app.*': ['ALL PRIVILEGES'],
      '`we``ird db`.*': ['INSERT', 'SELECT'],
      'app.t': ['SELECT (v)', 'UPDATE'],
    });
  });

  it('merges the static and dynamic global lines, skips PROXY, keeps GRANT OPTION', () => {
    const [global, ...others] = recorded('grants-root.tsv');
    expect(others).toEqual([]);
    expect(global.privileges.has('SHUTDOWN')).toBe(true);
    expect(global.privileges.has('BACKUP_ADMIN')).toBe(true);
    expect(global.grantOption).toBe(true);
  });

  it('skips role grants', () => {
    expect(parseShowGrants(['GRANT `reader`@`%` TO `app`@`%`'])).toEqual([]);
  });
});

describe('parseWantedGrant', () => {
  it('normalises spelling so it compares with SHOW GRANTS', () => {
    const [g] = wanted('all on `app`.* with grant option');
    expect([...g.privileges]).toEqual(['ALL PRIVILEGES']);
    expect(g.grantOption).toBe(true);
    expect(targetLabel(g.target)).toBe('app.*');
    expect([...parseWantedGrant('replication replica ON *.*').privileges]).toEqual(['REPLICATION SLAVE']);
  });

  it.each([
    'SELECT',
    'SELECT ON app',
    'SELECT; DROP DATABASE x ON app.*',
    "SELECT ON app.* TO 'x'@'%'",
    'SELECT ON `app.*',
    'SELECT ON *.t',
    'SEL-ECT ON app.*',
  ])('refuses %j', (spec) => {
    expect(() => parseWantedGrant(spec)).toThrow(GrantSyntaxError);
  });
});

describe('diffGrants', () => {
  it('nothing to do when SHOW GRANTS already says what is wanted', () => {
    expect(
      labels(recorded('grants-app.tsv'), wanted('REPLICATION SLAVE, REPLICATION CLIENT ON *.*', 'ALL PRIVILEGES ON app.*', 'SELECT, INSERT ON `we``ird db`.*', 'SELECT (v), UPDATE ON app.t')),
    ).toEqual([]);
  });

  it('grants what is missing and revokes what is not listed', () => {
    expect(labels(recorded('grants-app.tsv'), wanted('ALL PRIVILEGES ON app.*', 'REPLICATION SLAVE ON *.*', 'SELECT ON shop.*'))).toEqual([
      "revoke REPLICATION CLIENT ON *.* from 'app'@'%'",
      "revoke SELECT, INSERT ON `we``ird db`.* from 'app'@'%'",
      "revoke SELECT (v), UPDATE ON app.t from 'app'@'%'",
      "grant SELECT ON shop.* to 'app'@'%'",
    ]);
  });

  it('a global ALL is recognised in its expanded form', () => {
    expect(labels(recorded('grants-root.tsv'), wanted('ALL ON *.* WITH GRANT OPTION'))).toEqual([]);
  });

  it('narrowing a global ALL revokes every level first, then grants everything wanted', () => {
    const steps = diffGrants(recorded('grants-root.tsv'), wanted('SELECT ON app.*'));
    expect(steps.map((s) => grantStepSql(s, "'app'@'%'"))).toEqual([
      "REVOKE ALL PRIVILEGES, GRANT OPTION FROM 'app'@'%';",
      "GRANT SELECT ON `app`.* TO 'app'@'%';",
    ]);
  });

  it('narrowing a database ALL revokes it and grants the rest', () => {
    expect(labels(recorded('grants-app.tsv').filter((s) => targetLabel(s.target) === 'app.*'), wanted('SELECT ON app.*'))).toEqual([
      "revoke ALL PRIVILEGES ON app.* from 'app'@'%'",
      "grant SELECT ON app.* to 'app'@'%'",
    ]);
  });

  it('adds or removes only the grant option', () => {
    const current = recorded('grants-nasty.tsv');
    expect(labels(current, wanted('REPLICATION SLAVE ON *.*'))).toEqual(["revoke GRANT OPTION ON *.* from 'app'@'%'"]);
    expect(labels([], wanted('SELECT ON app.* WITH GRANT OPTION'))).toEqual(["grant SELECT ON app.* to 'app'@'%' WITH GRANT OPTION"]);
  });

  it('an empty list revokes everything but USAGE', () => {
    expect(labels(recorded('grants-nasty.tsv'), [])).toEqual(["revoke REPLICATION SLAVE, GRANT OPTION ON *.* from 'app'@'%'"]);
  });

  it('renders SQL with every name quoted', () => {
    const [step] = diffGrants([], wanted('SELECT (`we``ird col`) ON `d b`.`t`'));
    expect(grantStepSql(step, "'u'@'%'")).toBe("GRANT SELECT (`we``ird col`) ON `d b`.`t` TO 'u'@'%';");
  });
});
