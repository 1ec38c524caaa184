/**
 * Reads Ansible's INI inventory dialect into shipshape's inventory input shape (validated afterwards
 * by the same schema as every other spelling). Covered: host lines with `key=value` variables and
 * `name:port`, host ranges (`web-[01:03]`, `db-[a:c]`, `[1:9:2]`), `[group]`, `[group:vars]`,
 * `[group:children]`, `[all:vars]`, ungrouped hosts before any section, `#` and `;` comments, values
 * typed like Ansible (Python literals). No npm package reads this dialect, hence this pure function.
 */
import { ConfigError } from '../errors.ts';
import { splitAnsibleVars } from './ansible-vars.ts';
import { parseAnsibleValue } from './literal.ts';
import { setOwn } from './own.ts';

export interface IniGroup {
  hosts: string[];
  children: string[];
  vars: Record<string, unknown>;
}

/** The inventory input an INI file describes (plain data; the schema checks it next). */
export interface IniInventory {
  hosts: Record<string, Record<string, unknown>>;
  groups: Record<string, IniGroup>;
  vars: Record<string, unknown>;
  defaults: Record<string, unknown>;
  /** `[all:vars]` as written (before the split into vars and connection defaults). */
  allVars: Record<string, unknown>;
  /** `[ungrouped:vars]`: Ansible gives them only to the hosts in no other group. */
  ungroupedVars?: Record<string, unknown>;
}

/** Host ranges expand to at most this many hosts per line: `web-[0:99999999]` is a typo, not a fleet. */
const MAX_RANGE = 10_000;

class IniSyntax extends Error {}

/** Splits a host line like a POSIX shell (Ansible uses shlex with comments): quotes group, `#` starts a comment. */
function shellSplit(line: string): string[] {
  const tokens: string[] = [];
  let token = '';
  let inToken = false;
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const char = line[i];
    if (quote) {
      if (char === quote) quote = null;
      else if (char === '\\' && quote === '"' && i + 1 < line.length && '"\\$`'.includes(line[i + 1])) token += line[++i];
      else token += char;
    } else if (char === "'" || char === '"') {
      quote = char;
      inToken = true;
    } else if (char === '\\' && i + 1 < line.length) {
      token += line[++i];
      inToken = true;
    } else if (/\s/.test(char)) {
      if (inToken) tokens.push(token);
      token = '';
      inToken = false;
    } else if (char === '#' && !inToken) {
      break;
    } else {
      token += char;
      inToken = true;
    }
  }
  if (quote) throw new IniSyntax('unclosed quote');
  if (inToken) tokens.push(token);
  return tokens;
}

/** Expands Ansible host ranges: `web-[01:03]` → web-01, web-02, web-03 (zero padding kept). */
export function expandHostRange(pattern: string): string[] {
  const match = /^(.*?)\[([^\]:]*):([^\]:]*)(?::(\d+))?\](.*)$/.exec(pattern);
  if (!match) return [pattern];
  const [, head, start, end, stepText, tail] = match;
  const step = stepText === undefined ? 1 : Number(stepText);
  if (step < 1) throw new IniSyntax(`invalid host range step in "${pattern}"`);
  const middles: string[] = [];
  if (/^\d+$/.test(start) && /^\d+$/.test(end)) {
    const from = Number(start);
    const to = Number(end);
    if (to < from) throw new IniSyntax(`host range "${pattern}" ends before it starts`);
    if ((to - from) / step >= MAX_RANGE) throw new IniSyntax(`host range "${pattern}" is larger than ${MAX_RANGE} hosts`);
    const width = start.startsWith('0') ? start.length : 0;
    for (let n = from; n <= to; n += step) middles.push(String(n).padStart(width, '0'));
  } else if (/^[a-z]$/.test(start) && /^[a-z]$/.test(end) || /^[A-Z]$/.test(start) && /^[A-Z]$/.test(end)) {
    const from = start.charCodeAt(0);
    const to = end.charCodeAt(0);
    if (to < from) throw new IniSyntax(`host range "${pattern}" ends before it starts`);
    for (let code = from; code <= to; code += step) middles.push(String.fromCharCode(code));
  } else {
    throw new IniSyntax(`invalid host range in "${pattern}": use [01:09] or [a:f]`);
  }
  // The tail may hold another range (Ansible expands them one after another).
  return middles.flatMap((middle) => expandHostRange(tail).map((rest) => `${head}${middle}${rest}`));
}

/** A host key as Ansible writes it, `web-[01:03]` or `name:2222`: the names and the port. Throws Error with the reason. */
export function expandHostPattern(pattern: string): { names: string[]; port?: number } {
  const portMatch = /^(.*[^\]:]|.*\]):(\d+)$/.exec(pattern);
  const names = expandHostRange(portMatch ? portMatch[1] : pattern);
  return portMatch ? { names, port: Number(portMatch[2]) } : { names };
}

function variableDefinition(line: string): [string, unknown] {
  const at = line.indexOf('=');
  if (at <= 0) throw new IniSyntax(`expected key=value, got "${line}"`);
  return [line.slice(0, at).trim(), parseAnsibleValue(line.slice(at + 1))];
}

export function ensureGroup(groups: Record<string, IniGroup>, name: string): IniGroup {
  if (!Object.hasOwn(groups, name)) setOwn(groups, name, { hosts: [], children: [], vars: {} });
  return groups[name];
}

/**
 * Parses the text of an Ansible INI inventory. Syntax errors are ConfigErrors naming `file:line`;
 * the meaning (unknown child groups, bad ports) is left to the schema, which names the field.
 */
export function parseIni(text: string, file = 'inventory'): IniInventory {
  const result: IniInventory = { hosts: {}, groups: {}, vars: {}, defaults: {}, allVars: {} };
  // `all` and `ungrouped` are implicit in shipshape: their hosts are simply hosts, their vars global.
  let section: { group: string; kind: 'hosts' | 'vars' | 'children' } = { group: 'ungrouped', kind: 'hosts' };
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const where = `${file}:${index + 1}`;
    try {
      const line = raw.trim();
      if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
      if (line.startsWith('[')) {
        const header = /^\[([^\]:\s]+)(?::(\w+))?\]\s*(?:[#;].*)?$/.exec(line);
        if (!header) throw new IniSyntax(`invalid section header "${line}": use [group], [group:vars] or [group:children]`);
        const [, group, suffix] = header;
        if (suffix !== undefined && suffix !== 'vars' && suffix !== 'children') {
          throw new IniSyntax(`invalid section "${line}": the suffix must be :vars or :children`);
        }
        section = { group, kind: (suffix ?? 'hosts') as 'hosts' | 'vars' | 'children' };
        if (group !== 'all' && group !== 'ungrouped') ensureGroup(result.groups, group);
        return;
      }
      const implicit = section.group === 'all' || section.group === 'ungrouped';
      if (section.kind === 'vars') {
        const [key, value] = variableDefinition(line);
        if (!implicit) setOwn(ensureGroup(result.groups, section.group).vars, key, value);
        else if (section.group === 'ungrouped') setOwn((result.ungroupedVars ??= {}), key, value);
        else setOwn(result.allVars, key, value);
        return;
      }
      if (section.kind === 'children') {
        const child = shellSplit(line)[0];
        if (implicit) throw new IniSyntax(`[${section.group}:children] is implicit: every group is already in "all"`);
        const group = ensureGroup(result.groups, section.group);
        if (!group.children.includes(child)) group.children.push(child);
        ensureGroup(result.groups, child);
        return;
      }
      const [pattern, ...assignments] = shellSplit(line);
      if (pattern === undefined) return;
      const hostVars: Record<string, unknown> = {};
      for (const assignment of assignments) {
        const at = assignment.indexOf('=');
        if (at <= 0) throw new IniSyntax(`expected key=value host variable, got "${assignment}"`);
        setOwn(hostVars, assignment.slice(0, at), parseAnsibleValue(assignment.slice(at + 1)));
      }
      // `name:2222` sets the port, unless the colon is inside a range like web-[01:03].
      const portMatch = /^(.*[^\]:]|.*\]):(\d+)$/.exec(pattern);
      const names = expandHostRange(portMatch ? portMatch[1] : pattern);
      for (const name of names) {
        if (!Object.hasOwn(result.hosts, name)) setOwn(result.hosts, name, {});
        const host = result.hosts[name];
        if (portMatch) host.ansible_port = Number(portMatch[2]);
        for (const [key, value] of Object.entries(hostVars)) setOwn(host, key, value);
        if (!implicit) {
          const group = ensureGroup(result.groups, section.group);
          if (!group.hosts.includes(name)) group.hosts.push(name);
        }
      }
    } catch (error) {
      if (error instanceof IniSyntax) throw new ConfigError(`${where}: ${error.message}`, { file, field: `line ${index + 1}` });
      throw error;
    }
  });
  return setGlobalVars(result, result.allVars);
}

/** Sets the variables of every host: connection variables become shipshape's connection defaults, the rest global vars. */
export function setGlobalVars(inventory: IniInventory, allVars: Record<string, unknown>): IniInventory {
  inventory.allVars = allVars;
  inventory.vars = {};
  inventory.defaults = {};
  for (const [key, value] of Object.entries(allVars)) {
    const { connection, vars } = splitAnsibleVars({ [key]: value });
    delete connection.address; // an address for every host makes no sense; keep it a plain var
    Object.assign(inventory.defaults, connection);
    for (const [name, varValue] of Object.entries(vars)) setOwn(inventory.vars, name, varValue);
    if (key === 'ansible_host' || key === 'ansible_ssh_host') setOwn(inventory.vars, key, value);
  }
  return inventory;
}

/** Turns parsed INI hosts into schema input: connection variables become fields, the rest host vars. */
export function iniToInventoryInput(ini: IniInventory): Record<string, unknown> {
  const hosts: Record<string, unknown> = {};
  for (const [name, hostVars] of Object.entries(ini.hosts)) {
    const { connection, vars } = splitAnsibleVars(hostVars);
    const host: Record<string, unknown> = { address: name, ...connection };
    if (Object.keys(vars).length > 0) host.vars = vars;
    setOwn(hosts, name, host);
  }
  const groups: Record<string, unknown> = {};
  for (const [name, group] of Object.entries(ini.groups)) {
    const spec: Record<string, unknown> = {};
    if (group.hosts.length > 0) spec.hosts = group.hosts;
    if (group.children.length > 0) spec.children = group.children;
    if (Object.keys(group.vars).length > 0) spec.vars = group.vars;
    setOwn(groups, name, spec);
  }
  const input: Record<string, unknown> = { hosts, groups };
  if (Object.keys(ini.vars).length > 0) input.vars = ini.vars;
  if (Object.keys(ini.defaults).length > 0) input.defaults = ini.defaults;
  return input;
}
