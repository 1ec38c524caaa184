/** The arguments of `user`. */
import { z } from 'zod';
import { revealed, Secret } from '../../secrets/secret.ts';
import { accountName } from '../group/group.ts';

export const userSchema = z
  .object({
    name: accountName,
    state: z.enum(['present', 'absent']).default('present'),
    uid: z.number().int().min(0).optional(),
    /** Primary group (must exist). */
    group: accountName.optional(),
    /** Supplementary groups (must exist). */
    groups: z.array(accountName).optional(),
    /** Add to `groups` and keep other memberships, rather than making `groups` the exact list. */
    append: z.boolean().default(false),
    shell: z.string().regex(/^\//, 'must be an absolute path').optional(),
    home: z.string().regex(/^\//, 'must be an absolute path').optional(),
    createHome: z.boolean().default(true),
    /** A system account (uid from the system range, no aging) when created. */
    system: z.boolean().default(false),
    comment: z.string().refine((c) => !/[:\n]/.test(c), 'must not contain ":" or a newline').optional(),
    /** A crypt(3) hash (`$6$...`, `$y$...`), never a plain password. Travels on stdin. */
    password: z.union([z.string(), z.instanceof(Secret)]).optional(),
    authorizedKeys: z.array(z.string().refine((k) => !k.includes('\n'), 'one key per entry')).optional(),
    /** Remove every key not listed (otherwise listed keys are added and others kept). */
    exclusiveKeys: z.boolean().default(false),
    /** With state absent: remove the home directory and mail spool too. */
    removeHome: z.boolean().default(false),
  })
  .strict()
  .refine((a) => !(a.password && /^[^$!*]/.test(revealed(a.password))), {
    message: 'password must be a crypt hash (e.g. from `openssl passwd -6`), not a plain password',
    path: ['password'],
  });

export type UserArgs = z.output<typeof userSchema>;
