import type { Secret } from '../secrets/secret.ts';

/** Connection settings after merging defaults, ~/.ssh/config and host entries. */
export interface ConnectionSettings {
  address: string;
  port: number;
  user: string;
  /** Path to a private key file on the controller. */
  privateKey?: string;
  /** Decrypts an encrypted `privateKey`. */
  privateKeyPassphrase?: Secret;
  /** Use ssh-agent ($SSH_AUTH_SOCK) when set. */
  agent?: string;
  password?: Secret;
  /** Run tasks through sudo unless a task says otherwise. */
  become: boolean;
  becomePassword?: Secret;
  /** `user@host:port` of a bastion (ssh_config ProxyJump). */
  proxyJump?: string;
  /** Seconds to wait for the TCP/SSH handshake. */
  connectTimeout: number;
  /** known_hosts file to verify against (default ~/.ssh/known_hosts). */
  knownHosts?: string;
  /** `local`: the controller itself, through a bash child process (no SSH). Absent means SSH. */
  connection?: 'ssh' | 'local' | 'docker';
  /**
   * The settings the inventory gave explicitly (defaults or host). The others hold shipshape's
   * defaults (port 22, the local user), which ~/.ssh/config may still override, as OpenSSH would.
   */
  setByInventory?: Array<'port' | 'user' | 'privateKey' | 'proxyJump' | 'connectTimeout'>;
}

export interface InventoryHost {
  name: string;
  connection: ConnectionSettings;
  /** Merged variables: global < group (parents before children) < host < extra (-e). */
  vars: Record<string, unknown>;
  /** Every group the host belongs to, directly or through children, plus 'all'. */
  groups: string[];
}

export interface InventoryGroup {
  name: string;
  /** Direct and inherited (through children) host names. */
  hosts: string[];
  children: string[];
  vars: Record<string, unknown>;
}

export interface Inventory {
  /** The file it came from, for messages. */
  source: string;
  hosts: Map<string, InventoryHost>;
  groups: Map<string, InventoryGroup>;
  /** Top-level vars as written (before group, host and extra vars). */
  vars?: Record<string, unknown>;
  /** Things that load but deserve a second look, e.g. a plain-text value in a `...Password` variable. */
  warnings?: string[];
}
