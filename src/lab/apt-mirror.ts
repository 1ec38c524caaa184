/**
 * Which Debian mirror to build the lab image from: the one this machine's apt already uses (it is
 * known to be reachable from here), read from one-line and deb822 sources files.
 * SHIPSHAPE_LAB_MIRROR overrides it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface AptSource {
  uris: string[];
  suites: string[];
  components: string[];
}

export interface DebianMirror {
  /** Main archive, e.g. http://deb.debian.org/debian */
  archive: string;
  /** Security archive, e.g. http://deb.debian.org/debian-security, when this machine uses one. */
  security?: string;
}

export const DEFAULT_MIRROR: DebianMirror = {
  archive: 'http://deb.debian.org/debian',
  security: 'http://deb.debian.org/debian-security',
};

/** Parses `deb [opts] URI SUITE COMPONENT...` lines (deb-src and comments ignored). */
export function parseOneLineSources(text: string): AptSource[] {
  const sources: AptSource[] = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/#.*/, '').trim();
    if (!line.startsWith('deb ') && !line.startsWith('deb\t')) continue;
    const words = line
      .slice(3)
      .replace(/\[[^\]]*\]/, ' ')
      .trim()
      .split(/\s+/);
    const [uri, suite, ...components] = words;
    if (uri && suite) sources.push({ uris: [uri], suites: [suite], components });
  }
  return sources;
}

/** Parses deb822 `.sources` stanzas (Types/URIs/Suites/Components; disabled stanzas skipped). */
export function parseDeb822Sources(text: string): AptSource[] {
  const sources: AptSource[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    let current: string | undefined;
    for (const line of stanza.split('\n')) {
      if (line.startsWith('#')) continue;
      const match = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
      if (match) {
        current = match[1].toLowerCase();
        fields.set(current, match[2]);
      } else if (current && /^\s+\S/.test(line)) {
        fields.set(current, `${fields.get(current)} ${line.trim()}`);
      }
    }
    const words = (name: string) => (fields.get(name) ?? '').split(/\s+/).filter(Boolean);
    if (!words('types').includes('deb')) continue;
    if ((fields.get('enabled') ?? 'yes').toLowerCase() === 'no') continue;
    const uris = words('uris');
    const suites = words('suites');
    if (uris.length && suites.length) sources.push({ uris, suites, components: words('components') });
  }
  return sources;
}

// Suites of Debian's own archive; anything else (nodesource, cloud-sdk, ubuntu) is not a candidate.
const DEBIAN_SUITE = /^(buster|bullseye|bookworm|trixie|forky|duke|sid|stable|testing|unstable|oldstable|oldoldstable)(-updates|-backports|-security)?$/;

/** Picks the Debian archive and security URIs out of parsed sources, falling back to deb.debian.org. */
export function pickDebianMirror(sources: AptSource[]): DebianMirror {
  let archive: string | undefined;
  let security: string | undefined;
  for (const source of sources) {
    if (!source.suites.some((suite) => DEBIAN_SUITE.test(suite))) continue;
    for (const uri of source.uris) {
      const clean = uri.replace(/\/+$/, '');
      const isSecurity = /security/.test(clean) || source.suites.every((suite) => suite.endsWith('-security'));
      if (isSecurity) security ??= clean;
      else archive ??= clean;
    }
  }
  if (!archive) return DEFAULT_MIRROR;
  return security ? { archive, security } : { archive };
}

/** Reads /etc/apt/sources.list and sources.list.d/ of this machine. */
export function readMachineSources(etcApt = '/etc/apt'): AptSource[] {
  const sources: AptSource[] = [];
  const read = (path: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return '';
    }
  };
  sources.push(...parseOneLineSources(read(join(etcApt, 'sources.list'))));
  let names: string[] = [];
  try {
    names = readdirSync(join(etcApt, 'sources.list.d')).sort();
  } catch {
    // no sources.list.d: not a Debian machine, or a minimal one
  }
  for (const name of names) {
    const path = join(etcApt, 'sources.list.d', name);
    if (name.endsWith('.list')) sources.push(...parseOneLineSources(read(path)));
    else if (name.endsWith('.sources')) sources.push(...parseDeb822Sources(read(path)));
  }
  return sources;
}

export function machineDebianMirror(): DebianMirror {
  const override = process.env.SHIPSHAPE_LAB_MIRROR;
  if (override) return { archive: override.replace(/\/+$/, '') };
  return pickDebianMirror(readMachineSources());
}
