/**
 * A file whose wanted content holds a secret is sensitive: its change never carries the before and
 * after text, so no output (text, --diff, plan, --json, -v, a registered result) can print it.
 * Masking is not enough for such files: it knows only this run's values, and the old content on
 * the host may hold an old, still valid password (a rotated one) that no mask would catch.
 */
import { containsSecretValue } from '../secrets/mask.ts';
import type { Change } from './types.ts';

export const SENSITIVE_CONTENT = 'content differs, sensitive';

/** Whether wanted content holds a secret value of this run. */
export function holdsSecret(content: string | Buffer): boolean {
  return containsSecretValue(typeof content === 'string' ? content : content.toString('utf8'));
}

/** The change without its text, saying why. */
export function sensitiveChange(description: string): Change {
  return { description: description.includes(SENSITIVE_CONTENT) ? description : `${description}: ${SENSITIVE_CONTENT}`, sensitive: true };
}

/**
 * Strips the text from every change that is sensitive or whose text holds a secret value (for the
 * modules that build file text themselves: units, repositories, keys, configs). The engine applies
 * it to every plan, so no module can forget it.
 */
export function sealSensitive(changes: Change[]): Change[] {
  return changes.map((change) => {
    if (change.sensitive && !change.diff) return change;
    if (change.sensitive || (change.diff && (holdsSecret(change.diff.after) || holdsSecret(change.diff.before)))) {
      return sensitiveChange(change.description);
    }
    return change;
  });
}
