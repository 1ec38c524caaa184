/**
 * Parses `-e` values. Accepted forms:
 *   key=value [key2=value2 ...]   value typed as JSON when it parses as JSON (3, true, [1,2]), else a string
 *   db.port=3307                  dotted keys set one nested leaf
 *   '{"key": "value"}'            a JSON object
 *   @vars.json | @vars.yaml       a file holding an object (may be vault-encrypted as a whole)
 * Later values override earlier ones; nested objects merge.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import YAML from 'yaml';
import { ConfigError } from '../errors.ts';
import { decryptValue, isVaultText } from '../secrets/vault.ts';
import { deepMerge, isPlainRecord } from './merge.ts';
import { setOwn } from './own.ts';
import { VAR_NAME_PATTERN } from './schema.ts';

const EXPECTED = 'expected key=value (several separated by spaces), key.sub=value, a JSON object, or @file.json|yaml';

function shown(text: string): string {
  // The value may hold a secret: show only its start.
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

function malformed(text: string, why: string): ConfigError {
  return new ConfigError(`invalid -e ${shown(text)}: ${why}; ${EXPECTED}`, { field: '-e' });
}

function typedValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Splits on whitespace outside single or double quotes; the quotes stay for assignmentObject to read. */
function splitAssignments(text: string): string[] {
  const tokens: string[] = [];
  let token = '';
  let quote: string | null = null;
  for (const char of text) {
    if (quote) {
      if (char === quote) quote = null;
    } else if (char === '"' || char === "'") quote = char;
    else if (/\s/.test(char)) {
      if (token !== '') tokens.push(token);
      token = '';
      continue;
    }
    token += char;
  }
  if (quote) throw malformed(text, 'unclosed quote');
  if (token !== '') tokens.push(token);
  return tokens;
}

/** A value wrapped whole in quotes is that string (`n="2"` is the text 2); otherwise JSON if it parses. */
function assignedValue(text: string): unknown {
  const quoted = /^(["'])([\s\S]*)\1$/.exec(text);
  return quoted ? quoted[2] : typedValue(text);
}

function assignmentObject(token: string, whole: string): Record<string, unknown> {
  const at = token.indexOf('=');
  if (at <= 0) throw malformed(whole, `"${token.slice(0, 40)}" is not key=value`);
  const path = token.slice(0, at).split('.');
  for (const part of path) {
    if (!VAR_NAME_PATTERN.test(part)) throw malformed(whole, `"${token.slice(0, at)}" is not a variable name`);
  }
  let value: unknown = assignedValue(token.slice(at + 1));
  for (const part of path.reverse()) {
    const level: Record<string, unknown> = {};
    setOwn(level, part, value);
    value = level;
  }
  return value as Record<string, unknown>;
}

function checkObject(value: unknown, text: string, what: string): Record<string, unknown> {
  if (!isPlainRecord(value)) throw malformed(text, `${what} must hold an object of variables`);
  for (const key of Object.keys(value)) {
    if (!VAR_NAME_PATTERN.test(key)) throw malformed(text, `"${key}" is not a variable name`);
  }
  return value;
}

/** Parses one `-e` value that is not a file reference. Pure. */
export function parseExtraVarsText(text: string): Record<string, unknown> {
  const trimmed = text.trim();
  if (trimmed === '') throw malformed(text, 'empty value');
  if (trimmed.startsWith('@')) throw malformed(text, 'file references are read by parseExtraVars');
  if (trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (error) {
      throw malformed(text, `not valid JSON (${(error as Error).message})`);
    }
    return checkObject(parsed, text, 'a JSON value');
  }
  return splitAssignments(trimmed).reduce<Record<string, unknown>>((vars, token) => deepMerge(vars, assignmentObject(token, text)), {});
}

export interface ExtraVarsOptions {
  /** Directory `@file` paths resolve against (default: the working directory). */
  cwd?: string;
  /** For `@file` values encrypted with `shipshape vault encrypt`. */
  vaultPassword?: () => Promise<string> | string;
}

async function readVarsFile(reference: string, options: ExtraVarsOptions): Promise<Record<string, unknown>> {
  const path = resolve(options.cwd ?? process.cwd(), reference.slice(1).trim());
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`-e ${reference}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`, {
      file: path,
      cause: error,
    });
  }
  if (isVaultText(text)) {
    if (!options.vaultPassword) throw new ConfigError(`-e ${reference}: ${path} is vault-encrypted and no vault password was given`, { file: path });
    text = await decryptValue(text, await options.vaultPassword(), { file: path });
  }
  let parsed: unknown;
  try {
    // JSON is YAML, so one parser reads both spellings.
    parsed = YAML.parse(text, { maxAliasCount: 100 });
  } catch (error) {
    const line = (error as { linePos?: Array<{ line: number }> }).linePos?.[0]?.line;
    throw new ConfigError(`${path}${line ? `:${line}` : ''}: invalid YAML/JSON in -e ${reference}`, { file: path, cause: error });
  }
  return checkObject(parsed, reference, path);
}

/** Parses every `-e` value in order and merges them (later ones win). */
export async function parseExtraVars(values: readonly string[], options: ExtraVarsOptions = {}): Promise<Record<string, unknown>> {
  let vars: Record<string, unknown> = {};
  for (const value of values) {
    const parsed = value.trim().startsWith('@') ? await readVarsFile(value.trim(), options) : parseExtraVarsText(value);
    vars = deepMerge(vars, parsed);
  }
  return vars;
}
