import type { Secret } from '../secrets/secret.ts';

/** Connection settings that `defaults` and each host may set. */
export interface ConnectionInput {
  port?: number;
  user?: string;
  /** Path to a private key file on the controller (relative to the inventory file). */
  privateKey?: string;
  password?: string | Secret;
  become?: boolean;
  becomePassword?: string | Secret;
  /** Bastion, as ssh's ProxyJump: `user@host:port`. */
  proxyJump?: string;
  /** Seconds to wait for the SSH handshake (default 10). */
  connectTimeout?: number;
}

export interface HostInput<Vars> extends ConnectionInput {
  address: string;
  vars?: Partial<Vars>;
}

export interface GroupInput<Vars> {
  hosts?: string[];
  children?: string[];
  vars?: Partial<Vars>;
}

export interface InventoryInput<Vars = Record<string, unknown>> {
  hosts: Record<string, HostInput<Vars>>;
  groups?: Record<string, GroupInput<Vars>>;
  vars?: Partial<Vars>;
  defaults?: ConnectionInput & {
    /** known_hosts file to verify host keys against (default ~/.ssh/known_hosts). */
    knownHosts?: string;
  };
}

/**
 * The default export of a TypeScript inventory. Typing `Vars` lets editors check variable names and
 * types; the loader validates the same shape with zod for JSON and YAML inventories too.
 */
export function defineInventory<Vars = Record<string, unknown>>(inventory: InventoryInput<Vars>): InventoryInput<Vars> {
  return inventory;
}
