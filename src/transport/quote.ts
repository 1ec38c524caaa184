/**
 * Shell quoting. Every value interpolated into a remote command goes through `sh`, like zx:
 * strings and numbers are single-quoted, arrays become space-separated quoted words, and only
 * values wrapped in `raw()` are inserted as they are (for operators and fixed fragments).
 */
export class RawShell {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** Marks a fragment as already-safe shell text. Never pass user input to it. */
export function raw(text: string): RawShell {
  return new RawShell(text);
}

const SAFE_WORD = /^[A-Za-z0-9_\-+=/.,:@%^]+$/;

/** Quotes one word for a POSIX shell. */
export function quote(value: string | number): string {
  const text = String(value);
  if (text !== '' && SAFE_WORD.test(text)) return text;
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function render(value: unknown): string {
  if (value instanceof RawShell) return value.text;
  if (Array.isArray(value)) return value.map(render).join(' ');
  if (typeof value === 'string' || typeof value === 'number') return quote(value);
  if (typeof value === 'boolean') return quote(String(value));
  throw new TypeError(`cannot interpolate ${value === null ? 'null' : typeof value} into a shell command`);
}

/** Tagged template building a shell command with every interpolated value quoted. */
export function sh(strings: TemplateStringsArray, ...values: unknown[]): string {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return out;
}
