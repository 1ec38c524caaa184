import { raw, sh } from '../../transport/quote.ts';

/** Where a release keeps its own records (left out of its tree listing). */
export const MANIFEST = '.shipshape-manifest';
export const TREE = '.shipshape-tree';

export interface ReleaseState {
  /** Target of `current`, relative (`releases/<id>`), or null. */
  current: string | null;
  /** Release ids, oldest first. */
  releases: string[];
  releaseExists: boolean;
  /** Files of the wanted release whose content differs from its manifest. */
  modified: string[];
  /** Tree lines (`type mode owner:group path`) recorded at deploy but no longer on the host. */
  gone: string[];
  /** Tree lines on the host that the record does not have (new files, other modes or owners). */
  extra: string[];
  /** The release has no tree record (made by an older shipshape): its files cannot be checked. */
  untracked: boolean;
}

/**
 * Every entry of a release (its own records aside), one line each, sorted: type, mode,
 * owner:group, path. Written at deploy once the release is complete (after `install`), compared at
 * plan: a file added, removed, chmod'ed or chown'ed by hand shows up as a differing line.
 */
export function treeListingCommand(dir: string): string {
  return sh`(cd ${dir} && find . -mindepth 1 ! -path ${`./${MANIFEST}`} ! -path ${`./${TREE}`} -printf '%y %m %u:%g %P\n' | LC_ALL=C sort)`;
}

/** Lines of tree drift the plan reads at most (the description names the first few). */
const MAX_TREE_LINES = 200;

/**
 * One command: current link, releases by age, and, for the wanted release, a checksum pass and its
 * tree against the record. Pure reads: plan (and --check) creates nothing, not even `dest`.
 */
export function releaseStateCommand(dest: string, id: string): string {
  const release = `${dest}/releases/${id}`;
  return sh`echo "current=$(readlink ${`${dest}/current`} 2>/dev/null)"
for d in $(ls -1tr ${`${dest}/releases`} 2>/dev/null); do case "$d" in *.partial|*.old) ;; *) echo "release=$d";; esac; done
if [ -f ${`${release}/${MANIFEST}`} ]; then
  echo exists=1
  (cd ${release} && sha256sum -c --quiet ${MANIFEST} 2>/dev/null | sed -n 's/: FAILED.*$//p; s/: No such file.*$//p' | sed 's/^/modified=/')
  if [ -f ${`${release}/${TREE}`} ]; then
    ${raw(treeListingCommand(release))} | diff -- ${`${release}/${TREE}`} - | sed -n 's/^< /gone=/p; s/^> /extra=/p' | head -n ${MAX_TREE_LINES}
  else
    echo untracked=1
  fi
fi
true`;
}

export function parseReleaseState(stdout: string): ReleaseState {
  const state: ReleaseState = { current: null, releases: [], releaseExists: false, modified: [], gone: [], extra: [], untracked: false };
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    if (key === 'current') state.current = value === '' ? null : value.replace(/\/$/, '');
    else if (key === 'release') state.releases.push(value);
    else if (key === 'exists') state.releaseExists = true;
    else if (key === 'modified') state.modified.push(value.replace(/^\.\//, ''));
    else if (key === 'gone') state.gone.push(value);
    else if (key === 'extra') state.extra.push(value);
    else if (key === 'untracked') state.untracked = true;
  }
  return state;
}

interface TreeEntry {
  type: string;
  mode: string;
  owner: string;
  path: string;
}

function parseTreeLine(line: string): TreeEntry | undefined {
  const m = /^(\S) (\d+) (\S+) (.+)$/.exec(line);
  return m ? { type: m[1], mode: m[2], owner: m[3], path: m[4] } : undefined;
}

/**
 * The tree drift in words: "extra file x", "missing lib/y", "mode of app.sh 755 → 644",
 * "owner of a root:root → app:app". Extra entries the task excludes (e.g. a runtime cache) are
 * left alone, as rsync --delete leaves excluded files.
 */
export function describeTreeDrift(state: ReleaseState, excluded: (path: string) => boolean): string[] {
  const gone = new Map<string, TreeEntry>();
  for (const line of state.gone) {
    const entry = parseTreeLine(line);
    if (entry) gone.set(entry.path, entry);
  }
  const words: string[] = [];
  for (const line of state.extra) {
    const entry = parseTreeLine(line);
    if (!entry) continue;
    const before = gone.get(entry.path);
    gone.delete(entry.path);
    if (!before) {
      if (!excluded(entry.path)) words.push(`extra ${entry.type === 'd' ? 'directory' : 'file'} ${entry.path}`);
    } else if (before.type !== entry.type) {
      words.push(`${entry.path} replaced`);
    } else {
      if (before.mode !== entry.mode) words.push(`mode of ${entry.path} ${before.mode} → ${entry.mode}`);
      if (before.owner !== entry.owner) words.push(`owner of ${entry.path} ${before.owner} → ${entry.owner}`);
    }
  }
  for (const entry of gone.values()) words.push(`missing ${entry.path}`);
  return words;
}
