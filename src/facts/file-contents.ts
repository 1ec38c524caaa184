/**
 * Small text files (unit files, apt sources and pins) read as part of a batched probe, so a module
 * reads its files and the service state in the same remote command. Content is base64-encoded on
 * the wire, so no byte of it can be mistaken for a section marker.
 */
import { section, splitSections } from './sections.ts';
import { sh } from '../transport/quote.ts';

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
