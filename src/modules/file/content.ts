/**
 * The shared half of file.copy and file.template: compare wanted bytes and attributes with a
 * probed path, and write only what differs. Content is compared by sha256; the old content is
 * downloaded only for the diff, and only when the hashes differ.
 */
import { createHash } from 'node:crypto';
import { TaskError } from '../../errors.ts';
import type { Change, Plan, TaskContext } from '../../task/types.ts';
import { attributeChanges, differingAttributes, setAttributesCommand, type Attributes } from './attributes.ts';
import { holdsSecret, sensitiveChange } from '../../task/sensitive.ts';
import { probePath, type PathState, type PresentState } from './probe.ts';
import { writeFile } from './write.ts';

/** Files larger than this are compared by hash only: no diff, no download. */
export const MAX_DIFF_BYTES = 1024 * 1024;

export interface WantedContent extends Attributes {
  path: string;
  content: Buffer;
  /** Command run on the new file before it replaces the old one; `%s` stands for its path. */
  validate?: string;
  /** Keep a timestamped copy of the old file next to it. */
  backup?: boolean;
  /**
   * The content was made from a secret (a template that read one, a Secret as content): no diff,
   * and the old content is never downloaded. Content holding a secret value is sensitive anyway.
   */
  sensitive?: boolean;
}

export interface ContentPlanData {
  /** The content must be (re)written. */
  write: boolean;
  /** Only attributes differ: chown/chmod in place. */
  attributes: Attributes;
  current: PathState;
}

export function sha256(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

/** Text we can diff: valid UTF-8 without NUL bytes. */
export function asText(content: Buffer): string | undefined {
  if (content.includes(0)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(content);
  } catch {
    return undefined;
  }
}

function formatAttributes(wanted: Attributes): string {
  const parts = [
    wanted.owner && `owner ${wanted.owner}`,
    wanted.group && `group ${wanted.group}`,
    wanted.mode && `mode ${wanted.mode}`,
  ].filter(Boolean);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

function isSensitive(wanted: WantedContent): boolean {
  return wanted.sensitive === true || holdsSecret(wanted.content);
}

function creation(wanted: WantedContent, verb: string): Change {
  const text = asText(wanted.content);
  const description = `${verb}${formatAttributes(wanted)}`;
  if (isSensitive(wanted)) return sensitiveChange(description);
  if (text === undefined) return { description: `${description}: binary content, ${wanted.content.length} bytes` };
  return { description, diff: { path: wanted.path, before: '', after: text } };
}

function contentUpdate(current: PresentState, wanted: WantedContent): Change {
  const path = wanted.path;
  // Before the other cases: a size is all they print, but a sensitive file says so whatever its size.
  if (isSensitive(wanted)) return sensitiveChange(`update ${path}`);
  if (current.content === undefined) {
    return {
      description: `update ${path}: content differs (${current.size} → ${wanted.content.length} bytes, too large to diff)`,
    };
  }
  const before = asText(current.content);
  const after = asText(wanted.content);
  if (before === undefined || after === undefined) {
    return { description: `update ${path}: binary content differs (${current.size} → ${wanted.content.length} bytes)` };
  }
  return { description: `update ${path}`, diff: { path, before, after } };
}

/** Pure planner: the probed state of the path against what the task wants. */
export function planContent(current: PathState, wanted: WantedContent): Plan<ContentPlanData> {
  const path = wanted.path;
  switch (current.kind) {
    case 'absent':
      return { changes: [creation(wanted, `create ${path}`)], data: { write: true, attributes: {}, current } };
    case 'link':
      return {
        changes: [creation(wanted, `replace symbolic link ${path} (→ ${current.linkTarget}) with a file`)],
        data: { write: true, attributes: {}, current },
      };
    case 'directory':
      throw new TaskError(`${path} is a directory; a file cannot be written there`);
    case 'other':
      throw new TaskError(`${path} exists and is not a regular file`);
  }
  const changes: Change[] = [];
  const write = current.sha256 !== sha256(wanted.content);
  if (write) changes.push(contentUpdate(current, wanted));
  changes.push(...attributeChanges(current, wanted, path));
  return { changes, data: { write, attributes: differingAttributes(current, wanted), current } };
}

/** Reads the path (one command) and plans. */
export async function planContentOnHost(ctx: TaskContext, wanted: WantedContent): Promise<Plan<ContentPlanData>> {
  // The old content is read only for a diff, which a sensitive file never gets: its old secret
  // stays on the host.
  const current = await probePath(ctx, wanted.path, {
    content: isSensitive(wanted) ? 'never' : { unlessSha256: sha256(wanted.content), maxBytes: MAX_DIFF_BYTES },
  });
  return planContent(current, wanted);
}

/** Makes the planned changes: an atomic write when content differs, else chown/chmod in place. */
export async function applyContent(ctx: TaskContext, wanted: WantedContent, data: ContentPlanData): Promise<void> {
  if (data.write) {
    // A rewrite keeps the attributes the task does not set, rather than resetting them to defaults.
    const kept = data.current.kind === 'file' ? data.current : undefined;
    await writeFile(ctx, wanted.path, wanted.content, {
      // The numeric ids: a uid without a name reads as UNKNOWN, which chown would refuse.
      owner: wanted.owner ?? kept?.uid ?? kept?.owner,
      group: wanted.group ?? kept?.gid ?? kept?.group,
      mode: wanted.mode ?? kept?.mode,
      validate: wanted.validate,
      backup: wanted.backup,
    });
    return;
  }
  const command = setAttributesCommand(wanted.path, data.attributes, { follow: false });
  if (command !== '') await ctx.run(command);
}
