/** Ansible's tag rules: `always` runs unless skipped by name; `never` runs only when asked for. */
export interface TagFilter {
  tags?: string[];
  skipTags?: string[];
}

export function selectedByTags(taskTags: string[], filter: TagFilter): boolean {
  const tags = new Set(taskTags);
  if (filter.skipTags?.some((t) => tags.has(t))) return false;
  if (filter.tags && filter.tags.length > 0) {
    if (filter.tags.includes('all')) return !tags.has('never');
    if (filter.tags.includes('untagged') && tags.size === 0) return true;
    return tags.has('always') || filter.tags.some((t) => tags.has(t));
  }
  return !tags.has('never');
}
