/**
 * Ansible's YAML inventory format (`all:` / `children:` / `hosts:` / `vars:`), recognized by its
 * shape: shipshape's own format always has a top-level `hosts`, Ansible's has groups at the top.
 * It is read into the same shape as an INI inventory, then converted like one.
 */
import { ConfigError } from '../errors.ts';
import { formatPath } from '../util/zod-issues.ts';
import { ensureGroup, expandHostPattern, setGlobalVars, type IniInventory } from './ini.ts';
import { isPlainRecord } from './merge.ts';
import { setOwn } from './own.ts';

const GROUP_KEYS = ['hosts', 'children', 'vars'];

function isGroupSpec(value: unknown): boolean {
  return value === null || (isPlainRecord(value) && Object.keys(value).every((key) => GROUP_KEYS.includes(key)));
}

/** An Ansible YAML inventory: no top-level `hosts`, and `all` or only group-shaped entries at the top. */
export function looksLikeAnsibleYaml(data: unknown): boolean {
  if (!isPlainRecord(data) || Object.hasOwn(data, 'hosts')) return false;
  const keys = Object.keys(data);
  if (keys.length === 0) return false;
  if (Object.hasOwn(data, 'all')) return true;
  return keys.every((key) => isGroupSpec(data[key]) && !['groups', 'vars', 'defaults', '$schema'].includes(key));
}

class Problems {
  readonly lines: string[] = [];
  add(path: PropertyKey[], message: string): void {
    this.lines.push(`  ${formatPath(path) || '(root)'}: ${message}`);
  }
}

/** Reads the parsed YAML (or JSON) of an Ansible inventory. Every problem is listed, with the path to it. */
export function ansibleYamlToIni(data: Record<string, unknown>, file: string): IniInventory {
  const result: IniInventory = { hosts: {}, groups: {}, vars: {}, defaults: {}, allVars: {} };
  const problems = new Problems();
  const implicit = (name: string) => name === 'all' || name === 'ungrouped';

  const readVars = (value: unknown, path: PropertyKey[], into: Record<string, unknown>): void => {
    if (value === null || value === undefined) return;
    if (!isPlainRecord(value)) return problems.add(path, 'expected a mapping of variables');
    for (const [key, varValue] of Object.entries(value)) setOwn(into, key, varValue);
  };

  const readGroup = (name: string, spec: unknown, path: PropertyKey[], parent?: string): void => {
    if (!implicit(name)) {
      ensureGroup(result.groups, name);
      if (parent !== undefined && !implicit(parent)) {
        const siblings = result.groups[parent].children;
        if (!siblings.includes(name)) siblings.push(name);
      }
    }
    if (spec === null || spec === undefined) return;
    if (!isPlainRecord(spec)) return problems.add(path, 'expected a group: a mapping with hosts, children and vars');
    for (const [key, value] of Object.entries(spec)) {
      if (key === 'vars') readVars(value, [...path, key], name === 'all' ? result.allVars : name === 'ungrouped' ? (result.ungroupedVars ??= {}) : result.groups[name].vars);
      else if (key === 'hosts') {
        if (value === null) continue;
        if (!isPlainRecord(value)) {
          problems.add([...path, key], 'expected a mapping of host names (a list is not Ansible\'s format: write `host:` on its own line)');
          continue;
        }
        for (const [pattern, hostVars] of Object.entries(value)) {
          let expanded: { names: string[]; port?: number };
          try {
            expanded = expandHostPattern(pattern);
          } catch (error) {
            problems.add([...path, key, pattern], (error as Error).message);
            continue;
          }
          for (const host of expanded.names) {
            if (!Object.hasOwn(result.hosts, host)) setOwn(result.hosts, host, {});
            if (expanded.port !== undefined) result.hosts[host].ansible_port = expanded.port;
            readVars(hostVars, [...path, key, pattern], result.hosts[host]);
            if (!implicit(name) && !result.groups[name].hosts.includes(host)) result.groups[name].hosts.push(host);
          }
        }
      } else if (key === 'children') {
        if (value === null) continue;
        if (!isPlainRecord(value)) {
          problems.add([...path, key], 'expected a mapping of child groups');
          continue;
        }
        for (const [child, childSpec] of Object.entries(value)) {
          if (child === 'all') problems.add([...path, key, child], '"all" cannot be a child group');
          else readGroup(child, childSpec, [...path, key, child], name);
        }
      } else problems.add([...path, key], `unknown key "${key}": an Ansible group has hosts, children and vars`);
    }
  };

  for (const [name, spec] of Object.entries(data)) readGroup(name, spec, [name]);
  if (problems.lines.length > 0) {
    const count = problems.lines.length;
    throw new ConfigError(
      `${file}: this looks like an Ansible YAML inventory (all / children / hosts / vars), but it cannot be read (${count} ${count === 1 ? 'problem' : 'problems'})\n${problems.lines.join('\n')}`,
      { file },
    );
  }
  return setGlobalVars(result, result.allVars);
}
