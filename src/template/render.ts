/**
 * EJS rendering for configuration files.
 *
 * - Strict: an undefined variable is an error naming the file, line and variable
 *   (`templates/haproxy.cfg.ejs:12: undefined variable "backendPort"`), never an empty string.
 *   Optional variables: `typeof name !== 'undefined'`, `locals.name`, or `'key' in object`.
 * - No HTML escaping: `<%=` and `<%-` both write the value as it is, because these are config
 *   files, where `&amp;` in a URL is a bug (like Jinja in Ansible, which does not autoescape).
 * - `include('partial.ejs')` resolves relative to the including template.
 * - Secrets render as their plain text; error messages are masked. Whether a rendering read a
 *   Secret is reported (renderTemplateFileReadingSecrets): a file made from one is sensitive.
 *
 * We drive EJS in `client` mode so that we pass our own `include` and `rethrow` to the compiled
 * function: EJS's own rethrow rewrites the message at every include level, ours records the
 * innermost template and line once.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import ejs from 'ejs';
import { ConfigError } from '../errors.ts';
import type { HostView } from '../task/types.ts';
import { mask } from '../secrets/mask.ts';
import { isSecret } from '../secrets/secret.ts';
import { strictLocals, UndefinedVariableError, type SecretRead } from './strict-data.ts';

type CompiledTemplate = (
  locals: Record<string, unknown>,
  escapeFn: (value: unknown) => string,
  include: (file: string, data?: Record<string, unknown>) => string,
  rethrow: (err: unknown, lines: string, filename: string, line: number) => never,
) => string;

/** A failure already located in a template file and line; passes through outer includes untouched. */
class LocatedError extends Error {
  constructor(readonly file: string, readonly line: number, readonly detail: string) {
    super(detail);
  }
}

/** Writes values as they are; a Secret that reached output without the strict view is revealed too. */
function valueWriter(onSecret?: SecretRead): (value: unknown) => string {
  return function writeValue(value: unknown): string {
    if (value === undefined || value === null) return '';
    if (isSecret(value)) {
      onSecret?.();
      return value.reveal();
    }
    return String(value);
  };
}

function describeRuntimeError(err: unknown): string {
  if (err instanceof UndefinedVariableError) return err.message;
  if (err instanceof ReferenceError) {
    const name = /^(\S+) is not defined$/.exec(err.message)?.[1];
    if (name) return `undefined variable "${name}"`;
  }
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

/** Line of the first `<%` that has no closing `%>` (EJS reports the tag but not where it is). */
function unclosedTagLine(text: string): number {
  const opening = /<%(?!%)/g;
  let match: RegExpExecArray | null;
  while ((match = opening.exec(text))) {
    const close = text.indexOf('%>', match.index + 2);
    const nextOpen = text.indexOf('<%', match.index + 2);
    if (close === -1 || (nextOpen !== -1 && nextOpen < close)) return lineAt(text, match.index);
  }
  return 1;
}

function lineAt(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}

/**
 * The template line and message of a JavaScript syntax error in the generated source. `new Function` does not
 * say where the error is; vm.Script does, in the generated source, which EJS marks with
 * `__line = N` before each template line's code.
 */
function locateSyntaxError(generated: string): { line: number; message: string } | undefined {
  try {
    new vm.Script(`(function (locals, escapeFn, include, rethrow) {\n${generated}\n})`, { filename: 'ejs-generated' });
  } catch (err) {
    const stack = String((err as Error).stack ?? '');
    const at = /^ejs-generated:(\d+)/.exec(stack)?.[1];
    if (!at) return undefined;
    const message = (err as Error).message;
    const upTo = generated.split('\n').slice(0, Number(at) - 1);
    for (let i = upTo.length - 1; i >= 0; i--) {
      const marker = /__line = (\d+)/.exec(upTo[i]);
      if (marker) return { line: Number(marker[1]), message };
    }
    return { line: 1, message };
  }
  return undefined;
}

function compile(text: string, file: string): CompiledTemplate {
  const template = new ejs.Template(text, {
    filename: file,
    client: true,
    compileDebug: true,
    strict: false,
    _with: true,
    // Client mode inlines this function's source as a fallback; the writer passed at each call wins.
    escape: valueWriter(),
  });
  try {
    return template.compile() as unknown as CompiledTemplate;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/^Could not find matching close tag/.test(message)) {
      throw new LocatedError(file, unclosedTagLine(text), 'syntax error: "<%" without a closing "%>"');
    }
    if (err instanceof SyntaxError) {
      // An unbalanced brace is only noticed where the parser gives up, so its line is approximate.
      const found = locateSyntaxError(template.source);
      throw new LocatedError(file, found?.line ?? 1, `syntax error: ${found?.message ?? message.split('\n')[0]}`);
    }
    throw new LocatedError(file, 1, message.split('\n')[0]);
  }
}

function readTemplate(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `template not found: ${file}` : `cannot read template ${file}: ${code}`);
  }
}

function renderText(text: string, file: string, data: Record<string, unknown>, onSecret?: SecretRead): string {
  const fn = compile(text, file);
  const include = (partial: string, extra?: Record<string, unknown>): string => {
    const partialFile = path.resolve(path.dirname(file), partial);
    return renderText(readTemplate(partialFile), partialFile, extra ? { ...data, ...extra } : data, onSecret);
  };
  const rethrow = (err: unknown, _lines: string, _filename: string, line: number): never => {
    if (err instanceof LocatedError) throw err;
    throw new LocatedError(file, line, describeRuntimeError(err));
  };
  return fn(strictLocals(data, onSecret), valueWriter(onSecret), include, rethrow);
}

function displayPath(file: string, baseDir: string): string {
  const relative = path.relative(baseDir, file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}

function toConfigError(err: unknown, baseDir: string, fallbackFile: string): ConfigError {
  if (err instanceof LocatedError) {
    const where = displayPath(err.file, baseDir);
    return new ConfigError(mask(`${where}:${err.line}: ${err.detail}`), { file: where });
  }
  const where = displayPath(fallbackFile, baseDir);
  const detail = err instanceof Error ? err.message : String(err);
  return new ConfigError(mask(`${where}: ${detail}`), { file: where });
}

/**
 * Renders the EJS file `templatePath` (relative to `baseDir` unless absolute) with `data`.
 * Every failure is a ConfigError whose message starts with `file:line:`.
 */
export function renderTemplateFile(templatePath: string, data: Record<string, unknown>, baseDir: string): string {
  return renderTemplateFileReadingSecrets(templatePath, data, baseDir).text;
}

/** renderTemplateFile, and whether the rendering read any Secret (in the file or its includes). */
export function renderTemplateFileReadingSecrets(
  templatePath: string,
  data: Record<string, unknown>,
  baseDir: string,
): { text: string; readSecret: boolean } {
  const file = path.resolve(baseDir, templatePath);
  let readSecret = false;
  try {
    const text = renderText(readTemplate(file), file, data, () => (readSecret = true));
    return { text, readSecret };
  } catch (err) {
    throw toConfigError(err, baseDir, file);
  }
}

/** Renders template text given inline; `name` stands for its file in messages and resolves includes. */
export function renderTemplateText(text: string, name: string, data: Record<string, unknown>, baseDir: string): string {
  const file = path.resolve(baseDir, name);
  try {
    return renderText(text, file, data);
  } catch (err) {
    throw toConfigError(err, baseDir, file);
  }
}

/**
 * What a host's template sees: its vars at the top level, then the task's extra vars over them,
 * and `facts`, `host` (its inventory name) and `groups`, which no variable can hide.
 */
export function templateData(host: Pick<HostView, 'name' | 'vars' | 'facts' | 'groups'>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...host.vars, ...extra, facts: host.facts, host: host.name, groups: host.groups };
}
