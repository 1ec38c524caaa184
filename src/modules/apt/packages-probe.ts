import { parseAptPolicy, type AptPolicyOutput } from './policy.ts';
import { DPKG_QUERY_FORMAT, parseDpkgQuery, type DpkgPackage } from './dpkg.ts';
import { section, splitSections } from '../../facts/sections.ts';
import { sh } from '../../transport/quote.ts';
import { PRINT_NOW } from '../../transport/shell-snippets.ts';
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

/**
 * Which names apt-cache must be asked about. apt-cache loads its whole cache (about half a second
 * with a few releases configured), so a no-op `present` run skips it: only names dpkg does not
 * report installed (and pinned names, whose installed version must be compared) need a candidate.
 */
export interface PolicyQuery {
  /** Always queried (state latest, version pins). */
  always: string[];
  /** Queried only when dpkg does not report them installed. */
  ifMissing: string[];
}

/**
 * The names of `want` that the dpkg rows in $dpkg do not report installed, appended to $need: bash
 * builtins only (no awk, no subshell), since this runs on every plan of an apt task.
 */
function appendNotInstalled(want: string[]): string {
  return [
    'declare -A ok',
    // Columns: package[:arch], architecture, version, status abbreviation ("ii " = installed).
    `while IFS=$'\\t' read -r p _ _ st; do [ "\${st:1:1}" = i ] && ok[\${p%%:*}]=1; done <<< "$dpkg"`,
    sh`for w in ${want}; do [ -n "\${ok[\${w%%:*}]:-}" ] || need="$need $w"; done`,
  ].join('\n');
}

/** One apt-cache question: which names to ask about, under which default release (`apt-cache -t`). */
export interface PolicyRequest {
  defaultRelease?: string;
  query: PolicyQuery;
}

/** The section a policy request's answer is printed under: `policy`, then `policy-1`, `policy-2`... */
function policySection(index: number): string {
  return index === 0 ? 'policy' : `policy-${index}`;
}

/**
 * The probe for `names` (one dpkg-query for all of them) and one apt-cache answer per policy
 * request, so apt tasks with different default releases still share one command.
 */
export function probeCommand(names: string[], policies: PolicyRequest[] = [{ query: { always: names, ifMissing: [] } }]): string {
  const lines = [
    '(',
    'export LC_ALL=C',
    // bash's own clock and globbing: a busy host pays for every process started.
    `echo @@now; ${PRINT_NOW}`,
    // The newest of apt's success stamp and the lists directory (renamed into on every change).
    sh`echo @@stamp; stat -c %Y ${UPDATE_STAMP} /var/lib/apt/lists 2>/dev/null`,
    'echo @@lists; n=0; for f in /var/lib/apt/lists/*_Packages*; do [ -e "$f" ] && n=$((n + 1)); done; echo $n',
  ];
  if (names.length === 0) {
    lines.push('echo @@dpkg', ...policies.map((_, i) => `echo @@${policySection(i)}`));
  } else {
    lines.push(sh`echo @@dpkg; dpkg=$(dpkg-query -W -f=${DPKG_QUERY_FORMAT} ${names} 2>/dev/null); printf '%s\n' "$dpkg"`);
    policies.forEach(({ defaultRelease, query }, i) => {
      lines.push(query.always.length ? sh`need=${query.always.join(' ')}` : 'need=');
      if (query.ifMissing.length) lines.push(appendNotInstalled(query.ifMissing));
      const release = defaultRelease ? ['-t', defaultRelease] : [];
      // Unquoted on purpose: word splitting turns the list into arguments (names are validated words).
      // stderr joins stdout: apt's `E:` lines (e.g. an unknown default release) are parsed as errors.
      lines.push(`echo @@${policySection(i)}; if [[ $need = *[![:space:]]* ]]; then ${sh`apt-cache ${release} policy`} $need 2>&1; fi`);
    });
  }
  lines.push('echo @@end', ')');
  return lines.join('\n');
}

/** The probe's output, with the answer to its `policy`-th policy request. */
export function parseProbe(stdout: string, policy = 0): AptState {
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
    policy: parseAptPolicy(section(sections, policySection(policy))),
  };
}
