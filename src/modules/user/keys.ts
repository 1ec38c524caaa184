/**
 * The authorized_keys half of the `user` module: reading and writing `~/.ssh` of an account that
 * owns its home, so can replace anything in it between two of our commands.
 *
 * Every read and write under the home runs AS THE ACCOUNT (setpriv drops root before the first
 * path lookup), not as root with lstat checks first: a check followed by an open is a race the
 * account can win (swap a file for a link to /etc/shadow in between), while a process running as
 * the account can only ever read or change what the account itself may, whatever the paths point
 * to by then. The checks still run, so that a link or a file owned by someone else is refused with
 * a clear message instead of an obscure "Permission denied" (or, for a file the account may read,
 * instead of silently adopting it).
 */
import { TaskError } from '../../errors.ts';
import { raw, sh, type RawShell } from '../../transport/quote.ts';
import { writeScript } from '../../transport/remote-files.ts';
import type { TaskContext } from '../../task/types.ts';

/** Exit status of a key script that refused a path (its reason is on stderr). */
const REFUSED = 96;

/**
 * `script` (bash) run as `account`, with `args` as its $1...: through setpriv when the session is
 * root (no PAM, no login shell: the account's shell may be nologin; numeric ids, as setpriv before
 * util-linux 2.33 requires); as the session user otherwise, which is then the only identity the
 * kernel lets it act with anyway.
 */
export function asAccount(account: string | RawShell, script: string, args: Array<string | RawShell> = []): string {
  return sh`if [ "$EUID" = 0 ]; then __as=(setpriv --reuid="$(id -u -- ${account})" --regid="$(id -g -- ${account})" --init-groups --); else __as=(); fi
"\${__as[@]}" bash -c ${`cd / || exit 1\n${script}`} bash ${args}`;
}

/**
 * Shell lines (run as the account) that refuse `$d` (the .ssh directory) and `$f` (authorized_keys)
 * unless each is absent or a real directory / regular file owned by the account. `refuse PATH WHY`
 * is defined by the caller.
 */
const CHECK_PATHS = `if [ -L "$d" ]; then refuse "$d" 'is a symbolic link'
elif [ -e "$d" ]; then
  [ -d "$d" ] || refuse "$d" 'is not a directory'
  [ -O "$d" ] || refuse "$d" "is owned by $(stat -c %U -- "$d"), not by the account"
  if [ -L "$f" ]; then refuse "$f" 'is a symbolic link'
  elif [ -e "$f" ]; then
    [ -f "$f" ] || refuse "$f" 'is not a regular file'
    [ -O "$f" ] || refuse "$f" "is owned by $(stat -c %U -- "$f"), not by the account"
  fi
fi`;

export const REFUSED_MARKER = 'refused:';

/**
 * Probe lines for the plan (inside the user state command, where `$n` is the account and `$h` its
 * home): `sshdir:` and `keysfile:` attributes, then KEYS_MARKER and the file; or one `refused:WHY:PATH` line.
 */
export function keysProbe(keysMarker: string): string {
  const script = `d=$1/.ssh; f=$d/authorized_keys
refuse() { printf '${REFUSED_MARKER}%s:%s\\n' "$2" "$1"; exit 0; }
${CHECK_PATHS}
[ -d "$d" ] || exit 0
echo "sshdir:$(stat -c '%a|%U|%G' -- "$d")" || exit 1
[ -f "$f" ] || exit 0
echo "keysfile:$(stat -c '%a|%U|%G' -- "$f")" || exit 1
echo ${keysMarker}
cat -- "$f"`;
  return `if [ -n "$h" ]; then ${asAccount(raw('"$n"'), script, [raw('"$h"')])}; fi`;
}

/**
 * Makes `home/.ssh` (0700) and, when `keys` is given, replaces authorized_keys (0600) with it, as
 * the account; with `keys` undefined only fixes the modes. Refuses what the plan would refuse.
 */
export async function writeKeys(ctx: TaskContext, account: string, home: string, keys: string | undefined): Promise<void> {
  const sshDir = `${home}/.ssh`;
  const file = `${sshDir}/authorized_keys`;
  const lines = [
    sh`d=${sshDir}; f=${file}`,
    `refuse() { printf '%s %s\\n' "$1" "$2" >&2; exit ${REFUSED}; }`,
    CHECK_PATHS,
    `if [ -d "$d" ]; then chmod 0700 -- "$d"; else mkdir -m 0700 -- "$d"; fi || exit 1`,
    // The shared atomic writer, without owner or group: the account's own temporary file, renamed
    // over whatever the path holds (a link swapped in meanwhile is replaced, never followed).
    keys !== undefined ? writeScript(file, { mode: '0600' }) : `if [ -f "$f" ]; then chmod 0600 -- "$f" || exit 1; fi`,
  ];
  const result = await ctx.exec(asAccount(account, lines.join('\n')), keys !== undefined ? { stdin: Buffer.from(keys, 'utf8') } : {});
  if (result.exitCode === REFUSED) throw refusal(ctx, account, result.stderr.trim());
  if (result.exitCode !== 0) {
    throw new TaskError(`host ${ctx.host.name}: cannot write the authorized keys of ${account} (as ${account}) in ${sshDir}: ${result.stderr.trim() || `exit ${result.exitCode}`}`, {
      host: ctx.host.name,
      task: ctx.task,
    });
  }
}

/** The error for a path in the account's home that shipshape will not follow or adopt. */
export function refusal(ctx: TaskContext, account: string, what: string): TaskError {
  return new TaskError(
    `host ${ctx.host.name}: task "${ctx.task}": user ${account}: refusing ${what}: shipshape does not follow links nor use files the account does not own in its home (fix or remove it by hand)`,
    { host: ctx.host.name, task: ctx.task },
  );
}
