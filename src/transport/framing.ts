/**
 * The text a persistent `bash --noprofile --norc` session is fed for each command, and the markers
 * it prints back. Pure functions, so the protocol can be read (and tested) in one place.
 *
 * The session's first stdin line is its nonce (launchCommand reads it with a builtin), so the nonce
 * never appears in any argv: not in sudo's command line (readable in `ps` by every local user and
 * logged to auth.log), not in a `bash -c` string. Per command N the session then receives:
 *
 *   IFS= read -r -d '' __ss_c <<'NONCE'       the command text, as a quoted heredoc (no expansion)
 *   <command>
 *   NONCE
 *   [IFS= read -r -N LEN __ss_i               only with stdin: exactly LEN base64 characters follow,
 *   <base64 of stdin>]                         read by a builtin (no fork, cannot over-read)
 *   ( printf 'NONCE S N %d\n' $BASHPID >&2; eval "$__ss_c" ) </dev/null | < <(base64 -d <<<"$__ss_i")
 *   printf 'NONCE E N %d\n' $? ; printf 'NONCE E N\n' >&2
 *
 * Why this shape (measured against bash 5.2 reading a pipe, which it does one byte per read(2)):
 * - `eval` in a subshell: `exit`, `cd`, variables, `set -e`, `exec >...` and syntax errors stay in
 *   the command; the session shell only ever parses the fixed wrapper text.
 * - The session runs with `set -m` (job control), so each command's subshell leads its own process
 *   group; its pid, printed first on stderr, is the group to kill on timeout.
 * - stdin as base64 read with `read -N`: several times faster than the same bytes parsed as a
 *   heredoc, exact length so nothing of the next command is consumed, and NUL-safe. The bytes reach
 *   `base64 -d` through a here-string (a pipe when under 64 KB), never argv, so secrets stay out of `ps`.
 * - The nonce is random per session and never stored in a shell variable, so a command cannot
 *   print it by accident; markers are searched for in raw bytes, so binary output is fine.
 * - Every marker carries the command's sequence number N, checked by the reader: a marker that
 *   is out of step (a command that learnt the nonce and printed one) fails the session loudly
 *   instead of shifting every later result onto the wrong command.
 */
import { randomBytes } from 'node:crypto';

export function newNonce(): string {
  return `ss${randomBytes(12).toString('hex')}`;
}

export interface Markers {
  /** stdout, once per command: END <seq> " " <exit status> "\n"; stderr: END <seq> "\n". */
  end: Buffer;
  /** stderr, at the start of each command: START <seq> " " <pgid> "\n". */
  start: Buffer;
  /** stdout, once when the shell is up: READY "\n". */
  ready: Buffer;
}

export function markers(nonce: string): Markers {
  return {
    end: Buffer.from(`${nonce}E`),
    start: Buffer.from(`${nonce}S`),
    ready: Buffer.from(`${nonce}R\n`),
  };
}

/** Printed on stdout by the launch command right before it reads the nonce line. */
export const AWAITING_NONCE = Buffer.from('shipshape: nonce?\n');

/**
 * The remote command that starts the session, the same text for every session (nothing secret in
 * it): it asks for the nonce on stdin, announces readiness on stdout with it (so a sudo password is
 * only ever sent after sudo prompted for it, never into a shell), then becomes a clean bash.
 * BASH_ENV would make the inner bash source a file and print into the first command's output.
 */
export function launchCommand(): string {
  return `bash --noprofile --norc -c 'unset BASH_ENV; printf "shipshape: nonce?\\n"; IFS= read -r n || exit 1; printf "%sR\\n" "$n"; exec bash --noprofile --norc'`;
}

/** The session's first stdin line: read by the launch command, never seen by a command. */
export function nonceLine(nonce: string): string {
  return `${nonce}\n`;
}

/** Sent once after READY. */
export const SESSION_SETUP = 'set -m\n';

/** The session input for command number `seq`. `command` must not contain NUL (bash strings cannot). */
export function frameCommand(nonce: string, seq: number, command: string, stdin?: Buffer): string {
  let text = `IFS= read -r -d '' __ss_c <<'${nonce}'\n${command}${command.endsWith('\n') ? '' : '\n'}${nonce}\n`;
  let input = '</dev/null';
  if (stdin && stdin.length > 0) {
    const encoded = stdin.toString('base64');
    text += `IFS= read -r -N ${encoded.length} __ss_i\n${encoded}`;
    input = '< <(base64 -d <<<"$__ss_i")';
  }
  text +=
    `( printf '${nonce}S${seq} %d\\n' "$BASHPID" >&2; eval "$__ss_c" ) ${input}; ` +
    `printf '${nonce}E${seq} %d\\n' "$?"; printf '${nonce}E${seq}\\n' >&2; unset __ss_c __ss_i\n`;
  return text;
}

/**
 * Parses the rest of a marker line (after the nonce and kind letter, without the newline):
 * `<seq>` or `<seq> <number>`. Null when the line is not shaped like one.
 */
export function parseMarker(rest: string, withValue: boolean): { seq: number; value?: number } | null {
  const match = withValue ? /^(\d{1,15}) (-?\d{1,15})$/.exec(rest) : /^(\d{1,15})$/.exec(rest);
  if (!match) return null;
  return withValue ? { seq: Number(match[1]), value: Number(match[2]) } : { seq: Number(match[1]) };
}
