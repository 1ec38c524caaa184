/**
 * Reading and writing files on a host, each in ONE command over the host's session (a file module's
 * plan is one stat or read, its apply one write). File contents travel on stdin, never in argv.
 *
 * Writes are atomic: the content goes to a temporary file in the target directory (same filesystem,
 * so the final `mv` is a rename(2)), created 0600 (umask 077) and owned by the session user, so it
 * is never readable by anyone the final file would not be, and written through its descriptor only. Owner and mode are set before the rename,
 * then the optional validator runs on the temporary file. Any failure (or signal) removes the
 * temporary file through a trap and leaves the old file untouched.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { CommandError } from '../errors.ts';
import { raw, sh } from './quote.ts';
import type { ExecOptions, ExecResult, Executor } from './types.ts';

export type { Executor };

function hostPrefix(conn: Executor): string {
  const host = typeof conn.host === 'string' ? conn.host : conn.host?.name;
  return host ? `host ${host}: ` : '';
}

function hostContext(conn: Executor): { host?: string } {
  const host = typeof conn.host === 'string' ? conn.host : conn.host?.name;
  return host ? { host } : {};
}

export type RemoteFileType = 'file' | 'directory' | 'symlink' | 'other';

export interface RemoteStat {
  exists: boolean;
  type?: RemoteFileType;
  /** Permission bits as 4 octal digits, e.g. "0644" (setuid/setgid/sticky included). */
  mode?: string;
  owner?: string;
  group?: string;
  size?: number;
  /** Regular files only (symlinks are not followed). */
  sha256?: string;
  linkTarget?: string;
}

export interface RemoteContent {
  /** Null when the path does not exist or is not (a link to) a regular file. */
  content: Buffer | null;
  stat: RemoteStat;
}

function withBecome(become: boolean | undefined): ExecOptions {
  // Leave `become` out when not given, so a TaskContext applies the task's own setting.
  return become === undefined ? {} : { become };
}

function fail(conn: Executor, action: string, path: string, result: ExecResult): never {
  const detail = (result.stderr || result.stdout).trim();
  throw new CommandError(`${hostPrefix(conn)}cannot ${action} ${path}: ${detail || `exit status ${result.exitCode}`}`, result, hostContext(conn));
}

// %f raw mode in hex, %a permissions in octal; names fall back to UNKNOWN when unresolvable.
const STAT_FORMAT = '%f %a %U %G %s\\n';

function statScript(path: string, extra: string): string {
  return sh`__p=${path}
if [ ! -e "$__p" ] && [ ! -L "$__p" ]; then echo absent; exit 0; fi
stat --printf ${STAT_FORMAT} -- "$__p" || exit 1
if [ -L "$__p" ]; then readlink -- "$__p" || exit 1; else echo; fi
${raw(extra)}`;
}

function fileType(rawMode: number): RemoteFileType {
  const kind = rawMode & 0o170000;
  if (kind === 0o100000) return 'file';
  if (kind === 0o040000) return 'directory';
  if (kind === 0o120000) return 'symlink';
  return 'other';
}

/** Parses the stat header (two lines); returns the stat and the offset where the rest begins. */
function parseStat(bytes: Buffer): { stat: RemoteStat; rest: number } {
  const first = bytes.indexOf(0x0a);
  const line = bytes.subarray(0, first).toString('utf8');
  if (line === 'absent') return { stat: { exists: false }, rest: first + 1 };
  const second = bytes.indexOf(0x0a, first + 1);
  const [rawHex, perms, owner, group, size] = line.split(' ');
  const type = fileType(Number.parseInt(rawHex, 16));
  const stat: RemoteStat = {
    exists: true,
    type,
    mode: perms.padStart(4, '0'),
    owner,
    group,
    size: Number(size),
  };
  if (type === 'symlink') stat.linkTarget = bytes.subarray(first + 1, second).toString('utf8');
  return { stat, rest: second + 1 };
}

/** stat of `path` (not following a symlink), with the sha256 of a regular file, in one command. */
export async function statRemote(conn: Executor, path: string, become?: boolean, options: { checksum?: boolean } = {}): Promise<RemoteStat> {
  const checksum = options.checksum ?? true;
  const extra = checksum ? 'if [ -f "$__p" ] && [ ! -L "$__p" ]; then sha256sum < "$__p" | cut -c1-64 || exit 1; fi' : '';
  const result = await conn.exec(statScript(path, extra), withBecome(become));
  if (result.exitCode !== 0) fail(conn, 'stat', path, result);
  const { stat, rest } = parseStat(result.stdoutBytes);
  const sum = result.stdoutBytes.subarray(rest).toString('latin1').trim();
  if (sum) stat.sha256 = sum;
  return stat;
}

/** Content (null when absent or not a regular file) and stat of `path`, in one command. */
export async function readRemote(conn: Executor, path: string, become?: boolean): Promise<RemoteContent> {
  const result = await conn.exec(statScript(path, 'if [ -f "$__p" ]; then echo y; cat -- "$__p" || exit 1; else echo n; fi'), withBecome(become));
  if (result.exitCode !== 0) fail(conn, 'read', path, result);
  const { stat, rest } = parseStat(result.stdoutBytes);
  if (!stat.exists) return { content: null, stat };
  const isFile = result.stdoutBytes[rest] === 0x79; // "y"
  const content = isFile ? result.stdoutBytes.subarray(rest + 2) : null;
  if (content && stat.type === 'file') stat.sha256 = createHash('sha256').update(content).digest('hex');
  return { content, stat };
}

export interface WriteOptions {
  /** User name or uid. Without it an existing file keeps its owner (when run as root). */
  owner?: string;
  group?: string;
  /** Octal string ("0640") or number (0o640). Without it an existing file keeps its mode, a new one gets 0666 & ~umask. */
  mode?: string | number;
  become?: boolean;
  /** A command checking the new file before it replaces the old one; `%s` is the temporary file's path. */
  validate?: string;
  /** Keep a copy of the old file as `path.<timestamp>~`. */
  backup?: boolean;
  timeoutMs?: number;
}

export interface WriteResult {
  /** Where the old file was copied, when `backup` was asked and there was an old file. */
  backupPath?: string;
}

/** Exit status the write script uses for a validator failure, to tell it apart from other errors. */
const VALIDATION_FAILED = 97;

function octalMode(mode: string | number): string {
  const text = typeof mode === 'number' ? mode.toString(8) : mode;
  if (!/^[0-7]{3,4}$/.test(text)) throw new TypeError(`invalid file mode ${JSON.stringify(mode)}: expected octal like "0644"`);
  return text.padStart(4, '0');
}

function timestamp(date: Date): string {
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`;
}

/** The remote script for writeRemoteAtomic (exported for tests and for reading). */
export function writeScript(path: string, options: WriteOptions, backupPath?: string): string {
  const dir = posix.dirname(path);
  const template = posix.join(dir, `.${posix.basename(path)}.shipshape-XXXXXX`);
  const lines = [
    sh`__p=${path}`,
    // The name only: the file is created below with O_EXCL (bash's noclobber), so a name planted
    // meanwhile (a link, in a directory another account may write to) fails the write instead of
    // being written through. From then on the content, owner and mode go through the open
    // descriptor (fd 3, and /proc/self/fd/3 for chown and chmod), never through the name, which
    // the directory's owner could swap for a link to /etc/shadow between two of these commands.
    sh`__t=$(mktemp -u -- ${template}) || exit 1`,
    `__u=$(umask); umask 077; set -C; exec 3>"$__t" || exit 1; set +C; umask "$__u"`,
    `trap 'rm -f -- "$__t"' EXIT; trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM`,
    `cat >&3 || exit 1`,
  ];
  if (options.owner !== undefined || options.group !== undefined) {
    const spec = `${options.owner ?? ''}${options.group !== undefined ? `:${options.group}` : ''}`;
    lines.push(sh`chown -- ${spec} /proc/self/fd/3 || exit 1`);
  } else {
    lines.push(`if [ -e "$__p" ] && [ "$EUID" = 0 ]; then chown --reference="$__p" -- /proc/self/fd/3 || exit 1; fi`);
  }
  if (options.mode !== undefined) {
    lines.push(sh`chmod -- ${octalMode(options.mode)} /proc/self/fd/3 || exit 1`);
  } else {
    lines.push(`if [ -e "$__p" ]; then chmod --reference="$__p" -- /proc/self/fd/3; else chmod -- "$(printf '%o' $(( 0666 & ~0$(umask) )))" /proc/self/fd/3; fi || exit 1`);
  }
  lines.push('exec 3>&-');
  if (options.validate !== undefined) {
    // The validator is the playbook's own shell command; only %s is ours to fill in. A subshell,
    // so an `exit` in it ends the validator, not this script (whose trap must still clean up).
    const validate = options.validate.split('%s').join('"$__t"');
    lines.push(`if ! ( ${validate}\n) >&2; then exit ${VALIDATION_FAILED}; fi`);
  }
  if (backupPath !== undefined) lines.push(sh`if [ -e "$__p" ]; then cp -p -- "$__p" ${backupPath} || exit 1; fi`);
  lines.push(`mv -f -T -- "$__t" "$__p" || exit 1`, `trap - EXIT`);
  return lines.join('\n');
}

/** Replaces `path` with `content` atomically (see the file comment). */
export async function writeRemoteAtomic(conn: Executor, path: string, content: string | Buffer, options: WriteOptions = {}): Promise<WriteResult> {
  const backupPath = options.backup ? `${path}.${timestamp(new Date())}~` : undefined;
  const script = writeScript(path, options, backupPath);
  const result = await conn.exec(script, {
    ...withBecome(options.become),
    stdin: typeof content === 'string' ? Buffer.from(content) : content,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  if (result.exitCode === VALIDATION_FAILED) {
    const output = result.stderr.trim();
    throw new CommandError(
      `${hostPrefix(conn)}validation of ${path} failed (${options.validate}); the file was not changed${output ? `: ${output}` : ''}`,
      result,
      hostContext(conn),
    );
  }
  if (result.exitCode !== 0) fail(conn, 'write', path, result);
  return backupPath === undefined ? {} : { backupPath };
}
