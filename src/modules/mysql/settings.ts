/**
 * Pure half of `mysql.config`: the conf.d file's text, and how a wanted setting compares with the
 * server's running value from SHOW GLOBAL VARIABLES (option names use dashes or underscores,
 * variables only underscores; booleans print as ON/OFF; sizes may carry K/M/G in option files).
 */
import { sqlString } from './sql.ts';

export type SettingValue = string | number | boolean;
export type Settings = Record<string, SettingValue>;

/** Options that enable/disable the binary log, whose value in an option file is a file basename. */
const LOG_BIN = new Set(['log_bin']);
const LOG_BIN_OFF = new Set(['skip_log_bin', 'disable_log_bin']);

/**
 * Variables that only change at a restart. Used only to word the plan line: apply tries
 * SET GLOBAL for everything and treats MySQL's "read only variable" error as restart-required.
 */
const KNOWN_STATIC = new Set([
  'bind_address', 'mysqlx_bind_address', 'port', 'socket', 'datadir', 'log_bin', 'skip_name_resolve',
  'skip_networking', 'lower_case_table_names', 'innodb_page_size', 'innodb_data_file_path', 'report_host',
  'relay_log', 'log_replica_updates', 'log_slave_updates', 'binlog_gtid_simple_recovery', 'server_uuid',
]);

export function variableName(option: string): string {
  return option.replace(/-/g, '_').toLowerCase();
}

const TRUE_WORDS = new Set(['ON', '1', 'TRUE', 'YES']);
const FALSE_WORDS = new Set(['OFF', '0', 'FALSE', 'NO']);

/** The running variable this option sets and the value it should show. */
export function expectedLive(option: string, value: SettingValue): { variable: string; value: string } {
  const name = variableName(option);
  // A string is the binary log's basename, which enables it.
  if (LOG_BIN.has(name)) return { variable: 'log_bin', value: value === false ? 'OFF' : 'ON' };
  if (LOG_BIN_OFF.has(name)) return { variable: 'log_bin', value: value === false ? 'ON' : 'OFF' };
  if (typeof value === 'boolean') return { variable: name, value: value ? 'ON' : 'OFF' };
  return { variable: name, value: String(value) };
}

const SIZE = /^(\d+)([KMGTP])$/i;
const UNITS: Record<string, number> = { K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40, P: 2 ** 50 };

function sizeToNumber(text: string): string {
  const match = SIZE.exec(text.trim());
  return match ? String(BigInt(match[1]) * BigInt(UNITS[match[2].toUpperCase()])) : text.trim();
}

/** Whether the running value already equals the wanted one. */
export function liveMatches(expected: string, live: string): boolean {
  const upperLive = live.trim().toUpperCase();
  const upperWanted = expected.trim().toUpperCase();
  if (upperLive === 'ON' || upperLive === 'OFF') {
    if (TRUE_WORDS.has(upperWanted)) return upperLive === 'ON';
    if (FALSE_WORDS.has(upperWanted)) return upperLive === 'OFF';
  }
  if (/^\d+$/.test(live.trim())) return sizeToNumber(expected) === live.trim();
  if (live.includes(',') || expected.includes(',')) {
    // Set-valued variables (sql_mode, optimizer_switch order aside) compare as sets.
    const set = (text: string) => text.toUpperCase().split(',').map((s) => s.trim()).filter(Boolean).sort().join(',');
    return set(live) === set(expected);
  }
  return upperLive === upperWanted;
}

export function isKnownStatic(variable: string): boolean {
  return KNOWN_STATIC.has(variable);
}

/** The SQL value for SET GLOBAL: sizes become numbers, ON/OFF words stay keywords, the rest strings. */
function sqlValue(expected: string, live: string): string {
  const trimmed = expected.trim();
  if (/^\d+$/.test(live.trim()) && (/^\d+$/.test(trimmed) || SIZE.test(trimmed))) return sizeToNumber(trimmed);
  const upper = trimmed.toUpperCase();
  if (TRUE_WORDS.has(upper) && (live === 'ON' || live === 'OFF')) return 'ON';
  if (FALSE_WORDS.has(upper) && (live === 'ON' || live === 'OFF')) return 'OFF';
  return sqlString(trimmed);
}

/** Quotes an option-file value when it holds characters the option-file reader would take as syntax. */
function optionValue(text: string): string {
  if (!/[\s#;"'\\]/.test(text) && text !== '') return text;
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

const FILE_HEADER = '# Managed by shipshape (mysql.config): local edits are overwritten on the next run.';

/** The `[mysqld]` conf.d file for these settings, in the order given. */
export function renderConfig(settings: Settings): string {
  const lines = [FILE_HEADER, '[mysqld]'];
  for (const [option, value] of Object.entries(settings)) {
    const name = variableName(option);
    if (LOG_BIN.has(name) && typeof value === 'boolean') {
      // `log_bin = ON` would name the binary log files "ON.000001": true is the bare option.
      lines.push(value ? option : 'disable_log_bin');
    } else if (typeof value === 'boolean') {
      lines.push(`${option} = ${value ? 'ON' : 'OFF'}`);
    } else {
      lines.push(`${option} = ${optionValue(String(value))}`);
    }
  }
  return lines.join('\n') + '\n';
}

export interface LiveDrift {
  option: string;
  variable: string;
  expected: string;
  live: string;
}

/** Settings whose running value differs (options without a variable of that name are file-only). */
export function liveDrift(settings: Settings, live: ReadonlyMap<string, string>): LiveDrift[] {
  const drift: LiveDrift[] = [];
  for (const [option, value] of Object.entries(settings)) {
    const want = expectedLive(option, value);
    const current = live.get(want.variable);
    if (current === undefined || liveMatches(want.value, current)) continue;
    drift.push({ option, variable: want.variable, expected: want.value, live: current });
  }
  return drift;
}

const GTID_MODES = ['OFF', 'OFF_PERMISSIVE', 'ON_PERMISSIVE', 'ON'];

/** MySQL moves gtid_mode one step at a time: OFF → OFF_PERMISSIVE → ON_PERMISSIVE → ON, and back. */
export function gtidModeSteps(from: string, to: string): string[] {
  const a = GTID_MODES.indexOf(from.toUpperCase());
  const b = GTID_MODES.indexOf(to.toUpperCase());
  if (a < 0 || b < 0) return [to];
  const steps: string[] = [];
  for (let i = a; i !== b; ) {
    i += b > a ? 1 : -1;
    steps.push(GTID_MODES[i]);
  }
  return steps;
}

/**
 * SET GLOBAL statements for the drifted settings in a safe order: enforce_gtid_consistency before
 * raising gtid_mode (and after lowering it); read_only before super_read_only when enabling,
 * super_read_only first when disabling (it drags read_only along either way).
 */
export function setGlobalStatements(drift: LiveDrift[]): { variable: string; sql: string }[] {
  const rank = (d: LiveDrift): number => {
    const on = liveMatches('ON', d.expected) || d.expected.toUpperCase().endsWith('PERMISSIVE');
    switch (d.variable) {
      case 'enforce_gtid_consistency':
        return on ? 0 : 3;
      case 'gtid_mode':
        return 2;
      case 'read_only':
        return on ? 1 : 5;
      case 'super_read_only':
        return on ? 5 : 1;
      default:
        return 4;
    }
  };
  const ordered = [...drift].sort((x, y) => rank(x) - rank(y));
  const statements: { variable: string; sql: string }[] = [];
  for (const d of ordered) {
    const values = d.variable === 'gtid_mode' ? gtidModeSteps(d.live, d.expected) : [d.expected];
    for (const value of values) {
      const keyword = d.variable === 'gtid_mode' && GTID_MODES.includes(value.toUpperCase());
      const sql = keyword ? value.toUpperCase() : sqlValue(value, d.live);
      statements.push({ variable: d.variable, sql: `SET GLOBAL ${d.variable} = ${sql};` });
    }
  }
  return statements;
}
