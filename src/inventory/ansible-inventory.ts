/**
 * Completes an Ansible inventory (INI or YAML) the way Ansible reads it: `group_vars/` and
 * `host_vars/` next to the inventory file (a file `web.yml`, or a folder `web/` whose files load in
 * name order), `!vault` values and vault-encrypted vars files decrypted, the Jinja variables Ansible
 * defines for inventories substituted (anything else reported), and variables merged in Ansible's
 * precedence, which interleaves files and the inventory:
 *   inventory `all` < inventory groups < group_vars/all < group_vars/<group> < inventory host < host_vars/<host>
 * (groups shallow to deep, then by name). shipshape's simpler layering (global < groups < host) keeps
 * the group and global variables; where it would pick another value for a host than Ansible, that
 * host gets Ansible's value as a host variable.
 */
import { existsSync } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import YAML from 'yaml';
import { ConfigError } from '../errors.ts';
import { decryptAnsibleVault, isAnsibleVaultText } from '../secrets/ansible-vault.ts';
import { Secret } from '../secrets/secret.ts';
import { groupDepths } from './build.ts';
import { findCycles } from './schema.ts';
import { setGlobalVars, type IniInventory } from './ini.ts';
import { dependsOnHost, jinjaProblems, resolveJinja, type InventoryPlace } from './jinja.ts';
import { isPlainRecord } from './merge.ts';
import { setOwn } from './own.ts';
import { decryptVaultTexts, vaultTag, type AnsibleVaultSecrets } from './vault-tag.ts';

export interface AnsibleInventoryOptions {
  /** The inventory file, absolute. */
  path: string;
  /** The inventory file as the user named it (for messages). */
  display: string;
  secrets: AnsibleVaultSecrets;
}

type Vars = Record<string, unknown>;
interface VarsLayer {
  file: string;
  vars: Vars;
}

const EXTENSIONS = ['.yml', '.yaml', '.json'];

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (info) => info.isDirectory(),
    () => false,
  );
}

/** A folder's vars files as Ansible lists them: sorted, recursive, no hidden or backup files, .yml/.yaml/.json or no extension. */
async function folderFiles(folder: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of (await readdir(folder)).sort()) {
    if (entry.startsWith('.') || entry.endsWith('~')) continue;
    const full = join(folder, entry);
    const extension = extname(entry);
    if ((await isDirectory(full)) && extension === '') found.push(...(await folderFiles(full)));
    else if (extension === '' || EXTENSIONS.includes(extension)) found.push(full);
  }
  return found;
}

/** `name` (a file or a folder), else name.yml, name.yaml, name.json: the first that exists, as Ansible's find_vars_files. */
async function varsFiles(base: string, name: string): Promise<string[]> {
  for (const candidate of ['', ...EXTENSIONS].map((extension) => join(base, `${name}${extension}`))) {
    if (!existsSync(candidate)) continue;
    return (await isDirectory(candidate)) ? folderFiles(candidate) : [candidate];
  }
  return [];
}

async function readVarsFile(path: string, display: string, secrets: AnsibleVaultSecrets): Promise<Vars> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`${display}: cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { file: display, cause: error });
  }
  const encrypted = isAnsibleVaultText(text);
  if (encrypted) text = await decryptAnsibleVault(text, await secrets(), { file: display });
  const document = YAML.parseDocument(text, { prettyErrors: false, customTags: [vaultTag] });
  const problem = document.errors[0];
  if (problem) {
    throw new ConfigError(`${display}:${problem.linePos?.[0]?.line ?? 1}: invalid YAML: ${problem.message.split('\n')[0]}`, { file: display });
  }
  const data = document.toJS({ maxAliasCount: 100 }) as unknown;
  if (data === null || data === undefined) return {};
  if (!isPlainRecord(data)) throw new ConfigError(`${display}: a vars file holds a mapping of variables`, { file: display });
  const vars = (await decryptVaultTexts(data, display, secrets)) as Vars;
  // Every text of an encrypted file is treated as secret: masked in all output, like a `!vault` value.
  return encrypted ? (secretStrings(vars, `ansible-vault:${display}`) as Vars) : vars;
}

function secretStrings(tree: unknown, origin: string): unknown {
  if (typeof tree === 'string') return tree === '' ? tree : new Secret(tree, origin);
  if (Array.isArray(tree)) return tree.map((item) => secretStrings(item, origin));
  if (isPlainRecord(tree)) return Object.fromEntries(Object.entries(tree).map(([key, value]) => [key, secretStrings(value, origin)]));
  return tree;
}

async function layersFor(base: string, displayBase: string, name: string, secrets: AnsibleVaultSecrets): Promise<VarsLayer[]> {
  const files = await varsFiles(base, name);
  return Promise.all(
    files.map(async (file) => {
      const display = join(displayBase, file.slice(base.length + 1));
      return { file: display, vars: await readVarsFile(file, display, secrets) };
    }),
  );
}

/** Later layers win, key by key (Ansible's default `hash_behaviour: replace`); keys are stored as own properties. */
function combine(...layers: Vars[]): Vars {
  const out: Vars = {};
  for (const layer of layers) for (const [key, value] of Object.entries(layer)) setOwn(out, key, value);
  return out;
}

const merged = (layers: readonly VarsLayer[]): Vars => combine(...layers.map((layer) => layer.vars));

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Secret || b instanceof Secret) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, index) => equal(item, b[index]));
  if (isPlainRecord(a) && isPlainRecord(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && equal(a[key], b[key]));
  }
  return false;
}

export async function completeAnsibleInventory(ini: IniInventory, options: AnsibleInventoryOptions): Promise<IniInventory> {
  const { display, secrets } = options;
  const dir = dirname(options.path);
  const displayDir = dirname(display);
  const place: InventoryPlace = { inventoryDir: dir, inventoryFile: options.path };

  // Values written in the inventory file itself (`!vault` in YAML).
  const allVars = (await decryptVaultTexts(ini.allVars, display, secrets, ['all', 'vars'])) as Vars;
  const groupVars = new Map<string, Vars>();
  for (const [name, group] of Object.entries(ini.groups)) groupVars.set(name, (await decryptVaultTexts(group.vars, display, secrets, [name, 'vars'])) as Vars);
  const hostVars = new Map<string, Vars>();
  for (const [name, vars] of Object.entries(ini.hosts)) hostVars.set(name, (await decryptVaultTexts(vars, display, secrets, [name])) as Vars);

  const ungroupedVars = (await decryptVaultTexts(ini.ungroupedVars ?? {}, display, secrets, ['ungrouped', 'vars'])) as Vars;
  const groupFiles = new Map<string, VarsLayer[]>();
  for (const name of ['all', 'ungrouped', ...groupVars.keys()]) {
    groupFiles.set(name, await layersFor(join(dir, 'group_vars'), join(displayDir, 'group_vars'), name, secrets));
  }
  const hostFiles = new Map<string, VarsLayer[]>();
  for (const name of hostVars.keys()) hostFiles.set(name, await layersFor(join(dir, 'host_vars'), join(displayDir, 'host_vars'), name, secrets));

  const problems = [
    ...jinjaProblems(allVars, display, ['all', 'vars']),
    ...jinjaProblems(ungroupedVars, display, ['ungrouped', 'vars']),
    ...[...groupVars].flatMap(([name, vars]) => jinjaProblems(vars, display, [name, 'vars'])),
    ...[...hostVars].flatMap(([name, vars]) => jinjaProblems(vars, display, [name])),
    ...[...groupFiles.values(), ...hostFiles.values()].flat().flatMap((layer) => jinjaProblems(layer.vars, layer.file)),
  ];
  if (problems.length > 0) throw new ConfigError(`${display}: Jinja in inventory values\n${problems.map((line) => `  ${line}`).join('\n')}`, { file: display });

  // Child groups in a cycle have no depth: left unmerged for the schema to report, with the rest.
  if (findCycles(ini.groups).length > 0) return ini;

  // Ansible's merge, host by host.
  const depths = groupDepths(ini.groups);
  const parents = new Map<string, string[]>();
  for (const [name, group] of Object.entries(ini.groups)) for (const child of group.children) parents.set(child, [...(parents.get(child) ?? []), name]);
  const ancestors = (group: string, into: Set<string>): Set<string> => {
    if (!into.has(group)) {
      into.add(group);
      for (const parent of parents.get(group) ?? []) ancestors(parent, into);
    }
    return into;
  };
  const byDepth = (a: string, b: string) => depths.get(a)! - depths.get(b)! || (a < b ? -1 : a > b ? 1 : 0);
  const hostGroups = new Map<string, string[]>();
  for (const host of hostVars.keys()) {
    const groups = new Set<string>();
    for (const [name, group] of Object.entries(ini.groups)) if (group.hosts.includes(host)) ancestors(name, groups);
    hostGroups.set(host, [...groups].sort(byDepth));
  }
  const fixed = (vars: Vars) => resolveJinja(vars, place) as Vars;
  const ansibleVars = new Map<string, Vars>();
  for (const [host, groups] of hostGroups) {
    // A host in no group is in `ungrouped` (depth 1), whose variables only such hosts get.
    const ungrouped = groups.length === 0;
    const layers: Vars[] = [
      allVars,
      ...(ungrouped ? [ungroupedVars] : groups.map((group) => groupVars.get(group)!)),
      merged(groupFiles.get('all')!),
      ...(ungrouped ? [merged(groupFiles.get('ungrouped')!)] : groups.map((group) => merged(groupFiles.get(group)!))),
      hostVars.get(host)!,
      merged(hostFiles.get(host)!),
    ];
    ansibleVars.set(host, resolveJinja(combine(...layers), place, host) as Vars);
  }

  // shipshape's layering: files folded into their group or host; host-specific values left to the hosts.
  const withoutHostValues = (vars: Vars): Vars => Object.fromEntries(Object.entries(fixed(vars)).filter(([, value]) => !dependsOnHost(value)));
  const globalVars = withoutHostValues({ ...allVars, ...merged(groupFiles.get('all')!) });
  const groups: IniInventory['groups'] = {};
  for (const [name, group] of Object.entries(ini.groups)) {
    Object.defineProperty(groups, name, {
      value: { ...group, vars: withoutHostValues({ ...groupVars.get(name)!, ...merged(groupFiles.get(name)!) }) },
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  const hosts: IniInventory['hosts'] = {};
  for (const [host, memberOf] of hostGroups) {
    const own = fixed({ ...hostVars.get(host)!, ...merged(hostFiles.get(host)!) });
    const layered = combine(globalVars, ...memberOf.map((group) => groups[group].vars), own);
    for (const [key, value] of Object.entries(ansibleVars.get(host)!)) if (!equal(layered[key], value)) setOwn(own, key, value);
    Object.defineProperty(hosts, host, { value: resolveJinja(own, place, host), enumerable: true, writable: true, configurable: true });
  }
  return setGlobalVars({ hosts, groups, vars: {}, defaults: {}, allVars: {} }, globalVars);
}
