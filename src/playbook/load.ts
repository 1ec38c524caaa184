import { existsSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, ShipshapeError } from '../errors.ts';
import { importUserModule, userModuleLoadHint } from '../util/user-module.ts';
import { flattenTasks, unknownNotify, type Playbook } from './define.ts';

/**
 * Imports a TypeScript playbook (tsx is the runtime, so no build step). Module arguments are
 * validated while the file is evaluated; any error is reported against the playbook file.
 */
export async function loadPlaybook(file: string): Promise<{ playbook: Playbook; baseDir: string }> {
  const absolute = path.resolve(file);
  if (!existsSync(absolute)) throw new ConfigError(`${file}: playbook file not found`, { file });
  let exported: unknown;
  try {
    const mod = await importUserModule(absolute);
    exported = mod.default;
  } catch (error) {
    throw playbookLoadError(file, error);
  }
  if (!isPlaybook(exported)) {
    throw new ConfigError(`${file}: the default export must be definePlaybook([...])`, { file });
  }
  checkHandlerNames(file, exported);
  return { playbook: exported, baseDir: path.dirname(absolute) };
}

function isPlaybook(value: unknown): value is Playbook {
  return typeof value === 'object' && value !== null && (value as Playbook).kind === 'playbook';
}

/** For static task lists, a notify naming no handler is caught before any host is contacted. */
function checkHandlerNames(file: string, playbook: Playbook): void {
  for (const play of playbook.plays) {
    if (typeof play.tasks === 'function' || typeof play.handlers === 'function') continue;
    const unknown = unknownNotify(play, flattenTasks(play.tasks), play.handlers ?? {});
    if (unknown) throw new ConfigError(`${file}: ${unknown.message}`, { file, task: unknown.task });
  }
}

/** A compile or evaluation error, as `file:line:col: message`, without a stack trace. */
function playbookLoadError(file: string, error: unknown): ShipshapeError {
  if (error instanceof ShipshapeError) {
    return new ConfigError(`${file}: ${error.message}`, { file, cause: error });
  }
  const hint = userModuleLoadHint(error, file);
  if (hint) return new ConfigError(hint, { file, cause: error });
  const err = error as { message?: string; errors?: Array<{ text: string; location?: { file: string; line: number; column: number } }> };
  // esbuild (through tsx) reports syntax errors with locations.
  if (Array.isArray(err.errors) && err.errors.length > 0) {
    const lines = err.errors.map((e) =>
      e.location ? `${e.location.file}:${e.location.line}:${e.location.column}: ${e.text}` : `${file}: ${e.text}`,
    );
    return new ConfigError(lines.join('\n'), { file, cause: error });
  }
  const message = err.message ?? String(error);
  // tsx's loader throws a TransformError whose first line is only "Transform failed with N
  // error(s):"; esbuild's `path:line:col: ERROR: text` lines follow it.
  const located = [...message.matchAll(/^(.+?:\d+:\d+): ERROR: (.*)$/gm)].map((m) => `${m[1]}: ${m[2]}`);
  if (located.length > 0) return new ConfigError(located.join('\n'), { file, cause: error });
  const where = locateInStack(error, file);
  return new ConfigError(`${where ?? file}: ${firstLine(message)}`, { file, cause: error });
}

function firstLine(text: string): string {
  return text.split('\n').find((line) => line.trim() !== '') ?? text;
}

/** The first stack frame inside the user's file, as `file:line`. */
function locateInStack(error: unknown, file: string): string | undefined {
  const stack = (error as { stack?: string }).stack ?? '';
  const base = path.basename(file);
  for (const line of stack.split('\n')) {
    const match = line.match(/\(?((?:file:\/\/)?[^\s()]+):(\d+):(\d+)\)?$/);
    if (match && match[1].endsWith(base)) return `${file}:${match[2]}`;
  }
  return undefined;
}
