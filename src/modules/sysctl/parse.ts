/**
 * Pure parsers for the sysctl module: a key's live value (`sysctl -n`) and the settings of a
 * sysctl.d file (`key = value` lines, `#` and `;` comments, as sysctl.d(5) describes).
 */

/** sysctl prints multi-value keys (net.ipv4.ip_local_port_range) with tabs: compare them by words. */
export function normalizeValue(value: string): string {
  return value.trim().split(/\s+/).join(' ');
}

/** `key = value` lines of a sysctl.d file, keys with `/` spelled with dots as sysctl does. */
export function parseSysctlFile(text: string): Map<string, string> {
  const settings = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    // A leading '-' means "ignore errors" for that key (sysctl.d(5)); it names the same key.
    const key = line.slice(0, eq).trim().replace(/^-/, '').replace(/\//g, '.');
    settings.set(key, normalizeValue(line.slice(eq + 1)));
  }
  return settings;
}

/**
 * The file with `key = value` set: the key's existing line replaced in place (a later duplicate
 * removed), or the line appended. Other lines and comments are kept as they are.
 */
export function setSysctlLine(text: string, key: string, value: string): string {
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  const wanted = `${key} = ${value}`;
  let found = false;
  const out: string[] = [];
  for (const raw of lines) {
    const line = raw.trim();
    const eq = line.indexOf('=');
    const isSetting = eq > 0 && !line.startsWith('#') && !line.startsWith(';');
    const lineKey = isSetting ? line.slice(0, eq).trim().replace(/^-/, '').replace(/\//g, '.') : '';
    if (lineKey === key) {
      if (!found) out.push(wanted);
      found = true;
      continue;
    }
    out.push(raw);
  }
  if (!found) out.push(wanted);
  return `${out.join('\n')}\n`;
}
