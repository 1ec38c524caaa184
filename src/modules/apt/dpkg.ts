/**
 * dpkg's view of installed packages. Command: `dpkg-query -W -f=DPKG_QUERY_FORMAT NAMES`
 * (unknown names go to stderr and make it exit 1; the known ones are still printed).
 */
export const DPKG_QUERY_FORMAT = '${binary:Package}\\t${Architecture}\\t${Version}\\t${db:Status-Abbrev}\\n';

export interface DpkgPackage {
  /** Name without any `:arch` qualifier. */
  name: string;
  arch: string;
  version: string;
  /** dpkg's three-letter status, e.g. `ii `, `rc `, `iU `. */
  status: string;
  /** Unpacked and configured: what "installed" means to a user. */
  installed: boolean;
  /** Removed, but its configuration files remain (a purge would remove them). */
  configFilesOnly: boolean;
  /** Selected "hold" (`apt-mark hold`): apt will not change its version unless told to. */
  held: boolean;
}

export function parseDpkgQuery(text: string): DpkgPackage[] {
  const out: DpkgPackage[] = [];
  for (const line of text.split('\n')) {
    const [pkg, arch, version, status] = line.split('\t');
    if (!pkg || status === undefined) continue;
    const current = status[1] ?? 'n';
    out.push({
      name: pkg.replace(/:[^:]+$/, ''),
      arch,
      version,
      status,
      installed: current === 'i',
      configFilesOnly: current === 'c',
      held: status[0] === 'h',
    });
  }
  return out;
}
