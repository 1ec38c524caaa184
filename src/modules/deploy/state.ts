import { sh } from '../../transport/quote.ts';

export interface ReleaseState {
  /** Target of `current`, relative (`releases/<id>`), or null. */
  current: string | null;
  /** Release ids, oldest first. */
  releases: string[];
  releaseExists: boolean;
  /** Files of the wanted release whose content differs from its manifest. */
  modified: string[];
}

/** One command: current link, releases by age, and a checksum pass over the wanted release. */
export function releaseStateCommand(dest: string, id: string, manifest: string): string {
  const release = `${dest}/releases/${id}`;
  return sh`mkdir -p ${`${dest}/releases`} || exit 1
echo "current=$(readlink ${`${dest}/current`} 2>/dev/null)"
for d in $(ls -1tr ${`${dest}/releases`} 2>/dev/null); do case "$d" in *.partial|*.old) ;; *) echo "release=$d";; esac; done
if [ -f ${`${release}/${manifest}`} ]; then
  echo exists=1
  (cd ${release} && sha256sum -c --quiet ${manifest} 2>/dev/null | sed -n 's/: FAILED.*$//p; s/: No such file.*$//p' | sed 's/^/modified=/')
fi
true`;
}

export function parseReleaseState(stdout: string): ReleaseState {
  const state: ReleaseState = { current: null, releases: [], releaseExists: false, modified: [] };
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    if (key === 'current') state.current = value === '' ? null : value.replace(/\/$/, '');
    else if (key === 'release') state.releases.push(value);
    else if (key === 'exists') state.releaseExists = true;
    else if (key === 'modified') state.modified.push(value.replace(/^\.\//, ''));
  }
  return state;
}
