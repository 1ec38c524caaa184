/**
 * Privileges as sets per target, read from `SHOW GRANTS` lines and from the playbook's
 * `'SELECT, INSERT ON app.*'` strings, so both compare in one normalised form. The tokenizer
 * understands backtick identifiers and column lists; role grants (`GRANT r TO u`) and PROXY lines
 * are not managed and are skipped.
 */
import { sqlIdent } from './sql.ts';

export class GrantSyntaxError extends TypeError {}

export interface Target {
  /** '' for tables/databases; PROCEDURE or FUNCTION for routines. */
  objectType: '' | 'PROCEDURE' | 'FUNCTION';
  db: string;
  /** '*' for every table of db (db '*' too for the global level). */
  table: string;
}

export interface GrantSet {
  target: Target;
  /** Canonical privilege names: `SELECT`, `ALL PRIVILEGES`, `SELECT (col)`, `BACKUP_ADMIN`. */
  privileges: Set<string>;
  grantOption: boolean;
}

/** Privileges every MySQL ≥ 5.7 lists for `ALL` at the global level, where SHOW GRANTS expands ALL. */
const GLOBAL_ALL_CORE = [
  'SELECT', 'INSERT', 'UPDATE', 'DELETE', 'CREATE', 'DROP', 'RELOAD', 'SHUTDOWN', 'PROCESS', 'FILE',
  'REFERENCES', 'INDEX', 'ALTER', 'SHOW DATABASES', 'CREATE TEMPORARY TABLES', 'LOCK TABLES', 'EXECUTE',
  'REPLICATION SLAVE', 'REPLICATION CLIENT', 'CREATE VIEW', 'SHOW VIEW', 'CREATE ROUTINE', 'ALTER ROUTINE',
  'CREATE USER', 'EVENT', 'TRIGGER',
];

/** Splits on `sep` outside backticks, quotes and parentheses. */
function splitTopLevel(text: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === quote) {
        if (text[i + 1] === quote) i++;
        else quote = null;
      }
      continue;
    }
    if (ch === '`' || ch === "'" || ch === '"') quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (depth === 0 && text.startsWith(sep, i)) {
      parts.push(text.slice(start, i));
      start = i + sep.length;
      i += sep.length - 1;
    }
  }
  if (quote || depth !== 0) throw new GrantSyntaxError(`unbalanced quotes or parentheses in "${text}"`);
  parts.push(text.slice(start));
  return parts;
}

/** Reads one identifier (`quoted` or bare) from the start; returns it and the rest. */
function readIdent(text: string): [string, string] {
  if (text.startsWith('`')) {
    let out = '';
    for (let i = 1; i < text.length; i++) {
      if (text[i] === '`') {
        if (text[i + 1] === '`') {
          out += '`';
          i++;
          continue;
        }
        return [out, text.slice(i + 1)];
      }
      out += text[i];
    }
    throw new GrantSyntaxError(`unterminated identifier in "${text}"`);
  }
  const match = /^(\*|[A-Za-z0-9_$\u0080-\uffff-]+)/.exec(text);
  if (!match) throw new GrantSyntaxError(`expected a name at "${text}"`);
  return [match[1], text.slice(match[1].length)];
}

function parseTarget(text: string): Target {
  let rest = text.trim();
  let objectType: Target['objectType'] = '';
  const typed = /^(TABLE|PROCEDURE|FUNCTION)\s+/i.exec(rest);
  if (typed) {
    const kind = typed[1].toUpperCase();
    objectType = kind === 'TABLE' ? '' : (kind as Target['objectType']);
    rest = rest.slice(typed[0].length);
  }
  const [first, afterFirst] = readIdent(rest);
  if (!afterFirst.startsWith('.')) {
    if (afterFirst.trim() !== '') throw new GrantSyntaxError(`unexpected "${afterFirst}" in target "${text}"`);
    // `ON *` or `ON tbl` mean the current database: ambiguous for a tool with no current database.
    throw new GrantSyntaxError(`target "${text}" must name the database: db.*, db.table or *.*`);
  }
  const [second, afterSecond] = readIdent(afterFirst.slice(1));
  if (afterSecond.trim() !== '') throw new GrantSyntaxError(`unexpected "${afterSecond}" in target "${text}"`);
  if (first === '*' && second !== '*') throw new GrantSyntaxError(`target "${text}": *.table is not valid`);
  return { objectType, db: first, table: second };
}

function showName(name: string): string {
  return name === '*' || /^[A-Za-z0-9_$]+$/.test(name) ? name : sqlIdent(name);
}

/** The readable and map-key form: `app.*`, `*.*`, `` `we``ird`.t ``, `PROCEDURE db.p`. */
export function targetLabel(t: Target): string {
  return `${t.objectType ? `${t.objectType} ` : ''}${showName(t.db)}.${showName(t.table)}`;
}

/** The SQL form, every name in backticks. */
function targetSql(t: Target): string {
  const part = (name: string) => (name === '*' ? '*' : sqlIdent(name));
  return `${t.objectType ? `${t.objectType} ` : ''}${part(t.db)}.${part(t.table)}`;
}

/** Canonical privilege text; throws on anything that is not a privilege name (no SQL slips through). */
function normalizePrivilege(text: string): string {
  const trimmed = text.trim().replace(/\s+/g, ' ');
  const column = /^([A-Za-z_ ]+?)\s*\((.*)\)$/s.exec(trimmed);
  const name = (column ? column[1] : trimmed).toUpperCase();
  if (!/^[A-Z][A-Z_]*( [A-Z_]+)*$/.test(name)) throw new GrantSyntaxError(`not a privilege name: "${text}"`);
  let canonical = name === 'ALL' ? 'ALL PRIVILEGES' : name;
  // MariaDB's alias; MySQL only knows the old spelling.
  if (canonical === 'REPLICATION REPLICA') canonical = 'REPLICATION SLAVE';
  if (!column) return canonical;
  const columns = splitTopLevel(column[2], ',').map((c) => {
    const [ident, rest] = readIdent(c.trim());
    if (rest.trim() !== '') throw new GrantSyntaxError(`bad column list in "${text}"`);
    return ident;
  });
  return `${canonical} (${columns.map(showName).join(', ')})`;
}

/** Privilege text as SQL (column names in backticks). */
function privilegeSql(privilege: string): string {
  const column = /^([A-Z_ ]+?) \((.*)\)$/s.exec(privilege);
  if (!column) return privilege;
  const columns = splitTopLevel(column[2], ',').map((c) => sqlIdent(readIdent(c.trim())[0]));
  return `${column[1]} (${columns.join(', ')})`;
}

/** Parses `PRIVS ON target [WITH GRANT OPTION]` as written in a playbook. */
export function parseWantedGrant(spec: string): GrantSet {
  let text = spec.trim();
  let grantOption = false;
  const withOption = /\s+WITH\s+GRANT\s+OPTION$/i.exec(text);
  if (withOption) {
    grantOption = true;
    text = text.slice(0, withOption.index);
  }
  const halves = splitTopLevel(text, ' ON ');
  const lower = halves.length === 2 ? halves : splitTopLevel(text, ' on ');
  if (lower.length !== 2) throw new GrantSyntaxError(`expected "PRIVILEGES ON db.table": "${spec}"`);
  const privileges = new Set(splitTopLevel(lower[0], ',').map(normalizePrivilege));
  return { target: parseTarget(lower[1]), privileges, grantOption };
}

/** Parses SHOW GRANTS output lines; skips role and PROXY grants. */
export function parseShowGrants(lines: string[]): GrantSet[] {
  const sets: GrantSet[] = [];
  for (const line of lines) {
    const match = /^GRANT (.+?) ON (.+) TO (.+)$/s.exec(line.trim());
    if (!match) continue; // a role grant: GRANT `r`@`%` TO `u`@`%`
    const head = splitTopLevel(line.trim().slice('GRANT '.length), ' ON ');
    const privText = head[0];
    const afterOn = head.slice(1).join(' ON ');
    const [targetText, accountAndRest] = splitTopLevel(afterOn, ' TO ');
    const privileges = splitTopLevel(privText, ',').map(normalizePrivilege);
    if (privileges.includes('PROXY')) continue;
    sets.push({
      target: parseTarget(targetText),
      privileges: new Set(privileges),
      grantOption: /WITH GRANT OPTION\s*$/.test(accountAndRest ?? ''),
    });
  }
  return merge(sets);
}

/** One GrantSet per target (SHOW GRANTS prints static and dynamic global privileges apart). */
export function merge(sets: GrantSet[]): GrantSet[] {
  const byTarget = new Map<string, GrantSet>();
  for (const set of sets) {
    const key = targetLabel(set.target);
    const existing = byTarget.get(key);
    if (!existing) byTarget.set(key, { target: set.target, privileges: new Set(set.privileges), grantOption: set.grantOption });
    else {
      for (const p of set.privileges) existing.privileges.add(p);
      existing.grantOption ||= set.grantOption;
    }
  }
  return [...byTarget.values()];
}

export type GrantStep =
  | { kind: 'grant'; target: Target; privileges: string[]; grantOption: boolean }
  | { kind: 'revoke'; target: Target; privileges: string[] }
  /** Every privilege at every level (`REVOKE ALL PRIVILEGES, GRANT OPTION FROM u`). */
  | { kind: 'revokeAll' };

const GLOBAL: Target = { objectType: '', db: '*', table: '*' };

function hasAll(set: GrantSet | undefined, target: Target): boolean {
  if (!set) return false;
  if (set.privileges.has('ALL PRIVILEGES')) return true;
  // At the global level MySQL prints ALL as the list of every privilege.
  return target.db === '*' && GLOBAL_ALL_CORE.every((p) => set.privileges.has(p));
}

/**
 * The grants and revokes that turn `current` into exactly `wanted`. Revokes come first so that a
 * narrowed ALL (revoke ALL, grant SELECT) ends in the wanted state.
 */
export function diffGrants(current: GrantSet[], wanted: GrantSet[]): GrantStep[] {
  const key = targetLabel(GLOBAL);
  const haveGlobal = current.find((s) => targetLabel(s.target) === key);
  const wantGlobal = merge(wanted).find((s) => targetLabel(s.target) === key);
  if (hasAll(haveGlobal, GLOBAL) && !wantGlobal?.privileges.has('ALL PRIVILEGES')) {
    // Measured on MySQL 9.7: revoking ALL at *.* also drops the account's database-level grants.
    // So narrowing a global ALL starts from nothing and grants everything wanted again.
    return [{ kind: 'revokeAll' }, ...diffGrants([], wanted)];
  }
  const revokes: GrantStep[] = [];
  const grants: GrantStep[] = [];
  const currentByKey = new Map(current.map((s) => [targetLabel(s.target), s]));
  const wantedByKey = new Map(merge(wanted).map((s) => [targetLabel(s.target), s]));
  for (const [label, want] of wantedByKey) {
    const have = currentByKey.get(label);
    const havePrivs = new Set([...(have?.privileges ?? [])].filter((p) => p !== 'USAGE'));
    const wantPrivs = new Set([...want.privileges].filter((p) => p !== 'USAGE'));
    let missing: string[];
    let extra: string[];
    if (wantPrivs.has('ALL PRIVILEGES')) {
      // ALL covers every privilege the target has; only extra column-level grants make no sense here.
      missing = hasAll(have, want.target) ? [] : ['ALL PRIVILEGES'];
      extra = [];
    } else {
      missing = [...wantPrivs].filter((p) => !havePrivs.has(p));
      extra = [...havePrivs].filter((p) => !wantPrivs.has(p));
    }
    if (have?.grantOption && !want.grantOption) extra.push('GRANT OPTION');
    if (extra.length) revokes.push({ kind: 'revoke', target: want.target, privileges: extra });
    const needOption = want.grantOption && !have?.grantOption;
    if (missing.length || needOption) {
      grants.push({ kind: 'grant', target: want.target, privileges: missing.length ? missing : ['USAGE'], grantOption: want.grantOption });
    }
  }
  for (const [label, have] of currentByKey) {
    if (wantedByKey.has(label)) continue;
    const privs = [...have.privileges].filter((p) => p !== 'USAGE');
    if (have.grantOption) privs.push('GRANT OPTION');
    if (privs.length) revokes.push({ kind: 'revoke', target: have.target, privileges: privs });
  }
  // Global revokes first: they are the ones that may reach into other levels.
  const isGlobal = (step: GrantStep) => step.kind === 'revoke' && targetLabel(step.target) === key;
  return [...revokes.filter(isGlobal), ...revokes.filter((r) => !isGlobal(r)), ...grants];
}

export function grantStepLabel(step: GrantStep, account: string): string {
  if (step.kind === 'revokeAll') return `revoke ALL PRIVILEGES, GRANT OPTION (every level) from ${account}`;
  const privs = step.privileges.join(', ');
  return step.kind === 'grant'
    ? `grant ${privs} ON ${targetLabel(step.target)} to ${account}${step.grantOption ? ' WITH GRANT OPTION' : ''}`
    : `revoke ${privs} ON ${targetLabel(step.target)} from ${account}`;
}

export function grantStepSql(step: GrantStep, accountSql: string): string {
  if (step.kind === 'revokeAll') return `REVOKE ALL PRIVILEGES, GRANT OPTION FROM ${accountSql};`;
  const privs = step.privileges.map(privilegeSql).join(', ');
  return step.kind === 'grant'
    ? `GRANT ${privs} ON ${targetSql(step.target)} TO ${accountSql}${step.grantOption ? ' WITH GRANT OPTION' : ''};`
    : `REVOKE ${privs} ON ${targetSql(step.target)} FROM ${accountSql};`;
}
