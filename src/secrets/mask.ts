/**
 * Scrubs secret values from any text before it leaves the process. Values are registered when a
 * Secret is created, so a secret is masked even where it was interpolated into a string.
 *
 * Masking knows only the values of this run: an old value that a host still holds (a rotated
 * password) is unknown here. That is why a file change whose content holds a secret carries no
 * text at all (src/task/sensitive.ts); masking is the second line of defence.
 */
const secretValues = new Set<string>();
let pattern: RegExp | null = null;

const jsonEscaped = (text: string) => JSON.stringify(text).slice(1, -1);
const shellQuoted = (text: string) => text.replace(/'/g, `'\\''`);

export function registerSecretValue(value: string): void {
  // Very short values would mask ordinary words; nobody should use a 3-character secret anyway.
  if (value.length < 4) return;
  // Spellings a value takes on its way out: JSON output (--json, -v) escapes quotes, backslashes
  // and control characters, twice for a value a template had already JSON-encoded; a value
  // interpolated into a quoted shell command has each `'` spelled `'\''`.
  const once = jsonEscaped(value);
  for (const form of [value, once, jsonEscaped(once), shellQuoted(value)]) {
    if (secretValues.has(form)) continue;
    secretValues.add(form);
    pattern = null;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function mask(text: string): string {
  if (secretValues.size === 0) return text;
  if (!pattern) {
    // Longest first, so a secret containing another is masked whole.
    const alternatives = [...secretValues].sort((a, b) => b.length - a.length).map(escapeRegExp);
    pattern = new RegExp(alternatives.join('|'), 'g');
  }
  return text.replace(pattern, '********');
}

/**
 * A copy of a JSON-like value with every string masked. Mask before JSON.stringify: the encoder
 * escapes a value again (`\` becomes `\\`), a spelling the masker would have to guess.
 */
export function maskDeep(value: unknown): unknown {
  if (typeof value === 'string') return mask(value);
  if (Array.isArray(value)) return value.map(maskDeep);
  if (value !== null && typeof value === 'object') {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return value;
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, maskDeep(item)]));
  }
  return value;
}

/** Whether `text` holds a registered secret value, in any of the spellings above. */
export function containsSecretValue(text: string): boolean {
  for (const form of secretValues) if (text.includes(form)) return true;
  return false;
}

/** For tests. */
export function clearSecretValues(): void {
  secretValues.clear();
  pattern = null;
}
