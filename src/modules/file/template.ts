/**
 * file.template: an EJS template (relative to the playbook's directory) rendered on the controller
 * with the host's vars, facts and name plus the task's extra vars, then handled like file.copy.
 */
import { z } from 'zod';
import { renderTemplateFileReadingSecrets, templateData } from '../../template/render.ts';
import type { Module, TaskContext } from '../../task/types.ts';
import { absolutePath, attributesShape } from './attributes.ts';
import { applyContent, planContentOnHost, type ContentPlanData, type WantedContent } from './content.ts';
import { validateSchema } from './copy.ts';

export const templateSchema = z
  .object({
    src: z.string().min(1),
    dest: absolutePath,
    /** Variables for this template only, over the host's vars. */
    vars: z.record(z.string(), z.unknown()).default({}),
    ...attributesShape,
    validate: validateSchema.optional(),
    backup: z.boolean().default(false),
  })
  .strict();

export type TemplateArgs = z.output<typeof templateSchema>;

function wanted(ctx: TaskContext, args: TemplateArgs): WantedContent {
  const { text, readSecret } = renderTemplateFileReadingSecrets(args.src, templateData(ctx.host, args.vars), ctx.baseDir);
  return {
    path: args.dest,
    content: Buffer.from(text, 'utf8'),
    owner: args.owner,
    group: args.group,
    mode: args.mode,
    validate: args.validate,
    backup: args.backup,
    // A template that read a Secret made a sensitive file, even where the value is not in it as
    // such (encoded, hashed, too short to mask).
    sensitive: readSecret,
  };
}

export const fileTemplateModule: Module<TemplateArgs, ContentPlanData, z.input<typeof templateSchema>> = {
  name: 'file.template',
  manages: (args) => [{ key: `file:${args.dest}`, state: `content from ${args.src}` }],
  schema: templateSchema,
  describe: (args) => `template ${args.src} to ${args.dest}`,
  plan: (ctx, args) => planContentOnHost(ctx, wanted(ctx, args)),
  // Rendered again rather than carried in the plan: rendering is pure and cheap, and the plan data
  // then never holds revealed secrets longer than the write needs them.
  apply: (ctx, args, plan) => applyContent(ctx, wanted(ctx, args), plan.data),
};
