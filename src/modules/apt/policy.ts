/**
 * apt's view of candidates. Command: `apt-cache [-t RELEASE] policy NAMES 2>&1`. A name apt knows
 * nothing about prints no block at all; a purely virtual package prints `Candidate: (none)`.
 */
export interface AptPolicyVersion {
  version: string;
  /** The pin priority apt gives this version (500 default, 990 for the default release, ...). */
  priority: number;
  installed: boolean;
  /** Where it comes from: `http://deb.debian.org/debian trixie/main amd64 Packages`, `/var/lib/dpkg/status`. */
  origins: string[];
}

export interface AptPolicy {
  name: string;
  installed: string | null;
  candidate: string | null;
  versions: AptPolicyVersion[];
}

export interface AptPolicyOutput {
  packages: Map<string, AptPolicy>;
  /** `E: ...` lines, e.g. an unknown default release. */
  errors: string[];
}

const none = (value: string): string | null => (value === '(none)' ? null : value);

export function parseAptPolicy(text: string): AptPolicyOutput {
  const packages = new Map<string, AptPolicy>();
  const errors: string[] = [];
  let current: AptPolicy | null = null;
  let version: AptPolicyVersion | null = null;
  for (const line of text.split('\n')) {
    if (/^[EW]: /.test(line)) {
      if (line.startsWith('E: ')) errors.push(line.slice(3));
      continue;
    }
    const header = /^(\S+):$/.exec(line);
    if (header) {
      current = { name: header[1], installed: null, candidate: null, versions: [] };
      version = null;
      packages.set(current.name, current);
      continue;
    }
    if (!current) continue;
    let match: RegExpExecArray | null;
    if ((match = /^ {2}Installed: (.+)$/.exec(line))) current.installed = none(match[1]);
    else if ((match = /^ {2}Candidate: (.+)$/.exec(line))) current.candidate = none(match[1]);
    else if ((match = /^ (\*\*\*| {3}) (\S+) (-?\d+)$/.exec(line))) {
      version = { version: match[2], priority: Number(match[3]), installed: match[1] === '***', origins: [] };
      current.versions.push(version);
    } else if (version && (match = /^ {8}-?\d+ (.+)$/.exec(line))) version.origins.push(match[1]);
  }
  return { packages, errors };
}
