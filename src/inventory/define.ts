import type { SecretRef } from '../secrets/refs.ts';
import type { Secret } from '../secrets/secret.ts';

/**
 * What an inventory may write for a variable typed `Vars`: where the playbook reads a Secret, the
 * inventory writes a reference (`secret.env('NAME')`, `secret.vault('...')`) that the loader resolves.
 */
export type VarsInput<T> = T extends Secret
  ? Secret | SecretRef
  : T extends ReadonlyArray<infer Item>
    ? ReadonlyArray<VarsInput<Item>>
    : T extends object
      ? { [K in keyof T]?: VarsInput<T[K]> }
      : T;

/** Connection settings that `defaults` and each host may set. */
export interface ConnectionInput {
  port?: number;
  user?: string;
  /** Path to a private key file on the controller (relative to the inventory file). */
  privateKey?: string;
  password?: string | Secret | SecretRef;
  become?: boolean;
  becomePassword?: string | Secret | SecretRef;
  /** Bastion, as ssh's ProxyJump: `user@host:port`. */
  proxyJump?: string;
  /** Seconds to wait for the SSH handshake (default 10). */
  connectTimeout?: number;
  /** `local` runs the host's tasks on the controller itself (no SSH); default `ssh`. */
  connection?: 'ssh' | 'local' | 'docker';
}

export interface HostInput<Vars> extends ConnectionInput {
  address: string;
  vars?: VarsInput<Vars>;
}

export interface GroupInput<Vars> {
  hosts?: string[];
  children?: string[];
  vars?: VarsInput<Vars>;
}

export interface InventoryInput<Vars = Record<string, unknown>> {
  hosts: Record<string, HostInput<Vars>>;
  groups?: Record<string, GroupInput<Vars>>;
  vars?: VarsInput<Vars>;
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
