/**
 * Scrubs secret values from any text before it leaves the process. Values are registered when a
 * Secret is created, so a secret is masked even where it was interpolated into a string.
 */
const secretValues = new Set<string>();
let pattern: RegExp | null = null;

export function registerSecretValue(value: string): void {
  // Very short values would mask ordinary words; nobody should use a 3-character secret anyway.
  if (value.length < 4) return;
  // JSON output (--json, -v) escapes quotes, backslashes and control characters after the value
  // was interpolated: mask that spelling too, or `pa"ss` would print as `pa\"ss`.
  for (const form of [value, JSON.stringify(value).slice(1, -1)]) {
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

/** For tests. */
export function clearSecretValues(): void {
  secretValues.clear();
  pattern = null;
}
