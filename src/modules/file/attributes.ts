/**
 * Owner, group and mode: the argument schema every file module shares, and the comparison with a
 * path's current stat that turns drift into change lines ("mode 0644 → 0600").
 */
import { z } from 'zod';
import { raw, sh } from '../../transport/quote.ts';
import type { Change } from '../../task/types.ts';

/** `'0644'`, `'644'`, `'1777'` or `0o644`, normalized to four octal digits. */
export const modeSchema = z
  .union([
    z.string().regex(/^0?[0-7]{3,4}$/, 'mode must be octal digits like "0644"'),
    z.number().int().min(0).max(0o7777),
  ])
  .transform((mode) => normalizeMode(mode));

const nameSchema = z.string().regex(/^[A-Za-z0-9_.][A-Za-z0-9_.-]*\$?$/, 'must be a user or group name');

/** A name, or a numeric id (`1001` or `'1001'`, compared with the path's numeric uid/gid). */
export const ownerSchema = z.union([nameSchema, z.number().int().min(0).max(0xfffffffe)]).transform(String);

export const attributesShape = {
  owner: ownerSchema.optional(),
  group: ownerSchema.optional(),
  mode: modeSchema.optional(),
};

export const absolutePath = z.string().regex(/^\//, 'must be an absolute path').refine((p) => !p.includes('\0'), 'must not contain NUL');

export interface Attributes {
  owner?: string;
  group?: string;
  mode?: string;
}

/** What stat says about a path's attributes. */
export interface CurrentAttributes {
  /** The name, or UNKNOWN (stat's word) when the uid has no name. */
  owner: string;
  group: string;
  /** Numeric ids, when the probe read them. */
  uid?: string;
  gid?: string;
  /** Four octal digits. */
  mode: string;
}

export function normalizeMode(mode: string | number): string {
  const digits = typeof mode === 'number' ? mode.toString(8) : mode;
  return digits.replace(/^0+(?=\d{4})/, '').padStart(4, '0');
}

const NUMERIC_ID = /^\d+$/;

/**
 * Whether the wanted owner (or group) is the current one: a numeric id is compared with the
 * numeric uid/gid (stat's name for it is a different word, or UNKNOWN), a name with the name.
 */
export function sameId(wanted: string, name: string, id: string | undefined): boolean {
  return NUMERIC_ID.test(wanted) && id !== undefined ? wanted === id : wanted === name;
}

/** How a current owner reads next to a wanted one: the id when the task speaks in ids. */
function shown(wanted: string, name: string, id: string | undefined): string {
  return NUMERIC_ID.test(wanted) && id !== undefined ? `${name} (${id})` : name;
}

/** The wanted attributes that differ from the current ones (the rest undefined). */
export function differingAttributes(current: CurrentAttributes, wanted: Attributes): Attributes {
  return {
    owner: wanted.owner !== undefined && !sameId(wanted.owner, current.owner, current.uid) ? wanted.owner : undefined,
    group: wanted.group !== undefined && !sameId(wanted.group, current.group, current.gid) ? wanted.group : undefined,
    mode: wanted.mode !== undefined && wanted.mode !== current.mode ? wanted.mode : undefined,
  };
}

/** One change line per attribute that differs; only attributes the task sets are compared. */
export function attributeChanges(current: CurrentAttributes, wanted: Attributes, path: string): Change[] {
  const changes: Change[] = [];
  const differ = differingAttributes(current, wanted);
  if (differ.owner !== undefined) {
    changes.push({ description: `owner of ${path}: ${shown(differ.owner, current.owner, current.uid)} → ${differ.owner}` });
  }
  if (differ.group !== undefined) {
    changes.push({ description: `group of ${path}: ${shown(differ.group, current.group, current.gid)} → ${differ.group}` });
  }
  if (differ.mode !== undefined) {
    changes.push({ description: `mode of ${path}: ${current.mode} → ${wanted.mode}` });
  }
  return changes;
}

/** Whether any wanted attribute differs from the current ones. */
export function attributesDiffer(current: CurrentAttributes, wanted: Attributes): boolean {
  return attributeChanges(current, wanted, '').length > 0;
}

/**
 * The command setting the wanted attributes on a path (empty string when none is wanted).
 * chown comes first: chown clears setuid/setgid bits, so chmod must run after it.
 */
export function setAttributesCommand(path: string, wanted: Attributes, options: { recurse?: boolean; follow?: boolean } = {}): string {
  const parts: string[] = [];
  // follow: false (a file's own attributes, planned from lstat): a link found at the path by the
  // time this runs (its directory's owner may have swapped it in) is changed itself, never its
  // target. `chmod -h` (coreutils 9.5+) skips a link; older chmod lacks it, so the path is checked first.
  if (options.follow === false) {
    if (wanted.owner !== undefined || wanted.group !== undefined) {
      const spec = `${wanted.owner ?? ''}${wanted.group !== undefined ? `:${wanted.group}` : ''}`;
      parts.push(sh`chown -h -- ${spec} ${path}`);
    }
    if (wanted.mode !== undefined) {
      parts.push(sh`{ chmod -h ${wanted.mode} -- ${path} 2>/dev/null || { [ ! -L ${path} ] && chmod ${wanted.mode} -- ${path}; }; }`);
    }
    return parts.join(' && ');
  }
  const chown = options.recurse ? 'chown -R' : 'chown';
  if (wanted.owner !== undefined || wanted.group !== undefined) {
    const spec = `${wanted.owner ?? ''}${wanted.group !== undefined ? `:${wanted.group}` : ''}`;
    parts.push(sh`${raw(chown)} -- ${spec} ${path}`);
  }
  if (wanted.mode !== undefined) parts.push(sh`chmod ${wanted.mode} -- ${path}`);
  return parts.join(' && ');
}
