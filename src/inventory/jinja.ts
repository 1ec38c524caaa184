/**
 * Jinja in Ansible inventory values. shipshape does not run Jinja: the variables Ansible defines for
 * an inventory (inventory_dir, inventory_file, inventory_hostname, inventory_hostname_short) are
 * substituted; any other expression is reported with its file and key instead of reaching a host as
 * literal `{{ ... }}` text.
 */
import { Secret } from '../secrets/secret.ts';
import { formatPath } from '../util/zod-issues.ts';
import { isPlainRecord } from './merge.ts';

const HOST_NAMES = ['inventory_hostname', 'inventory_hostname_short'] as const;
const FILE_NAMES = ['inventory_dir', 'inventory_file'] as const;
export const KNOWN_JINJA_NAMES: readonly string[] = [...FILE_NAMES, ...HOST_NAMES];

const EXPRESSION = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
const ANY_JINJA = /\{\{|\{%|\{#/;

export interface InventoryPlace {
  inventoryDir: string;
  inventoryFile: string;
}

function unsupported(text: string): string | undefined {
  if (!ANY_JINJA.test(text)) return undefined;
  const rest = text.replace(EXPRESSION, (whole, name: string) => (KNOWN_JINJA_NAMES.includes(name) ? '' : whole));
  const left = /\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}|\{\{.*|\{%.*|\{#.*/s.exec(rest);
  return left ? left[0] : undefined;
}

/** One line per value holding Jinja that shipshape cannot evaluate: `file: key: ...`. */
export function jinjaProblems(tree: unknown, file: string, path: PropertyKey[] = []): string[] {
  if (typeof tree === 'string') {
    const expression = unsupported(tree);
    return expression === undefined
      ? []
      : [
          `${file}: ${formatPath(path)}: the Jinja expression "${expression}" is not evaluated by shipshape (only ${KNOWN_JINJA_NAMES.join(', ')} are): write the value, or compute it in the playbook`,
        ];
  }
  if (Array.isArray(tree)) return tree.flatMap((item, index) => jinjaProblems(item, file, [...path, index]));
  if (isPlainRecord(tree)) return Object.entries(tree).flatMap(([key, value]) => jinjaProblems(value, file, [...path, key]));
  return [];
}

/** True when the value mentions the host's name (so it differs from host to host). */
export function dependsOnHost(tree: unknown): boolean {
  if (typeof tree === 'string') return [...tree.matchAll(EXPRESSION)].some((match) => (HOST_NAMES as readonly string[]).includes(match[1]));
  if (Array.isArray(tree)) return tree.some(dependsOnHost);
  return isPlainRecord(tree) && Object.values(tree).some(dependsOnHost);
}

/** Substitutes the known names; `host` undefined leaves host names in place. */
export function resolveJinja(tree: unknown, place: InventoryPlace, host?: string): unknown {
  if (typeof tree === 'string') {
    if (!ANY_JINJA.test(tree)) return tree;
    const values: Record<string, string | undefined> = {
      inventory_dir: place.inventoryDir,
      inventory_file: place.inventoryFile,
      inventory_hostname: host,
      inventory_hostname_short: host?.split('.')[0],
    };
    return tree.replace(EXPRESSION, (whole, name: string) => values[name] ?? whole);
  }
  if (tree instanceof Secret) return tree;
  if (Array.isArray(tree)) return tree.map((item) => resolveJinja(item, place, host));
  if (isPlainRecord(tree)) return Object.fromEntries(Object.entries(tree).map(([key, value]) => [key, resolveJinja(value, place, host)]));
  return tree;
}
