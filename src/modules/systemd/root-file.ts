/**
 * Reads and writes small root-owned text files (unit files, apt sources and pins) atomically: the
 * content travels on stdin into a temporary file in the target directory, which is renamed over
 * the target, so a failed write leaves the old file. To be replaced by src/transport/remote-files.ts
 * (owner/mode/validate) when it lands.
 */
import { section, splitSections } from '../../facts/sections.ts';
import { sh } from '../../transport/quote.ts';
import type { TaskContext } from '../types.ts';

/** Shell lines printing `@@KEY` then the file's base64 (immune to any content), or `@@KEY-missing`. */
export function readFilesScript(files: Record<string, string>): string[] {
  return Object.entries(files).map(
    ([key, path]) => sh`if test -f ${path}; then echo ${`@@${key}`}; base64 -w0 ${path}; echo; else echo ${`@@${key}-missing`}; fi`,
  );
}

/** The content of each file read by readFilesScript, null when missing. */
export function parseFiles(stdout: string, keys: string[]): Record<string, string | null> {
  const sections = splitSections(stdout);
  const out: Record<string, string | null> = {};
  for (const key of keys) {
    out[key] = sections.has(key) ? Buffer.from(section(sections, key).trim(), 'base64').toString('utf8') : null;
  }
  return out;
}

export function writeFileCommand(path: string, mode = '0644'): string {
  const dir = path.replace(/\/[^/]+$/, '') || '/';
  const base = path.slice(dir.length + 1);
  return sh`tmp=$(mktemp -p ${dir} ${`.${base}.XXXXXX`}) && cat >"$tmp" && chmod ${mode} "$tmp" && chown root:root "$tmp" && mv -f "$tmp" ${path} || { rm -f "$tmp"; false; }`;
}

export async function writeRootFile(ctx: TaskContext, path: string, content: string, mode = '0644'): Promise<void> {
  await ctx.run(writeFileCommand(path, mode), { stdin: content });
}

export async function removeRootFile(ctx: TaskContext, path: string): Promise<void> {
  await ctx.run(sh`rm -f ${path}`);
}
