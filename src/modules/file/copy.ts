/**
 * file.copy: a file with given content (inline, or a local file relative to the playbook) and
 * attributes. Written atomically, validated before it replaces the old file.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../../errors.ts';
import { Secret } from '../../secrets/secret.ts';
import type { Module, TaskContext } from '../../task/types.ts';
import { absolutePath, attributesShape } from './attributes.ts';
import { applyContent, planContentOnHost, type ContentPlanData, type WantedContent } from './content.ts';

/** `%s` is where the validator gets the new file's path (Ansible's convention). */
export const validateSchema = z.string().refine((cmd) => cmd.includes('%s'), 'validate must contain %s for the file path');

export const copySchema = z
  .object({
    dest: absolutePath,
    /** Inline content; a Secret is written as its plain value. */
    content: z.union([z.string(), z.instanceof(Secret)]).optional(),
    /** A local file, relative to the playbook's directory. */
    src: z.string().min(1).optional(),
    ...attributesShape,
    validate: validateSchema.optional(),
    backup: z.boolean().default(false),
  })
  .strict()
  .refine((args) => (args.content === undefined) !== (args.src === undefined), {
    message: 'give exactly one of content or src',
  });

export type CopyArgs = z.output<typeof copySchema>;

async function localContent(ctx: TaskContext, args: CopyArgs): Promise<Buffer> {
  if (args.content !== undefined) {
    return Buffer.from(typeof args.content === 'string' ? args.content : args.content.reveal(), 'utf8');
  }
  const file = path.resolve(ctx.baseDir, args.src!);
  try {
    return await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(`src ${args.src}: ${code === 'ENOENT' ? 'no such local file' : `cannot read (${code})`} (${file})`, {
      file,
      field: 'src',
    });
  }
}

async function wanted(ctx: TaskContext, args: CopyArgs): Promise<WantedContent> {
  return {
    path: args.dest,
    content: await localContent(ctx, args),
    owner: args.owner,
    group: args.group,
    mode: args.mode,
    validate: args.validate,
    backup: args.backup,
    sensitive: args.content instanceof Secret,
  };
}

export const fileCopyModule: Module<CopyArgs, ContentPlanData, z.input<typeof copySchema>> = {
  name: 'file.copy',
  manages: (args) => [{ key: `file:${args.dest}`, state: `content from ${args.src ?? 'inline content'}` }],
  schema: copySchema,
  describe: (args) => `copy ${args.src ?? 'content'} to ${args.dest}`,
  plan: async (ctx, args) => planContentOnHost(ctx, await wanted(ctx, args)),
  apply: async (ctx, args, plan) => applyContent(ctx, await wanted(ctx, args), plan.data),
};
