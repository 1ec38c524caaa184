/**
 * Parser for the mysql client's `--batch` output: tab-separated, one header line per result set,
 * and (without --raw) tab, newline, backslash and NUL inside values escaped as \t \n \\ \0. We
 * keep those escapes on purpose: a value such as Executed_Gtid_Set spans lines, and only the
 * escaped form keeps one row on one line.
 */

export type Row = Record<string, string>;

const UNESCAPES: Record<string, string> = { t: '\t', n: '\n', '\\': '\\', '0': '\0', r: '\r', b: '\b', Z: '\x1a' };

export function unescapeBatchValue(text: string): string {
  return text.replace(/\\(.)/gs, (whole, ch: string) => UNESCAPES[ch] ?? whole);
}

/** Rows of one result set printed with column names (the default of --batch). */
export function parseBatch(stdout: string): Row[] {
  const lines = stdout.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines.length === 0) return [];
  const header = lines[0].split('\t').map(unescapeBatchValue);
  return lines.slice(1).map((line) => {
    const cells = line.split('\t');
    const row: Row = {};
    header.forEach((name, i) => {
      row[name] = unescapeBatchValue(cells[i] ?? '');
    });
    return row;
  });
}
