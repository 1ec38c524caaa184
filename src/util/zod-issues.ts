import type { z } from 'zod';

/** Formats a dotted path like `groups.web.hosts[1]`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** One line per zod issue, each starting with its field path. */
export function formatZodIssues(issues: ReadonlyArray<z.core.$ZodIssue>, prefix: ReadonlyArray<PropertyKey> = []): string {
  return issues
    .map((issue) => {
      const path = formatPath([...prefix, ...issue.path]);
      return `  ${path === '' ? '(root)' : path}: ${issue.message}`;
    })
    .join('\n');
}
