/**
 * Splits the output of a batched probe into its `@@name` sections. Batching many reads into one
 * remote command is what keeps a no-op run at about one round trip per host.
 */
export function splitSections(stdout: string): Map<string, string> {
  const sections = new Map<string, string>();
  let current: string | null = null;
  let lines: string[] = [];
  const flush = () => {
    if (current !== null) sections.set(current, lines.join('\n'));
  };
  for (const line of stdout.split('\n')) {
    const marker = /^@@([a-z0-9-]+)$/.exec(line);
    if (marker) {
      flush();
      current = marker[1];
      lines = [];
    } else if (current !== null) {
      lines.push(line);
    }
  }
  flush();
  return sections;
}

/** The section's text without its trailing newline; '' when absent. */
export function section(sections: Map<string, string>, name: string): string {
  return (sections.get(name) ?? '').replace(/\n+$/, '');
}
