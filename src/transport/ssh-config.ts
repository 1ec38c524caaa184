/**
 * What `~/.ssh/config` says about a host, through the `ssh-config` package (which implements
 * OpenSSH's first-match-wins rules, Host patterns and Match blocks). We honour the options that
 * decide where and as whom to connect: HostName, User, Port, IdentityFile, ProxyJump.
 */
import { readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import SSHConfig from 'ssh-config';
import { ConfigError } from '../errors.ts';
import type { ConnectionSettings } from '../inventory/types.ts';

export interface SshConfigValues {
  hostName?: string;
  user?: string;
  port?: number;
  identityFiles: string[];
  proxyJump?: string;
}

export function defaultSshConfigPath(): string {
  return join(homedir(), '.ssh', 'config');
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Expands the tokens OpenSSH allows in IdentityFile: ~, %d, %u, %h, %r, %%. */
function expandPath(path: string, host: string, remoteUser: string | undefined): string {
  const home = homedir();
  const expanded = path.startsWith('~/') ? join(home, path.slice(2)) : path;
  return expanded.replace(/%([duhr%])/g, (_, token: string) => {
    if (token === 'd') return home;
    if (token === 'u') return userInfo().username;
    if (token === 'h') return host;
    if (token === 'r') return remoteUser ?? userInfo().username;
    return '%';
  });
}

/** The values `text` (ssh_config syntax) gives for `alias`. `Match exec` is never run. */
export function sshConfigFor(alias: string, text: string): SshConfigValues {
  const computed = SSHConfig.parse(text).compute(alias, { ignoreCase: true, matchExec: false }) as Record<
    string,
    string | string[] | undefined
  >;
  const hostName = first(computed.hostname)?.replace(/%h/g, alias);
  const user = first(computed.user);
  const portText = first(computed.port);
  const port = portText === undefined ? undefined : Number(portText);
  const identity = computed.identityfile;
  const identityFiles = (Array.isArray(identity) ? identity : identity ? [identity] : []).map((file) =>
    expandPath(file, hostName ?? alias, user),
  );
  const jump = first(computed.proxyjump);
  return {
    hostName,
    user,
    port: port !== undefined && Number.isInteger(port) ? port : undefined,
    identityFiles,
    proxyJump: jump && jump.toLowerCase() !== 'none' ? jump : undefined,
  };
}

/** Reads the file (a missing file says nothing); a malformed one is the user's to fix. */
export function readSshConfig(alias: string, file = defaultSshConfigPath()): SshConfigValues {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { identityFiles: [] };
    throw new ConfigError(`${file}: cannot read: ${(error as Error).message}`, { file, cause: error });
  }
  try {
    return sshConfigFor(alias, text);
  } catch (error) {
    throw new ConfigError(`${file}: cannot parse: ${(error as Error).message}`, { file, cause: error });
  }
}

/**
 * Merges ssh_config into inventory settings with OpenSSH's precedence: what the inventory states
 * wins, like options on ssh's command line. The address is looked up as a Host alias and replaced
 * by HostName. A user or port equal to OpenSSH's defaults (the local user name, 22) counts as not
 * stated, since the inventory fills those in when a host leaves them out.
 */
export function applySshConfig(settings: ConnectionSettings, values: SshConfigValues): ConnectionSettings {
  const merged: ConnectionSettings = { ...settings };
  // What the inventory set explicitly wins, as on OpenSSH's command line; the loader's defaults
  // (port 22, the local user) yield to ~/.ssh/config. Without the loader's list, fall back to
  // treating default-looking values as defaults.
  const explicit = (field: 'port' | 'user' | 'privateKey' | 'proxyJump', isDefault: boolean) =>
    settings.setByInventory ? settings.setByInventory.includes(field) : !isDefault;
  if (values.hostName) merged.address = values.hostName;
  if (values.port !== undefined && !explicit('port', settings.port === 22)) merged.port = values.port;
  if (values.user && !explicit('user', settings.user === userInfo().username)) merged.user = values.user;
  if (values.identityFiles.length > 0 && !explicit('privateKey', !settings.privateKey)) merged.privateKey = values.identityFiles[0];
  if (values.proxyJump && !explicit('proxyJump', !settings.proxyJump)) merged.proxyJump = values.proxyJump;
  return merged;
}

export interface JumpHost {
  user?: string;
  address: string;
  port?: number;
}

/** Parses ProxyJump: `[user@]host[:port]` hops separated by commas, or ssh:// URIs. */
export function parseProxyJump(spec: string): JumpHost[] {
  return spec.split(',').map((raw) => {
    const hop = raw.trim().replace(/^ssh:\/\//, '');
    const match = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hop);
    if (!match) throw new ConfigError(`ProxyJump "${spec}": cannot parse "${raw}" (expected [user@]host[:port])`);
    const [, user, host, port] = match;
    return { user, address: host.replace(/^\[|\]$/g, ''), port: port ? Number(port) : undefined };
  });
}
