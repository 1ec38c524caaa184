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

/** A password or passphrase: in a JSON or YAML file a string, `{ "$env": NAME }` or `{ "$vault": ... }` (see json-schema.ts). */
export const secretText = z.union([z.string().min(1), z.instanceof(Secret), z.instanceof(SecretRef)], {
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
  /**
   * `local`: run on the controller itself (a bash child process, sudo for become) instead of over SSH;
   * `docker`: run in the container named by `address` through `docker exec` (become: `--user root`).
   */
  connection: z.enum(['ssh', 'local', 'docker']).optional(),
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
export function findCycles(groups: Record<string, { children?: string[] }>): string[][] {
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

type Issue = { path: PropertyKey[]; message: string };

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/**
 * Names and references between hosts and groups. Reads the input defensively, so these problems are
 * reported together with type errors elsewhere in the file (zod skips refinements on invalid data).
 */
export function inventoryReferenceIssues(input: unknown): Issue[] {
  const issues: Issue[] = [];
  const hosts = asRecord(asRecord(input).hosts);
  const rawGroups = asRecord(input).groups;
  const groups: Record<string, { hosts?: unknown; children?: unknown }> = {};
  for (const [name, spec] of Object.entries(asRecord(rawGroups))) groups[name] = asRecord(spec);
  const strings = (list: unknown): Array<[string, number]> =>
    Array.isArray(list) ? list.flatMap((item, index): Array<[string, number]> => (typeof item === 'string' ? [[item, index]] : [])) : [];
  for (const [kind, names] of [['host', Object.keys(hosts)], ['group', Object.keys(groups)]] as const) {
    for (const entry of names) {
      if (entry.length > 253 || !NAME_PATTERN.test(entry)) issues.push({ path: [`${kind}s`, entry], message: NAME_RULE(kind) });
    }
  }
  for (const [group, spec] of Object.entries(groups)) {
    if ((RESERVED_GROUPS as readonly string[]).includes(group)) {
      issues.push({ path: ['groups', group], message: `"${group}" is an implicit group: put variables for every host in the top-level vars` });
    }
    if (Object.hasOwn(hosts, group)) issues.push({ path: ['groups', group], message: `group "${group}" has the same name as a host` });
    for (const [host, index] of strings(spec.hosts)) {
      if (!Object.hasOwn(hosts, host)) issues.push({ path: ['groups', group, 'hosts', index], message: `unknown host "${host}"` });
    }
    for (const [child, index] of strings(spec.children)) {
      if (!Object.hasOwn(groups, child)) issues.push({ path: ['groups', group, 'children', index], message: `unknown group "${child}"` });
    }
  }
  const graph: Record<string, { children?: string[] }> = {};
  for (const [name, spec] of Object.entries(groups)) graph[name] = { children: strings(spec.children).map(([child]) => child) };
  for (const cycle of findCycles(graph)) {
    issues.push({ path: ['groups', cycle[0], 'children'], message: `child groups form a cycle: ${cycle.join(' → ')}` });
  }
  return issues;
}

export const inventorySchema = z
  .strictObject({
    /** The JSON Schema an editor validates a JSON inventory with; ignored by shipshape. */
    $schema: z.string().optional(),
    // Names are checked in the refinement below: an invalid record key would stop zod from reporting the rest.
    hosts: z.record(z.string(), hostSchema),
    groups: z.record(z.string(), groupSchema).optional(),
    vars: vars.optional(),
    defaults: defaultsSchema.optional(),
  })
  .superRefine(
    (inventory, ctx) => {
      for (const issue of inventoryReferenceIssues(inventory)) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
    },
    // Run on invalid input too: every problem of the file in one report.
    { when: () => true },
  );
