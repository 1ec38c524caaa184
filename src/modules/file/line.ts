/**
 * file.line: one line present in (or absent from) a file, like Ansible's lineinfile.
 *
 * present: with `regexp`, the last line matching it is replaced by `line`; when nothing matches
 * and `line` is not already there, `line` is inserted after the last line matching `insertAfter`
 * (or 'EOF', the default) or before the last line matching `insertBefore` (or 'BOF').
 * absent: every line matching `regexp` (or equal to `line`) is removed.
 */
import { z } from 'zod';
import { TaskError } from '../../errors.ts';
import type { Change, Module, Plan, TaskContext } from '../../task/types.ts';
import { absolutePath, attributesShape } from './attributes.ts';
import { asText, applyContent, planContent, type ContentPlanData, type WantedContent } from './content.ts';
import { validateSchema } from './copy.ts';
import { probePath, type PathState } from './probe.ts';
import { sensitiveChange } from '../../task/sensitive.ts';

const regexSource = z.string().refine((source) => {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}, 'must be a valid regular expression');

export const lineSchema = z
  .object({
    path: absolutePath,
    line: z.string().refine((l) => !l.includes('\n'), 'must be a single line').optional(),
    state: z.enum(['present', 'absent']).default('present'),
    regexp: regexSource.optional(),
    insertAfter: z.union([z.literal('EOF'), regexSource]).optional(),
    insertBefore: z.union([z.literal('BOF'), regexSource]).optional(),
    /** Create the file when it is missing (state present only). */
    create: z.boolean().default(false),
    ...attributesShape,
    validate: validateSchema.optional(),
    backup: z.boolean().default(false),
  })
  .strict()
  .refine((a) => a.state === 'absent' || a.line !== undefined, { message: 'line is required when state is present', path: ['line'] })
  .refine((a) => a.line !== undefined || a.regexp !== undefined, { message: 'give line or regexp', path: ['line'] })
  .refine((a) => !(a.insertAfter && a.insertBefore), { message: 'give insertAfter or insertBefore, not both', path: ['insertBefore'] });

export type LineArgs = z.output<typeof lineSchema>;

function lastIndexMatching(lines: string[], pattern: RegExp): number {
  for (let i = lines.length - 1; i >= 0; i--) if (pattern.test(lines[i])) return i;
  return -1;
}

/** The file's text after the edit (pure; exported for tests). */
export function editText(text: string, args: LineArgs): string {
  const endsWithNewline = text.endsWith('\n');
  const lines = text === '' ? [] : (endsWithNewline ? text.slice(0, -1) : text).split('\n');
  const regexp = args.regexp !== undefined ? new RegExp(args.regexp) : undefined;
  const join = (result: string[]) => (result.length === 0 ? '' : `${result.join('\n')}\n`);
  const unchanged = () => text;

  if (args.state === 'absent') {
    const kept = lines.filter((l) => (regexp ? !regexp.test(l) : l !== args.line));
    return kept.length === lines.length ? unchanged() : join(kept);
  }

  const line = args.line!;
  if (regexp) {
    const at = lastIndexMatching(lines, regexp);
    if (at !== -1) {
      if (lines[at] === line) return unchanged();
      const result = [...lines];
      result[at] = line;
      return join(result);
    }
  }
  if (lines.includes(line)) return unchanged();

  const result = [...lines];
  if (args.insertBefore !== undefined) {
    const at = args.insertBefore === 'BOF' ? 0 : lastIndexMatching(lines, new RegExp(args.insertBefore));
    result.splice(at === -1 ? result.length : at, 0, line);
  } else if (args.insertAfter !== undefined && args.insertAfter !== 'EOF') {
    const at = lastIndexMatching(lines, new RegExp(args.insertAfter));
    result.splice(at === -1 ? result.length : at + 1, 0, line);
  } else {
    result.push(line);
  }
  return join(result);
}

function wantedContent(args: LineArgs, content: string): WantedContent {
  return {
    path: args.path,
    content: Buffer.from(content, 'utf8'),
    owner: args.owner,
    group: args.group,
    mode: args.mode,
    validate: args.validate,
    backup: args.backup,
  };
}

export interface LinePlanData extends ContentPlanData {
  content: string;
}

/** Pure planner: the probed file (with its content) against the wanted line. */
export function planLine(current: PathState, args: LineArgs): Plan<LinePlanData> {
  if (current.kind === 'absent') {
    if (args.state === 'absent') return { changes: [], data: { write: false, attributes: {}, current, content: '' } };
    if (!args.create) throw new TaskError(`${args.path} does not exist (create: true creates it)`);
    const content = editText('', args);
    const plan = planContent(current, wantedContent(args, content));
    return { changes: plan.changes, data: { ...plan.data, content } };
  }
  if (current.kind !== 'file') throw new TaskError(`${args.path} is not a regular file`);
  const before = current.content === undefined ? undefined : asText(current.content);
  if (before === undefined) throw new TaskError(`${args.path} is not a text file`);
  const after = editText(before, args);
  const plan = planContent(current, wantedContent(args, after));
  const changes: Change[] = plan.changes.map((change) => {
    if (change.diff) return { ...change, description: describeEdit(args) };
    if (change.sensitive) return sensitiveChange(describeEdit(args));
    return change;
  });
  return { changes, data: { ...plan.data, content: after } };
}

function describeEdit(args: LineArgs): string {
  if (args.state === 'absent') return `remove line${args.regexp ? `s matching /${args.regexp}/` : ` "${args.line}"`} from ${args.path}`;
  return `${args.regexp ? 'set' : 'add'} line "${args.line}" in ${args.path}`;
}

async function plan(ctx: TaskContext, args: LineArgs): Promise<Plan<LinePlanData>> {
  return planLine(await probePath(ctx, args.path, { content: 'always' }), args);
}

async function apply(ctx: TaskContext, args: LineArgs, planned: Plan<LinePlanData>): Promise<void> {
  await applyContent(ctx, wantedContent(args, planned.data.content), planned.data);
}

export const fileLineModule: Module<LineArgs, LinePlanData, z.input<typeof lineSchema>> = {
  name: 'file.line',
  // Line edits of one file coexist; a whole-content write of the same file undoes them.
  manages: (args) => [{ key: `file:${args.path}`, state: 'line edits' }],
  schema: lineSchema,
  describe: (args) => (args.state === 'absent' ? `line absent in ${args.path}` : `line in ${args.path}`),
  plan,
  apply,
};
