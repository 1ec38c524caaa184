/**
 * Host patterns, as Ansible reads them: a host, a group, `all`/`*`, globs (`web-*`, `web-0[12]`),
 * regular expressions (`~web-\d+`), joined by `:` or `,` into unions, with `&` intersections and
 * `!` exclusions. Ansible's evaluation order: unions first, then intersections, then exclusions,
 * whatever order they were written in. The result is always in inventory order.
 */
import { ConfigError } from '../errors.ts';
import type { Inventory } from './types.ts';

interface Term {
  kind: 'union' | 'intersection' | 'exclusion';
  text: string;
}

/** Splits on `,`, else on `:` outside brackets (so a glob like `web-[0:1]`-style class stays whole). */
function splitPattern(pattern: string): string[] {
  const parts: string[] = [];
  for (const piece of pattern.split(',')) {
    let current = '';
    let depth = 0;
    for (const char of piece) {
      if (char === '[') depth++;
      else if (char === ']' && depth > 0) depth--;
      if (char === ':' && depth === 0) {
        parts.push(current);
        current = '';
      } else current += char;
    }
    parts.push(current);
  }
  return parts.map((part) => part.trim()).filter((part) => part !== '');
}

function parseTerms(pattern: string): Term[] {
  return splitPattern(pattern).map((part): Term => {
    if (part.startsWith('&')) return { kind: 'intersection', text: part.slice(1) };
    if (part.startsWith('!')) return { kind: 'exclusion', text: part.slice(1) };
    return { kind: 'union', text: part };
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Python's fnmatch (what Ansible uses): `*`, `?`, `[seq]`, `[!seq]`; a lone `[` is literal. */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i];
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else if (char === '[') {
      let end = i + 1;
      if (glob[end] === '!') end++;
      if (glob[end] === ']') end++;
      while (end < glob.length && glob[end] !== ']') end++;
      if (end >= glob.length) {
        source += '\\[';
        continue;
      }
      let body = glob.slice(i + 1, end);
      const negated = body.startsWith('!');
      if (negated) body = body.slice(1);
      source += `[${negated ? '^' : ''}${body.replace(/[\\\]\[^]/g, '\\$&')}]`;
      i = end;
    } else source += escapeRegExp(char);
  }
  return new RegExp(`^(?:${source})$`, 's');
}

function isGlob(text: string): boolean {
  return /[*?[]/.test(text);
}

function termMatcher(text: string): (name: string) => boolean {
  if (text.startsWith('~')) {
    let regex: RegExp;
    try {
      // Ansible anchors regular expressions at the start of the name (Python's re.match).
      regex = new RegExp(`^(?:${text.slice(1)})`);
    } catch (error) {
      throw new ConfigError(`invalid regular expression in host pattern "${text}": ${(error as Error).message}`, { field: 'pattern' });
    }
    return (name) => regex.test(name);
  }
  if (isGlob(text)) {
    let regex: RegExp;
    try {
      regex = globToRegExp(text);
    } catch {
      // A character class the JS engine rejects (e.g. a reversed range [z-a]) matches nothing.
      return () => false;
    }
    return (name) => regex.test(name);
  }
  return (name) => name === text;
}

/** The hosts one term names: hosts and groups (with their members) whose names match it. */
function hostsOfTerm(inventory: Inventory, text: string): Set<string> {
  const result = new Set<string>();
  if (text === 'all' || text === '*') return new Set(inventory.hosts.keys());
  const matches = termMatcher(text);
  for (const group of inventory.groups.values()) if (matches(group.name)) for (const host of group.hosts) result.add(host);
  for (const host of inventory.hosts.keys()) if (matches(host)) result.add(host);
  return result;
}

/**
 * The hosts a pattern selects, in inventory order. A name that matches nothing selects nothing
 * (for a play's `hosts`, as in Ansible); use validateLimit for `--limit`, where that is an error.
 */
export function selectHosts(inventory: Inventory, pattern: string): string[] {
  const terms = parseTerms(pattern);
  if (terms.length === 0) return [];
  const unions = terms.filter((term) => term.kind === 'union');
  // Only `&x` or `!x`: they apply to all hosts, as in Ansible.
  let selected = new Set<string>();
  for (const term of unions.length > 0 ? unions : [{ kind: 'union', text: 'all' }]) {
    for (const host of hostsOfTerm(inventory, term.text)) selected.add(host);
  }
  for (const term of terms.filter((t) => t.kind === 'intersection')) {
    const other = hostsOfTerm(inventory, term.text);
    selected = new Set([...selected].filter((host) => other.has(host)));
  }
  for (const term of terms.filter((t) => t.kind === 'exclusion')) {
    for (const host of hostsOfTerm(inventory, term.text)) selected.delete(host);
  }
  return [...inventory.hosts.keys()].filter((host) => selected.has(host));
}

/** True when a term names something in the inventory: a host, a group, or a glob/regex matching one. */
function termIsKnown(inventory: Inventory, text: string): boolean {
  if (text === 'all' || text === '*') return true;
  const matches = termMatcher(text);
  for (const name of inventory.hosts.keys()) if (matches(name)) return true;
  for (const name of inventory.groups.keys()) if (matches(name)) return true;
  return false;
}

/**
 * Checks a `--limit` pattern and returns the hosts it selects. Every name must be known (a typo
 * must not silently shrink or empty a run), and the result must not be empty.
 */
export function validateLimit(inventory: Inventory, pattern: string): string[] {
  const terms = parseTerms(pattern);
  if (terms.length === 0) throw new ConfigError('--limit: the pattern is empty', { file: inventory.source, field: '--limit' });
  const unknown = terms.filter((term) => term.text === '' || !termIsKnown(inventory, term.text)).map((term) => `"${term.text}"`);
  if (unknown.length > 0) {
    throw new ConfigError(
      `--limit ${pattern}: unknown host or group ${unknown.join(', ')} in ${inventory.source} (hosts and groups are case-sensitive; globs like web-* work)`,
      { file: inventory.source, field: '--limit' },
    );
  }
  const hosts = selectHosts(inventory, pattern);
  if (hosts.length === 0) throw new ConfigError(`--limit ${pattern}: selects no host`, { file: inventory.source, field: '--limit' });
  return hosts;
}

/** Hosts selected by a play's pattern and the optional `--limit` (already validated). */
export function selectPlayHosts(inventory: Inventory, playPattern: string, limit?: string): string[] {
  const hosts = selectHosts(inventory, playPattern);
  if (limit === undefined) return hosts;
  const limited = new Set(selectHosts(inventory, limit));
  return hosts.filter((host) => limited.has(host));
}
