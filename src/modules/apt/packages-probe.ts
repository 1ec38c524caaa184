import { parseAptPolicy, type AptPolicyOutput } from '../../facts/apt-policy.ts';
import { DPKG_QUERY_FORMAT, parseDpkgQuery, type DpkgPackage } from '../../facts/dpkg.ts';
import { section, splitSections } from '../../facts/sections.ts';
import { sh } from '../../transport/quote.ts';
import { UPDATE_STAMP } from './apt-get.ts';

/** Everything apt.packages plans from, read in one remote command. */
export interface AptState {
  /** Seconds since the lists were last refreshed; null when it cannot be told. */
  listsAgeSeconds: number | null;
  /** Whether apt has any package lists at all (a freshly cleaned image has none). */
  hasLists: boolean;
  dpkg: DpkgPackage[];
  policy: AptPolicyOutput;
}

export function probeCommand(names: string[], defaultRelease?: string): string {
  const release = defaultRelease ? ['-t', defaultRelease] : [];
  return [
    '(',
    'export LC_ALL=C',
    'echo @@now; date +%s',
    // The newest of apt's success stamp and the lists directory (renamed into on every change).
    sh`echo @@stamp; stat -c %Y ${UPDATE_STAMP} /var/lib/apt/lists 2>/dev/null`,
    "echo @@lists; ls /var/lib/apt/lists | grep -c '_Packages' || true",
    names.length ? sh`echo @@dpkg; dpkg-query -W -f=${DPKG_QUERY_FORMAT} ${names} 2>/dev/null` : 'echo @@dpkg',
    // stderr joins stdout: apt's `E:` lines (e.g. an unknown default release) are parsed as errors.
    names.length ? sh`echo @@policy; apt-cache ${release} policy ${names} 2>&1` : 'echo @@policy',
    'echo @@end',
    ')',
  ].join('\n');
}

export function parseProbe(stdout: string): AptState {
  const sections = splitSections(stdout);
  const now = Number(section(sections, 'now'));
  const stamps = section(sections, 'stamp')
    .split('\n')
    .map(Number)
    .filter((n) => Number.isFinite(n) && n > 0);
  return {
    listsAgeSeconds: stamps.length && now ? Math.max(0, now - Math.max(...stamps)) : null,
    hasLists: Number(section(sections, 'lists')) > 0,
    dpkg: parseDpkgQuery(section(sections, 'dpkg')),
    policy: parseAptPolicy(section(sections, 'policy')),
  };
}
