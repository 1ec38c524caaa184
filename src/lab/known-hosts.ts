/**
 * known_hosts lines for the lab hosts, so SSH to them is verified rather than blindly trusted.
 * Port 22 entries are the bare address; other ports use OpenSSH's `[address]:port` form.
 */
import { ConfigError } from '../errors.ts';

export interface HostKeyEntry {
  address: string;
  port: number;
  /** `ssh-ed25519 AAAA...` (a trailing comment is dropped). */
  key: string;
}

/** Parses the contents of a `*.pub` host key file into `type base64`. */
export function parsePublicKeyFile(text: string, source: string): string {
  const [type, data] = text.trim().split(/\s+/);
  if (!type || !data || !/^(ssh-|ecdsa-)/.test(type) || !/^[A-Za-z0-9+/=]+$/.test(data)) {
    throw new ConfigError(`${source}: not an SSH public key: ${JSON.stringify(text.slice(0, 80))}`);
  }
  return `${type} ${data}`;
}

export function knownHostsLine(entry: HostKeyEntry): string {
  const host = entry.port === 22 ? entry.address : `[${entry.address}]:${entry.port}`;
  return `${host} ${entry.key}`;
}

export function knownHostsText(entries: HostKeyEntry[]): string {
  return entries.map(knownHostsLine).join('\n') + (entries.length ? '\n' : '');
}
