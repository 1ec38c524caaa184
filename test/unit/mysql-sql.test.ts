import { describe, expect, it } from 'vitest';
import { parseBatch, unescapeBatchValue } from '../../src/modules/mysql/batch.ts';
import { scrub } from '../../src/modules/mysql/client.ts';
import { SESSION_PRELUDE, SqlQuoteError, sqlAccount, sqlIdent, sqlInt, sqlString } from '../../src/modules/mysql/sql.ts';

/** MySQL's reading of a single-quoted literal (default sql_mode), as a reference to check against. */
function readLiteral(text: string): string {
  expect(text.startsWith("'") && text.endsWith("'")).toBe(true);
  const body = text.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch === "'") {
      // Inside the literal a quote may only appear doubled.
      expect(body[i + 1]).toBe("'");
      out += "'";
      i++;
    } else if (ch === '\\') {
      const next = body[++i];
      out += ({ '0': '\0', Z: '\x1a', n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'" } as Record<string, string>)[next] ?? next;
    } else out += ch;
  }
  return out;
}

const NASTY = [
  '',
  "'",
  "''",
  "\\'",
  "\\",
  "a'; DROP DATABASE mysql; --",
  "x\\' OR 1=1 #",
  'tab\there\nnew line\r\n',
  'nul\0byte',
  'ctrl-z\x1a',
  '`backtick` "double"',
  'ünïcødé ☃ 𝄞',
  "\\\\'\\''",
  '$(reboot) `id` ${HOME}',
];

describe('sqlString', () => {
  it.each(NASTY)('round-trips %j through MySQL literal rules', (value) => {
    const literal = sqlString(value);
    expect(readLiteral(literal)).toBe(value);
  });

  it('never leaves a lone quote that would end the literal early', () => {
    for (const value of NASTY) {
      const inner = sqlString(value).slice(1, -1).replace(/\\./gs, '').replace(/''/g, '');
      expect(inner).not.toContain("'");
    }
  });

  it('escapes quote and backslash the way MySQL reads them', () => {
    expect(sqlString("it's")).toBe("'it''s'");
    expect(sqlString('a\\b')).toBe("'a\\\\b'");
    expect(sqlString('\0')).toBe("'\\0'");
  });
});

describe('sqlIdent and sqlAccount', () => {
  it('doubles backticks and rejects what MySQL cannot name', () => {
    expect(sqlIdent('we`ird db')).toBe('`we``ird db`');
    expect(sqlIdent('`; DROP TABLE x; --')).toBe('```; DROP TABLE x; --`');
    expect(() => sqlIdent('')).toThrow(SqlQuoteError);
    expect(() => sqlIdent('a\0b')).toThrow(SqlQuoteError);
  });

  it('quotes user and host separately', () => {
    expect(sqlAccount("o'brien", '10.0.0.%')).toBe("'o''brien'@'10.0.0.%'");
    expect(sqlAccount('a@b', "'@'")).toBe("'a@b'@'''@'''");
  });

  it('only lets safe integers through', () => {
    expect(sqlInt(3306)).toBe('3306');
    expect(() => sqlInt(1.5)).toThrow(SqlQuoteError);
    expect(() => sqlInt(Number.NaN)).toThrow(SqlQuoteError);
  });

  it('the session prelude has no backslash, so it reads the same in every sql_mode', () => {
    expect(SESSION_PRELUDE).not.toContain('\\');
    expect(SESSION_PRELUDE).toContain('NO_BACKSLASH_ESCAPES');
  });
});

describe('batch output', () => {
  it('parses header and rows and undoes the client escapes', () => {
    const rows = parseBatch('Variable_name\tValue\ngtid_executed\tabc:1-5,\\ndef:1-3\nodd\ta\\tb\\\\c\\0\n');
    expect(rows).toEqual([
      { Variable_name: 'gtid_executed', Value: 'abc:1-5,\ndef:1-3' },
      { Variable_name: 'odd', Value: 'a\tb\\c\0' },
    ]);
  });

  it('empty output is no rows (SHOW REPLICA STATUS on an unconfigured server prints nothing)', () => {
    expect(parseBatch('')).toEqual([]);
  });

  it('keeps unknown escapes as they are', () => {
    expect(unescapeBatchValue('a\\qb')).toBe('a\\qb');
  });
});

describe('scrub', () => {
  it('removes a secret in raw and in SQL-quoted form from error text', () => {
    const secret = "pa'ss\\word";
    const message = `ERROR 1064 (42000) at line 2: near '${sqlString(secret).slice(1, -1)}' and ${secret}`;
    const out = scrub(message, [secret]);
    expect(out).not.toContain("pa''ss");
    expect(out).not.toContain(secret);
    expect(out).toContain('********');
  });
});
