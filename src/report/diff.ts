import { createTwoFilesPatch } from 'diff';
import type { Change } from '../task/types.ts';
import { mask } from '../secrets/mask.ts';

/** A unified diff of one file change, secrets masked. */
export function renderDiff(change: Change): string | undefined {
  if (!change.diff) return undefined;
  const { path, before, after } = change.diff;
  const patch = createTwoFilesPatch(`${path} (before)`, `${path} (after)`, mask(before), mask(after), undefined, undefined, {
    context: 3,
  });
  // Drop the "Index:" / "====" preamble; keep ---/+++ and hunks.
  return patch
    .split('\n')
    .filter((line) => !line.startsWith('Index:') && !/^=+$/.test(line))
    .join('\n')
    .trimEnd();
}
