/**
 * Every spelling a secret takes on its way to a host: raw, inside an SQL string literal (`''`,
 * `\\`), inside JSON (`\"`, `\\`), shell-quoted (`'\''`), and inside a mysql --batch cell (`\\`).
 * A leak check that looks for the raw value alone misses a password that went onto a command line
 * (ps shows it SQL-escaped) or into a log as JSON. Any escaping also leaves the secret's longer
 * runs of letters and digits intact: those count as spellings too (tests make them random).
 */
import { sqlString } from '../../../src/modules/mysql/sql.ts';
import { quote } from '../../../src/transport/quote.ts';

export function secretForms(secret: string): string[] {
  const forms = [
    secret,
    sqlString(secret).slice(1, -1),
    JSON.stringify(secret).slice(1, -1),
    JSON.stringify(JSON.stringify(secret)).slice(1, -1),
    quote(secret),
    secret.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n'),
    ...(secret.match(/[A-Za-z0-9]{8,}/g) ?? []),
  ];
  return [...new Set(forms)];
}

/** The secrets' spellings found in `text` (empty when none leaked). */
export function leakedForms(text: string, secrets: readonly string[]): string[] {
  return secrets.flatMap((secret) => secretForms(secret).filter((form) => text.includes(form)));
}
