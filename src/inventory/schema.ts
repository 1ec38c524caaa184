/**
 * The one schema every inventory spelling (TypeScript, JSON, YAML, Ansible INI) is validated with.
 * Objects are strict: a misspelt key (`adress`, `chidren`) is an error, never silently ignored.
 * Secret references have already been normalized to SecretRef (see secrets/refs.ts).
 */
import { z } from 'zod';
import { SecretRef } from '../secrets/refs.ts';
import { Secret } from '../secrets/secret.ts';

/** Host and group names: what Ansible accepts in practice, minus what breaks patterns (`:`, `,`, `!`, `&`, globs). */
export const NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
/** Variable names: identifiers, so templates can use them as `vars.name`. */
export const VAR_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Ansible's implicit groups: every host is in `all`; hosts in no other group are in `ungrouped`. */
export const RESERVED_GROUPS = ['all', 'ungrouped'] as const;

const NAME_RULE = (what: string) => `invalid ${what} name: use letters, digits, '_', '.', '-' (not starting with '.' or '-')`;

const varName = z.string().regex(VAR_NAME_PATTERN, 'invalid variable name: use letters, digits and _, not starting with a digit');

const vars = z.record(varName, z.unknown());

const secretText = z.union([z.string().min(1), z.instanceof(Secret), z.instanceof(SecretRef)], {
  error: 'expected a string, secret.env(NAME) / { "$env": NAME }, or a vault value',
});

const connectionFields = {
  port: z.number().int().min(1).max(65535).optional(),
  user: z.string().min(1).optional(),
  privateKey: z.string().min(1).optional(),
  /** For an encrypted private key (without it, such a key is left to ssh-agent). */
  privateKeyPassphrase: secretText.optional(),
  password: secretText.optional(),
  become: z.boolean().optional(),
  becomePassword: secretText.optional(),
  proxyJump: z.string().min(1).optional(),
  connectTimeout: z.number().positive().max(3600).optional(),
};

/** Connection settings alone: checks Ansible connection variables found in group or extra vars. */
export const connectionSchema = z.strictObject(connectionFields);

export const hostSchema = z.strictObject({
  address: z.string().min(1),
  ...connectionFields,
  vars: vars.optional(),
});

export const groupSchema = z.strictObject({
  hosts: z.array(z.string()).optional(),
  children: z.array(z.string()).optional(),
  vars: vars.optional(),
});

export const defaultsSchema = z.strictObject({
  ...connectionFields,
  knownHosts: z.string().min(1).optional(),
});

export type ValidInventoryInput = z.infer<typeof inventorySchema>;

/** Finds child-group cycles; returns each as the list of names around it. */
function findCycles(groups: Record<string, { children?: string[] }>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (group: string): void => {
    if (state.get(group) === 'done') return;
    if (state.get(group) === 'visiting') {
      cycles.push([...stack.slice(stack.indexOf(group)), group]);
      return;
    }
    state.set(group, 'visiting');
    stack.push(group);
    for (const child of groups[group]?.children ?? []) if (child in groups) visit(child);
    stack.pop();
    state.set(group, 'done');
  };
  for (const group of Object.keys(groups)) visit(group);
  return cycles;
}

export const inventorySchema = z
  .strictObject({
    // Names are checked in the refinement below: an invalid record key would stop zod from reporting the rest.
    hosts: z.record(z.string(), hostSchema),
    groups: z.record(z.string(), groupSchema).optional(),
    vars: vars.optional(),
    defaults: defaultsSchema.optional(),
  })
  .superRefine((inventory, ctx) => {
    const hosts = inventory.hosts;
    const groups = inventory.groups ?? {};
    for (const [kind, names] of [['host', Object.keys(hosts)], ['group', Object.keys(groups)]] as const) {
      for (const entry of names) {
        if (entry.length > 253 || !NAME_PATTERN.test(entry)) {
          ctx.addIssue({ code: 'custom', path: [`${kind}s`, entry], message: NAME_RULE(kind) });
        }
      }
    }
    for (const [group, spec] of Object.entries(groups)) {
      if ((RESERVED_GROUPS as readonly string[]).includes(group)) {
        ctx.addIssue({
          code: 'custom',
          path: ['groups', group],
          message: `"${group}" is an implicit group: put variables for every host in the top-level vars`,
        });
      }
      if (Object.hasOwn(hosts, group)) {
        ctx.addIssue({ code: 'custom', path: ['groups', group], message: `group "${group}" has the same name as a host` });
      }
      spec.hosts?.forEach((host, index) => {
        if (!Object.hasOwn(hosts, host)) ctx.addIssue({ code: 'custom', path: ['groups', group, 'hosts', index], message: `unknown host "${host}"` });
      });
      spec.children?.forEach((child, index) => {
        if (!Object.hasOwn(groups, child)) {
          ctx.addIssue({ code: 'custom', path: ['groups', group, 'children', index], message: `unknown group "${child}"` });
        }
      });
    }
    for (const cycle of findCycles(groups)) {
      ctx.addIssue({ code: 'custom', path: ['groups', cycle[0], 'children'], message: `child groups form a cycle: ${cycle.join(' → ')}` });
    }
  });
