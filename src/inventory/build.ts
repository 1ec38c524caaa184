/**
 * Turns validated inventory input (secrets already resolved) into the Inventory the engine uses:
 * group membership through children, variables merged in Ansible's precedence, connection settings.
 */
import { homedir, userInfo } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { ConfigError } from '../errors.ts';
import { Secret } from '../secrets/secret.ts';
import { formatZodIssues } from '../util/zod-issues.ts';
import { splitAnsibleVars } from './ansible-vars.ts';
import { deepMerge } from './merge.ts';
import { connectionSchema, type ValidInventoryInput } from './schema.ts';
import type { ConnectionSettings, Inventory, InventoryGroup, InventoryHost } from './types.ts';

export interface BuildOptions {
  /** The file name used in messages. */
  source: string;
  /** Directory relative key and known_hosts paths resolve against (the inventory file's). */
  baseDir: string;
  /** `-e` values: override every other variable; nested objects merge. */
  extraVars?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
}

type ConnectionFields = NonNullable<ValidInventoryInput['defaults']>;

const DEFAULT_PORT = 22;
const DEFAULT_CONNECT_TIMEOUT = 10;

/** `~` and `~/x` expand to the home directory; relative paths resolve against the inventory's directory. */
export function resolveLocalPath(path: string, baseDir: string): string {
  if (path === '~') return homedir();
  if (path.startsWith('~/')) return join(homedir(), path.slice(2));
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

function localUser(env: NodeJS.ProcessEnv): string {
  try {
    return userInfo().username;
  } catch {
    return env.USER ?? 'root';
  }
}

function asSecret(value: unknown, origin: string): Secret | undefined {
  if (value instanceof Secret) return value;
  if (typeof value === 'string' && value !== '') return new Secret(value, origin);
  return undefined;
}

/** Ansible's group depth: `all` is 0, a top-level group 1, a child one deeper than its deepest parent. */
export function groupDepths(groups: Record<string, { children?: string[] }>): Map<string, number> {
  const parents = new Map<string, string[]>();
  for (const [name, spec] of Object.entries(groups)) {
    for (const child of spec.children ?? []) parents.set(child, [...(parents.get(child) ?? []), name]);
  }
  const depths = new Map<string, number>();
  const depthOf = (name: string): number => {
    const known = depths.get(name);
    if (known !== undefined) return known;
    // The schema has rejected cycles, so this recursion ends.
    const depth = 1 + Math.max(0, ...(parents.get(name) ?? []).map(depthOf));
    depths.set(name, depth);
    return depth;
  };
  for (const name of Object.keys(groups)) depthOf(name);
  return depths;
}

const SECRET_LOOKING = /(password|passwd|passphrase|secret|token|api_?key|credential)/i;

function plainSecretWarnings(input: ValidInventoryInput, source: string): string[] {
  const warnings: string[] = [];
  const check = (vars: Record<string, unknown> | undefined, path: string): void => {
    for (const [key, value] of Object.entries(vars ?? {})) {
      if (SECRET_LOOKING.test(key) && typeof value === 'string' && value !== '') {
        warnings.push(`${source}: ${path}.${key} holds plain text but looks secret: use an environment reference or a vault value`);
      }
    }
  };
  check(input.vars, 'vars');
  for (const [name, group] of Object.entries(input.groups ?? {})) check(group.vars, `groups.${name}.vars`);
  for (const [name, host] of Object.entries(input.hosts)) {
    check(host.vars, `hosts.${name}.vars`);
    check({ password: host.password, becomePassword: host.becomePassword, privateKeyPassphrase: host.privateKeyPassphrase }, `hosts.${name}`);
  }
  check(
    { password: input.defaults?.password, becomePassword: input.defaults?.becomePassword, privateKeyPassphrase: input.defaults?.privateKeyPassphrase },
    'defaults',
  );
  return warnings;
}

function connectionFor(
  name: string,
  address: string,
  layers: Array<Partial<ConnectionFields> | Record<string, unknown>>,
  options: BuildOptions,
): ConnectionSettings {
  const merged: Record<string, unknown> = {};
  for (const layer of layers) for (const [key, value] of Object.entries(layer)) if (value !== undefined) merged[key] = value;
  const env = options.env ?? process.env;
  const setByInventory = (['port', 'user', 'privateKey', 'proxyJump', 'connectTimeout'] as const).filter((key) => merged[key] !== undefined);
  const connection: ConnectionSettings = {
    address,
    port: typeof merged.port === 'number' ? merged.port : DEFAULT_PORT,
    user: typeof merged.user === 'string' ? merged.user : localUser(env),
    become: merged.become === true,
    connectTimeout: typeof merged.connectTimeout === 'number' ? merged.connectTimeout : DEFAULT_CONNECT_TIMEOUT,
    setByInventory,
  };
  if (typeof merged.privateKey === 'string') connection.privateKey = resolveLocalPath(merged.privateKey, options.baseDir);
  if (env.SSH_AUTH_SOCK) connection.agent = env.SSH_AUTH_SOCK;
  const password = asSecret(merged.password, `inventory:${name}.password`);
  if (password) connection.password = password;
  const becomePassword = asSecret(merged.becomePassword, `inventory:${name}.becomePassword`);
  if (becomePassword) connection.becomePassword = becomePassword;
  const passphrase = asSecret(merged.privateKeyPassphrase, `inventory:${name}.privateKeyPassphrase`);
  if (passphrase) connection.privateKeyPassphrase = passphrase;
  if (typeof merged.proxyJump === 'string') connection.proxyJump = merged.proxyJump;
  if (merged.connection === 'local' || merged.connection === 'docker') connection.connection = merged.connection;
  if (typeof merged.knownHosts === 'string') connection.knownHosts = resolveLocalPath(merged.knownHosts, options.baseDir);
  return connection;
}

export function buildInventory(input: ValidInventoryInput, options: BuildOptions): Inventory {
  const groupsInput = input.groups ?? {};
  const hostOrder = Object.keys(input.hosts);
  const depths = groupDepths(groupsInput);

  // Every host of a group, directly or through its children (memoized; cycles were rejected).
  const members = new Map<string, Set<string>>();
  const membersOf = (group: string): Set<string> => {
    let set = members.get(group);
    if (!set) {
      set = new Set(groupsInput[group]?.hosts ?? []);
      for (const child of groupsInput[group]?.children ?? []) for (const host of membersOf(child)) set.add(host);
      members.set(group, set);
    }
    return set;
  };

  // Ansible's order: shallower groups first (parents before children), then by name.
  const groupOrder = Object.keys(groupsInput).sort((a, b) => depths.get(a)! - depths.get(b)! || (a < b ? -1 : a > b ? 1 : 0));
  const inOrder = (names: Set<string>): string[] => hostOrder.filter((host) => names.has(host));

  const groups = new Map<string, InventoryGroup>();
  const childGroups = new Set(Object.values(groupsInput).flatMap((spec) => spec.children ?? []));
  groups.set('all', {
    name: 'all',
    hosts: hostOrder,
    children: [...Object.keys(groupsInput).filter((group) => !childGroups.has(group)), 'ungrouped'],
    vars: { ...(input.vars ?? {}) },
  });
  const grouped = new Set(Object.keys(groupsInput).flatMap((group) => [...membersOf(group)]));
  groups.set('ungrouped', { name: 'ungrouped', hosts: hostOrder.filter((host) => !grouped.has(host)), children: [], vars: {} });
  for (const name of Object.keys(groupsInput)) {
    const spec = groupsInput[name];
    groups.set(name, { name, hosts: inOrder(membersOf(name)), children: [...(spec.children ?? [])], vars: { ...(spec.vars ?? {}) } });
  }

  const hosts = new Map<string, InventoryHost>();
  for (const name of hostOrder) {
    const spec = input.hosts[name];
    const hostGroups = groupOrder.filter((group) => membersOf(group).has(name));
    let vars: Record<string, unknown> = { ...(input.vars ?? {}) };
    for (const group of hostGroups) vars = { ...vars, ...(groupsInput[group].vars ?? {}) };
    vars = { ...vars, ...(spec.vars ?? {}) };
    if (options.extraVars) vars = deepMerge(vars, options.extraVars);
    // Ansible connection variables (ansible_user in [web:vars], -e ansible_port=2222) set the connection.
    const split = splitAnsibleVars(vars);
    const { address: ansibleAddress, ...ansibleConnection } = split.connection;
    const checked = connectionSchema.safeParse(ansibleConnection);
    if (!checked.success) {
      throw new ConfigError(
        `${options.source}: hosts.${name}: invalid Ansible connection variable (from group, global or extra vars)\n${formatZodIssues(checked.error.issues)}`,
        { file: options.source, host: name },
      );
    }
    const { vars: _ownVars, address, ...hostConnection } = spec;
    // An INI host without ansible_host has its name as address; ansible_host from a group may then set it.
    const connection = connectionFor(name, typeof ansibleAddress === 'string' && address === name ? ansibleAddress : address, [
      input.defaults ?? {},
      ansibleConnection,
      hostConnection,
    ], options);
    if (input.defaults?.knownHosts) connection.knownHosts = resolveLocalPath(input.defaults.knownHosts, options.baseDir);
    hosts.set(name, {
      name,
      connection,
      vars: split.vars,
      groups: ['all', ...(hostGroups.length === 0 ? ['ungrouped'] : []), ...hostGroups],
    });
  }

  return { source: options.source, hosts, groups, vars: { ...(input.vars ?? {}) }, warnings: plainSecretWarnings(input, options.source) };
}
