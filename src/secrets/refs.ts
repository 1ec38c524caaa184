/**
 * References to secrets in an inventory: `secret.env('NAME')` / `secret.vault('$shipshape-vault;1;...')`
 * in TypeScript, `{ "$env": "NAME" }` / `{ "$vault": "..." }` in JSON and YAML (a bare vault line works
 * too). They stay references until the inventory is loaded, so importing an inventory module never
 * fails on a missing variable, and the loader can name the field that referenced it.
 */
import { ConfigError, VaultError } from '../errors.ts';
import { formatPath } from '../util/zod-issues.ts';
import { Secret } from './secret.ts';
import { decryptValue, isVaultText } from './vault.ts';

export class SecretRef {
  constructor(
    readonly kind: 'env' | 'vault',
    /** The variable name for `env`, the vault line for `vault`. */
    readonly value: string,
  ) {}

  // A reference printed before it is resolved must not look like the value.
  toJSON(): Record<string, string> {
    return this.kind === 'env' ? { $env: this.value } : { $vault: '(encrypted)' };
  }
}

export const secret = {
  /** The value of an environment variable on the controller, read when the inventory is loaded. */
  env(name: string): SecretRef {
    return new SecretRef('env', name);
  },
  /** A value encrypted with `shipshape vault encrypt-string`. */
  vault(ciphertext: string): SecretRef {
    return new SecretRef('vault', ciphertext);
  },
};

export function isSecretRef(value: unknown): value is SecretRef {
  return value instanceof SecretRef;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Turns the JSON/YAML spellings (`{ $env }`, `{ $vault }`, a bare vault line) into SecretRef objects,
 * so the schema sees one kind of reference whatever the file format. Returns a new tree.
 */
export function normalizeSecretRefs(tree: unknown, path: PropertyKey[] = [], file?: string): unknown {
  if (typeof tree === 'string') return isVaultText(tree) ? new SecretRef('vault', tree.trim()) : tree;
  if (Array.isArray(tree)) return tree.map((item, index) => normalizeSecretRefs(item, [...path, index], file));
  if (!isPlainObject(tree)) return tree;
  const keys = Object.keys(tree);
  const refKeys = keys.filter((key) => key === '$env' || key === '$vault');
  if (refKeys.length > 0) {
    const where = `${file ? `${file}: ` : ''}${formatPath(path) || '(root)'}`;
    const key = refKeys[0];
    const value = tree[key];
    if (keys.length !== 1 || typeof value !== 'string' || value === '') {
      throw new ConfigError(`${where}: a secret reference is an object with exactly one key, { "$env": "NAME" } or { "$vault": "<encrypted value>" }`, {
        file,
        field: formatPath(path),
      });
    }
    return new SecretRef(key === '$env' ? 'env' : 'vault', value.trim());
  }
  const out: Record<string, unknown> = {};
  for (const key of keys) out[key] = normalizeSecretRefs(tree[key], [...path, key], file);
  return out;
}

export interface ResolveSecretsOptions {
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Asked only when a vault value is present. */
  vaultPassword?: () => Promise<string> | string;
}

/**
 * Replaces every SecretRef in the tree by a Secret. All missing environment variables are reported
 * together, each with the field that referenced it; vault values are decrypted in parallel.
 */
export async function resolveSecretRefs(tree: unknown, options: ResolveSecretsOptions = {}): Promise<unknown> {
  const env = options.env ?? process.env;
  const missing: string[] = [];
  const decryptions: Promise<void>[] = [];
  let password: Promise<string> | undefined;
  const getPassword = (): Promise<string> => {
    if (!password) {
      const source = options.vaultPassword;
      password = source
        ? Promise.resolve().then(source)
        : Promise.reject(
            new VaultError(
              `${options.file ? `${options.file}: ` : ''}holds vault values but no vault password was given: set SHIPSHAPE_VAULT_PASSWORD_FILE (a file holding it), SHIPSHAPE_VAULT_PASSWORD, or pass --vault-password-file FILE`,
              { file: options.file },
            ),
          );
    }
    return password;
  };

  const walk = (node: unknown, path: PropertyKey[], assign: (value: unknown) => void): void => {
    if (node instanceof SecretRef) {
      const field = formatPath(path);
      if (node.kind === 'env') {
        const value = env[node.value];
        if (value === undefined) missing.push(`  ${field}: environment variable ${node.value} is not set`);
        else assign(new Secret(value, `env:${node.value}`));
      } else {
        decryptions.push(
          getPassword()
            .then((pw) => decryptValue(node.value, pw, { file: options.file, field }))
            .then((plain) => assign(new Secret(plain, 'vault'))),
        );
      }
      return;
    }
    if (Array.isArray(node)) {
      const copy = [...node];
      assign(copy);
      copy.forEach((item, index) => walk(item, [...path, index], (value) => (copy[index] = value)));
      return;
    }
    if (isPlainObject(node)) {
      const copy: Record<string, unknown> = { ...node };
      assign(copy);
      for (const key of Object.keys(copy)) walk(copy[key], [...path, key], (value) => (copy[key] = value));
    }
  };

  let result: unknown = tree;
  walk(tree, [], (value) => (result = value));
  // Settle every decryption before reporting, so no rejection is left unhandled.
  const settled = await Promise.allSettled(decryptions);
  if (missing.length > 0) {
    throw new ConfigError(`${options.file ?? 'inventory'}: missing environment variables for secrets\n${missing.join('\n')}`, {
      file: options.file,
    });
  }
  const failure = settled.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failure) throw failure.reason;
  return result;
}
