/**
 * The text a persistent `bash --noprofile --norc` session is fed for each command, and the markers
 * it prints back. Pure functions, so the protocol can be read (and tested) in one place.
 *
 * Per command the session receives:
 *
 *   IFS= read -r -d '' __ss_c <<'NONCE'       the command text, as a quoted heredoc (no expansion)
 *   <command>
 *   NONCE
 *   [IFS= read -r -N LEN __ss_i               only with stdin: exactly LEN base64 characters follow,
 *   <base64 of stdin>]                         read by a builtin (no fork, cannot over-read)
 *   ( printf 'NONCE S %d\n' $BASHPID >&2; eval "$__ss_c" ) </dev/null | < <(base64 -d <<<"$__ss_i")
 *   printf 'NONCE E %d\n' $? ; printf 'NONCE E\n' >&2
 *
 * Why this shape (measured against bash 5.2 reading a pipe, which it does one byte per read(2)):
 * - `eval` in a subshell: `exit`, `cd`, variables, `set -e`, `exec >...` and syntax errors stay in
 *   the command; the session shell only ever parses the fixed wrapper text.
 * - The session runs with `set -m` (job control), so each command's subshell leads its own process
 *   group; its pid, printed first on stderr, is the group to kill on timeout.
 * - stdin as base64 read with `read -N`: ~55 ms per MB against ~230 ms for the same bytes parsed as a
 *   heredoc, exact length so nothing of the next command is consumed, and NUL-safe. The bytes reach
 *   `base64 -d` through a here-string (a pipe when under 64 KB), never argv, so secrets stay out of `ps`.
 * - The nonce is random per session and never stored in a shell variable, so a command cannot
 *   print it by accident; markers are searched for in raw bytes, so binary output is fine.
 */
import { randomBytes } from 'node:crypto';

export function newNonce(): string {
  return `ss${randomBytes(12).toString('hex')}`;
}

export interface Markers {
  /** stdout, once per command: END <exit status> "\n". */
  end: Buffer;
  /** stderr, at the start of each command: START <pgid> "\n". */
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

/**
 * The remote command that starts the session: announces readiness on stdout (so a sudo password is
 * only ever sent after sudo prompted for it, never into a shell) then becomes a clean bash.
 * BASH_ENV would make the inner bash source a file and print into the first command's output.
 */
export function launchCommand(nonce: string): string {
  return `bash --noprofile --norc -c 'unset BASH_ENV; printf "%sR\\n" ${nonce}; exec bash --noprofile --norc'`;
}

/** Sent once after READY. */
export const SESSION_SETUP = 'set -m\n';

/** The session input for one command. `command` must not contain NUL (bash strings cannot). */
export function frameCommand(nonce: string, command: string, stdin?: Buffer): string {
  let text = `IFS= read -r -d '' __ss_c <<'${nonce}'\n${command}${command.endsWith('\n') ? '' : '\n'}${nonce}\n`;
  let input = '</dev/null';
  if (stdin && stdin.length > 0) {
    const encoded = stdin.toString('base64');
    text += `IFS= read -r -N ${encoded.length} __ss_i\n${encoded}`;
    input = '< <(base64 -d <<<"$__ss_i")';
  }
  text +=
    `( printf '${nonce}S%d\\n' "$BASHPID" >&2; eval "$__ss_c" ) ${input}; ` +
    `printf '${nonce}E%d\\n' "$?"; printf '${nonce}E\\n' >&2; unset __ss_c __ss_i\n`;
  return text;
}
