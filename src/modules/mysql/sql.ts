/**
 * SQL quoting for statements shipshape sends to the mysql client on stdin. Every value that comes
 * from a playbook (names, hosts, passwords, setting values) goes through one of these; nothing is
 * concatenated raw.
 *
 * String literals escape both `'` and `\`. That is only correct when the session does not run with
 * NO_BACKSLASH_ESCAPES (then `\\` would stay two characters), so every script starts with
 * SESSION_PRELUDE, which removes that mode for the session and contains no backslash itself.
 */

export class SqlQuoteError extends TypeError {}

/** Resets the one sql_mode flag that would change how our string literals are read. */
export const SESSION_PRELUDE =
  "SET SESSION sql_mode = TRIM(BOTH ',' FROM REPLACE(CONCAT(',', @@SESSION.sql_mode, ','), ',NO_BACKSLASH_ESCAPES,', ','));";

/** A string literal: `'it''s'` style with backslash escapes for `\`, NUL and Ctrl-Z. */
export function sqlString(value: string): string {
  let out = "'";
  for (const ch of value) {
    switch (ch) {
      case "'":
        out += "''";
        break;
      case '\\':
        out += '\\\\';
        break;
      case '\0':
        out += '\\0';
        break;
      case '\x1a':
        // Ctrl-Z ends input on Windows clients; MySQL's own escaping writes \Z for it.
        out += '\\Z';
        break;
      default:
        out += ch;
    }
  }
  return out + "'";
}

/** An identifier in backticks (backticks doubled). MySQL identifiers cannot hold NUL. */
export function sqlIdent(name: string): string {
  if (name === '') throw new SqlQuoteError('an SQL identifier cannot be empty');
  if (name.includes('\0')) throw new SqlQuoteError('an SQL identifier cannot contain NUL');
  return '`' + name.replace(/`/g, '``') + '`';
}

/** An account name: `'user'@'host'`. */
export function sqlAccount(user: string, host: string): string {
  return `${sqlString(user)}@${sqlString(host)}`;
}

/** A number, checked to be a finite integer (ports, server ids). */
export function sqlInt(value: number): string {
  if (!Number.isSafeInteger(value)) throw new SqlQuoteError(`not an integer: ${value}`);
  return String(value);
}

/** The readable account form used in change lines: 'app'@'%'. Never holds a secret. */
export function accountLabel(user: string, host: string): string {
  return `'${user}'@'${host}'`;
}
