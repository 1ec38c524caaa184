/**
 * How shipshape runs a command as root through sudo, in one place for the root shell, the run lock
 * and the kill of a timed-out command: with the inventory's become password on stdin (`-S`, with
 * `prompt` as sudo's prompt so that it can be told apart on stderr), else non-interactively (`-n`:
 * fail at once rather than wait for a password no one will type).
 */
import type { ConnectionSettings } from '../inventory/types.ts';
import { revealed } from '../secrets/secret.ts';
import { quote } from './quote.ts';

type BecomeSettings = Pick<ConnectionSettings, 'becomePassword'>;

/**
 * sudo's password prompt (-p) for a root session: the same text for every session, since sudo's
 * argv is world-readable in ps and logged (the session's nonce travels on stdin instead).
 */
export const SUDO_PROMPT = '[shipshape: sudo password]';

export function viaSudo(command: string, settings: BecomeSettings, prompt = ''): string {
  return settings.becomePassword ? `sudo -S -p ${quote(prompt)} -- ${command}` : `sudo -n -- ${command}`;
}

/** What a `viaSudo` command expects on stdin first: the password line, when there is a password. */
export function sudoPasswordLine(settings: BecomeSettings): string | undefined {
  return settings.becomePassword ? `${revealed(settings.becomePassword)}\n` : undefined;
}
