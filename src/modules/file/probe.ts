/**
 * Reads everything a file module needs about one path in ONE remote command: type, owner, group,
 * mode, size, sha256, link target, and the content only when it is needed (the caller's hash
 * differs and the file is small enough to diff). A no-op file task costs one round trip and never
 * downloads a file whose hash already matches.
 */
import { CommandError } from '../../errors.ts';
import { raw, sh } from '../../transport/quote.ts';
import type { TaskContext } from '../../task/types.ts';
import { normalizeMode, type CurrentAttributes } from './attributes.ts';

export type PathKind = 'file' | 'directory' | 'link' | 'other';

export type PathState =
  | { kind: 'absent' }
  | (CurrentAttributes & {
      kind: PathKind;
      size: number;
      /** Regular files only. */
      sha256?: string;
      /** Symbolic links only (when not following). */
      linkTarget?: string;
      /** Regular files, when asked for and within the size limit. */
      content?: Buffer;
    });

export type PresentState = Exclude<PathState, { kind: 'absent' }>;

export interface ProbeOptions {
  /** Follow a symbolic link at the path (stat its target). */
  follow?: boolean;
  /**
   * When to read a regular file's content: 'never', 'always', or only when its sha256 differs
   * from `unlessSha256` and it is at most `maxBytes` long.
   */
  content?: 'never' | 'always' | { unlessSha256: string; maxBytes: number };
  /**
   * A command run in the same round trip after the stat (not for absent paths) that prints
   * `key:value` lines; read them back with probeField. Not combinable with content.
   */
  extra?: string;
}

const CONTENT_MARKER = '--content--';

/** Exit status the probe uses when the path exists but cannot be read. */
const UNREADABLE = 3;

export function probeCommand(path: string, options: ProbeOptions = {}): string {
  const stat = options.follow ? raw('stat -L') : raw('stat');
  const content = options.content ?? 'never';
  let readCondition: string;
  if (content === 'never') readCondition = 'false';
  else if (content === 'always') readCondition = 'true';
  else readCondition = sh`[ "$h" != ${content.unlessSha256} ] && [ "\${s##*|}" -le ${content.maxBytes} ]`;
  // A subshell: `exit` must not end the host's persistent session, nor variables leak into it.
  return [
    sh`( p=${path}`,
    sh`if [ ! -e "$p" ] && [ ! -L "$p" ]; then echo state:absent; exit 0; fi`,
    sh`s=$(${stat} -c '%F|%a|%U|%G|%u|%g|%s' -- "$p") || exit ${UNREADABLE}`,
    sh`echo "state:$s"`,
    sh`case "$s" in`,
    sh`'symbolic link|'*) printf 'link:%s\\n' "$(readlink -- "$p")" ;;`,
    sh`'regular file|'*|'regular empty file|'*)`,
    sh`  h=$(sha256sum < "$p") || exit ${UNREADABLE}; h=\${h%% *}; echo "sha256:$h"`,
    sh`  if ${raw(readCondition)}; then echo ${CONTENT_MARKER}; cat -- "$p" || exit ${UNREADABLE}; fi ;;`,
    sh`esac`,
    options.extra ?? '',
    sh`)`,
  ].join('\n');
}

function kindOf(statType: string): PathKind {
  if (statType === 'regular file' || statType === 'regular empty file') return 'file';
  if (statType === 'directory') return 'directory';
  if (statType === 'symbolic link') return 'link';
  return 'other';
}

/** Parses the probe's raw output (bytes: the content may be binary). */
export function parseProbe(output: Buffer): PathState {
  const fields: Record<string, string> = {};
  let content: Buffer | undefined;
  let offset = 0;
  while (offset < output.length) {
    const end = output.indexOf(0x0a, offset);
    const line = output.subarray(offset, end === -1 ? output.length : end).toString('utf8');
    offset = end === -1 ? output.length : end + 1;
    if (line === CONTENT_MARKER) {
      content = output.subarray(offset);
      break;
    }
    const colon = line.indexOf(':');
    if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 1);
  }
  const stat = fields.state;
  if (stat === undefined) throw new Error(`unexpected probe output: ${output.toString('utf8').slice(0, 200)}`);
  if (stat === 'absent') return { kind: 'absent' };
  // type|mode|owner|group[|uid|gid]|size: the size last, where the content check reads it.
  const parts = stat.split('|');
  const [type, mode, owner, group] = parts;
  const size = parts.at(-1);
  const [uid, gid] = parts.length === 7 ? parts.slice(4, 6) : [undefined, undefined];
  return {
    kind: kindOf(type),
    mode: normalizeMode(mode),
    owner,
    group,
    size: Number(size),
    ...(uid !== undefined ? { uid } : {}),
    ...(gid !== undefined ? { gid } : {}),
    ...(fields.sha256 !== undefined ? { sha256: fields.sha256 } : {}),
    ...(fields.link !== undefined ? { linkTarget: fields.link } : {}),
    ...(content !== undefined ? { content: Buffer.from(content) } : {}),
  };
}

/** A `key:value` line printed by ProbeOptions.extra. */
export function probeField(output: Buffer, key: string): string | undefined {
  const line = output.toString('utf8').split('\n').find((l) => l.startsWith(`${key}:`));
  return line?.slice(key.length + 1);
}

/** Runs the probe on the host; returns the state and the raw output (for probeField). */
export async function probePathRaw(ctx: TaskContext, path: string, options: ProbeOptions = {}): Promise<{ state: PathState; output: Buffer }> {
  const result = await ctx.exec(probeCommand(path, options));
  if (result.exitCode !== 0) {
    const reason = result.stderr.trim() || `exit ${result.exitCode}`;
    throw new CommandError(`cannot read ${path}: ${reason}`, result);
  }
  return { state: parseProbe(result.stdoutBytes), output: result.stdoutBytes };
}

/** Runs the probe on the host. */
export async function probePath(ctx: TaskContext, path: string, options: ProbeOptions = {}): Promise<PathState> {
  return (await probePathRaw(ctx, path, options)).state;
}
