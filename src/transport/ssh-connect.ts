/**
 * Opening one authenticated, host-key-verified SSH client (node-ssh over ssh2), directly or through
 * a chain of ProxyJump hosts. Errors are turned into messages a user can act on: which host, which
 * address, and why (refused, timed out, authentication, host key).
 */
import { readFile, stat } from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import { NodeSSH } from 'node-ssh';
import ssh2 from 'ssh2';
import type { AuthenticationType, Client, ConnectConfig } from 'ssh2';
import { ConfigError, ConnectionError, HostKeyError } from '../errors.ts';
import type { ConnectionSettings } from '../inventory/types.ts';
import { revealed } from '../secrets/secret.ts';
import { defaultKnownHostsPath, knownHostName, preferredHostKeyAlgorithms, readKnownHosts, verifyHostKey } from './known-hosts.ts';
import { applySshConfig, parseProxyJump, readSshConfig, type JumpHost } from './ssh-config.ts';
import { withConnectRetries, type RetryPolicy } from './connect-retry.ts';

/** ssh2's host key algorithms, ed25519 first (ssh2 1.x defaults). */
const HOST_KEY_ALGORITHMS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

export interface ClientOptions {
  acceptNewHostKeys: boolean;
  /** ssh_config file; false to ignore ssh_config entirely. */
  sshConfigPath?: string | false;
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
  /** How connections sshd drops before its banner (MaxStartups) are retried (connect-retry.ts). */
  retryPolicy?: RetryPolicy;
}

export interface OpenedClient {
  ssh: NodeSSH;
  client: Client;
  /** The settings after ssh_config, as actually used. */
  settings: ConnectionSettings;
  /** Jump host clients to close after the target. */
  jumps: NodeSSH[];
  /** Connections sshd dropped before its banner and that were made again (MaxStartups). */
  connectRetries: number;
}

function resolveSettings(settings: ConnectionSettings, options: ClientOptions): ConnectionSettings {
  if (options.sshConfigPath === false) return settings;
  return applySshConfig(settings, readSshConfig(settings.address, options.sshConfigPath));
}

type KeyFile =
  | { kind: 'usable'; text: string; passphrase?: string }
  | { kind: 'unreadable'; reason: string; cause: unknown }
  | { kind: 'invalid'; cause: Error }
  | { kind: 'encrypted' }
  | { kind: 'wrong-passphrase'; cause: Error };

/**
 * What a key file holds, read and checked once per file and passphrase for the whole run (every
 * host usually shares one key, and decrypting one costs bcrypt rounds of synchronous JavaScript).
 */
const keyFiles = new Map<string, Promise<KeyFile>>();

async function inspectKeyFile(path: string, passphrase: string | undefined): Promise<KeyFile> {
  // Keyed by what the file is now too: a key replaced at the same path (a rebuilt lab) is read again.
  const version = await stat(path).then(
    (info) => `${info.size}:${info.mtimeMs}`,
    () => 'missing',
  );
  const key = `${path}\0${version}\0${passphrase ?? ''}`;
  let pending = keyFiles.get(key);
  if (!pending) keyFiles.set(key, (pending = inspectKeyFileNow(path, passphrase)));
  return pending;
}

async function inspectKeyFileNow(path: string, passphrase: string | undefined): Promise<KeyFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    return { kind: 'unreadable', reason, cause: error };
  }
  const plain = ssh2.utils.parseKey(text);
  if (!(plain instanceof Error)) return { kind: 'usable', text };
  if (!/encrypted/i.test(plain.message) || !/no passphrase/i.test(plain.message)) return { kind: 'invalid', cause: plain };
  if (passphrase === undefined) return { kind: 'encrypted' };
  const decrypted = ssh2.utils.parseKey(text, passphrase);
  return decrypted instanceof Error ? { kind: 'wrong-passphrase', cause: decrypted } : { kind: 'usable', text, passphrase };
}

/**
 * The private key file's text, checked before any connection. An encrypted key is decrypted with
 * `privateKeyPassphrase`; without one it is left to ssh-agent when there is an agent (as OpenSSH
 * would use the agent's copy), and is otherwise an error saying what to do: undefined then means
 * "authenticate through the agent only".
 */
async function readPrivateKey(
  host: string,
  path: string,
  passphrase: string | undefined,
  agent: string | undefined,
): Promise<{ key: string; passphrase?: string } | undefined> {
  const file = await inspectKeyFile(path, passphrase);
  switch (file.kind) {
    case 'usable':
      return { key: file.text, passphrase: file.passphrase };
    case 'unreadable':
      throw new ConfigError(`host ${host}: cannot read private key ${path}: ${file.reason}`, { host, file: path, cause: file.cause });
    case 'invalid':
      throw new ConfigError(`host ${host}: private key ${path} is not usable: ${file.cause.message}`, { host, file: path, cause: file.cause });
    case 'encrypted':
      if (agent) return undefined;
      throw new ConfigError(
        `host ${host}: private key ${path} is encrypted: give privateKeyPassphrase (secret.env(NAME) or a vault value) or load the key into ssh-agent`,
        { host, file: path },
      );
    case 'wrong-passphrase':
      throw new ConfigError(`host ${host}: cannot decrypt private key ${path} with privateKeyPassphrase (wrong passphrase?)`, {
        host,
        file: path,
        cause: file.cause,
      });
  }
}

function describeFailure(host: string, address: string, port: number, user: string, error: Error, timeoutS: number): ConnectionError {
  const code = (error as NodeJS.ErrnoException).code;
  const level = (error as { level?: string }).level;
  let reason = error.message;
  if (code === 'ECONNREFUSED') reason = 'connection refused';
  else if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') reason = 'no route to host';
  else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') reason = `cannot resolve ${address}`;
  else if (/Timed out while waiting for handshake/.test(error.message)) reason = `timed out after ${timeoutS} s`;
  else if (level === 'client-authentication') reason = `authentication failed for user ${user}`;
  return new ConnectionError(`host ${host}: cannot connect to ${address}:${port}: ${reason}`, { host, cause: error });
}

/** One SSH client to `settings` (already resolved), reached over `sock` when given. */
async function openOne(
  host: string,
  settings: ConnectionSettings,
  options: ClientOptions,
  sock?: Duplex,
  onRetry: () => void = () => undefined,
): Promise<NodeSSH> {
  const knownHosts = settings.knownHosts ?? defaultKnownHostsPath();
  const entries = await readKnownHosts(knownHosts);
  const name = knownHostName(settings.address, settings.port);
  let hostKeyError: HostKeyError | undefined;
  const agent = settings.agent ?? process.env.SSH_AUTH_SOCK;
  const config: ConnectConfig & { privateKey?: string; passphrase?: string } = {
    host: settings.address,
    port: settings.port,
    username: settings.user,
    readyTimeout: settings.connectTimeout * 1000,
    keepaliveInterval: options.keepaliveIntervalMs,
    keepaliveCountMax: options.keepaliveCountMax,
    agentForward: false,
    algorithms: { serverHostKey: preferredHostKeyAlgorithms(entries, name, HOST_KEY_ALGORITHMS) as never },
    hostVerifier: (key: Buffer, verify: (valid: boolean) => void) => {
      verifyHostKey({ host, address: settings.address, port: settings.port, file: knownHosts, acceptNew: options.acceptNewHostKeys }, key, entries)
        .then(() => verify(true))
        .catch((error: unknown) => {
          hostKeyError =
            error instanceof HostKeyError
              ? error
              : new HostKeyError(`host ${host}: cannot verify the host key: ${(error as Error).message}`, { host, cause: error });
          verify(false);
        });
    },
  };
  if (settings.privateKey) {
    const passphrase = settings.privateKeyPassphrase ? revealed(settings.privateKeyPassphrase) : undefined;
    const key = await readPrivateKey(host, settings.privateKey, passphrase, agent);
    if (key) {
      config.privateKey = key.key;
      if (key.passphrase !== undefined) config.passphrase = key.passphrase;
    }
  }
  if (agent) config.agent = agent;
  if (settings.password) config.password = revealed(settings.password);
  config.authHandler = authMethods(config);
  if (sock) config.sock = sock as never;
  const attempt = async (): Promise<NodeSSH> => {
    const ssh = new NodeSSH();
    try {
      await ssh.connect(config);
      return ssh;
    } catch (error) {
      ssh.dispose();
      throw error;
    }
  };
  try {
    // A stream through a jump host is used once: only a direct connection can be made again.
    return sock ? await attempt() : await withConnectRetries(attempt, onRetry, options.retryPolicy);
  } catch (error) {
    if (hostKeyError) throw hostKeyError;
    throw describeFailure(host, settings.address, settings.port, settings.user, error as Error, settings.connectTimeout);
  }
}

/**
 * The methods to try: the inventory's key, then its password, then the agent's keys. Not ssh2's
 * default, which starts with a "none" request only to learn what the server accepts: a round trip
 * per connection (50 ms to a host 50 ms away) that tells us nothing we need. A password given in
 * the inventory goes before the agent: an agent holding many keys would otherwise use up sshd's
 * MaxAuthTries (6) before the password is sent. With nothing to offer, "none" is all there is.
 */
export function authMethods(config: { privateKey?: unknown; agent?: unknown; password?: unknown }): AuthenticationType[] {
  const methods: AuthenticationType[] = [];
  if (config.privateKey !== undefined) methods.push('publickey');
  if (config.password !== undefined) methods.push('password');
  if (config.agent !== undefined) methods.push('agent');
  return methods.length ? methods : ['none'];
}

function forwardOut(client: Client, host: string, address: string, port: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    client.forwardOut('127.0.0.1', 0, address, port, (error, stream) => {
      if (error) {
        reject(new ConnectionError(`host ${host}: the jump host cannot reach ${address}:${port}: ${error.message}`, { host, cause: error }));
      } else resolve(stream);
    });
  });
}

/**
 * The settings one ProxyJump hop is reached with (before its own ssh_config entry is applied): its
 * address, port and user, and of the target's credentials only those that reveal nothing to the
 * hop: the private key (a signature proves possession of it) and the agent. Never the target's
 * password nor its become password: a jump host is another machine, often run by someone else, and
 * a password sent to it is a password given to it. A hop that wants a password is refused.
 */
export function jumpHostSettings(target: ConnectionSettings, hop: JumpHost): ConnectionSettings {
  const { password: _password, becomePassword: _becomePassword, proxyJump: _proxyJump, ...rest } = target;
  return { ...rest, address: hop.address, port: hop.port ?? 22, user: hop.user ?? target.user, become: false };
}

/**
 * Connects to a host (through its ProxyJump chain when there is one). Each jump host is verified
 * against the same known_hosts file and authenticated with the key and agent only (never the
 * target's password: jumpHostSettings), after its own ssh_config entry is applied, as OpenSSH does.
 */
export async function openClient(host: string, given: ConnectionSettings, options: ClientOptions): Promise<OpenedClient> {
  const settings = resolveSettings(given, options);
  const jumps: NodeSSH[] = [];
  let sock: Duplex | undefined;
  let retries = 0;
  const onRetry = () => void retries++;
  try {
    if (settings.proxyJump) {
      for (const hop of parseProxyJump(settings.proxyJump)) {
        const hopSettings = resolveSettings(jumpHostSettings(settings, hop), options);
        const label = `${host} (jump host ${hop.address})`;
        const jump = await openOne(label, hopSettings, options, sock, onRetry);
        jumps.push(jump);
        jump.connection!.on('error', () => undefined);
        sock = undefined;
        // The next hop (or the target) is reached through this one.
        const next = parseProxyJump(settings.proxyJump)[jumps.length];
        const target = next ? resolveSettings({ ...settings, address: next.address, port: next.port ?? 22, proxyJump: undefined }, options) : settings;
        sock = await forwardOut(jump.connection!, label, target.address, target.port);
      }
    }
    const ssh = await openOne(host, settings, options, sock, onRetry);
    return { ssh, client: ssh.connection!, settings, jumps, connectRetries: retries };
  } catch (error) {
    for (const jump of jumps.reverse()) jump.dispose();
    throw error;
  }
}
