import { splitSections } from '../../facts/sections.ts';
import { sh } from '../../transport/quote.ts';
import type { CommonArgs } from './schema.ts';

/** A guard command as a shell word: strings run as bash scripts, arrays as quoted argv. */
export function guardScript(command: string | string[]): string {
  return Array.isArray(command) ? sh`${command}` : sh`bash -c ${command}`;
}

/**
 * `cd DIR && export K=V ...` for the subshell the command and its guards run in. While planning, a
 * missing directory is reported (an earlier task may create it); when running, it is an error.
 */
export function preamble(args: CommonArgs, missingDir: 'report' | 'fail'): string[] {
  const lines: string[] = [];
  if (args.chdir) {
    lines.push(
      missingDir === 'report'
        ? sh`cd ${args.chdir} 2>/dev/null || { echo @@chdir-missing; exit 0; }`
        : sh`cd ${args.chdir} || exit 1`,
    );
  }
  for (const [key, value] of Object.entries(args.env)) lines.push(sh`export ${`${key}=${value}`}`);
  return lines;
}

export function hasGuards(args: CommonArgs): boolean {
  return args.creates !== undefined || args.removes !== undefined || args.unless !== undefined || args.onlyIf !== undefined;
}

/** All guards in one remote command (a subshell, so cd/export do not leak into the session). */
export function guardsCommand(args: CommonArgs): string {
  const lines = ['(', ...preamble(args, 'report')];
  if (args.creates !== undefined) lines.push(sh`test -e ${args.creates} && echo @@creates-exists`);
  if (args.removes !== undefined) lines.push(sh`test -e ${args.removes} || echo @@removes-missing`);
  if (args.unless !== undefined) lines.push(`if ${guardScript(args.unless)} </dev/null >/dev/null 2>&1; then echo @@unless-ok; fi`);
  if (args.onlyIf !== undefined) lines.push(`if ${guardScript(args.onlyIf)} </dev/null >/dev/null 2>&1; then echo @@onlyif-ok; fi`);
  lines.push('true', ')');
  return lines.join('\n');
}

/** Why the command need not run, or null when it must. */
export function guardVerdict(args: CommonArgs, stdout: string): string | null {
  const sections = splitSections(stdout);
  // A missing working directory may be created by an earlier task; only running can tell.
  if (sections.has('chdir-missing')) return null;
  if (args.creates !== undefined && sections.has('creates-exists')) return `${args.creates} exists`;
  if (args.removes !== undefined && sections.has('removes-missing')) return `${args.removes} does not exist`;
  if (args.unless !== undefined && sections.has('unless-ok')) return '"unless" command succeeded';
  if (args.onlyIf !== undefined && !sections.has('onlyif-ok')) return '"onlyIf" command failed';
  return null;
}
