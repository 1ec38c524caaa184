/**
 * Reads an inventory file into plain input data, by spelling: a TypeScript/JavaScript module whose
 * default export is `defineInventory({...})`, JSON, YAML, or Ansible INI. Syntax errors name the file
 * and line. JSON, YAML and INI files may be vault-encrypted as a whole.
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, extname } from 'node:path';
import YAML from 'yaml';
import { importUserModule, userModuleLoadHint } from '../util/user-module.ts';
import { ConfigError } from '../errors.ts';
import { decryptAnsibleVault, isAnsibleVaultText, readAnsibleVaultSecrets } from '../secrets/ansible-vault.ts';
import { decryptValue, isVaultText } from '../secrets/vault.ts';
import { completeAnsibleInventory } from './ansible-inventory.ts';
import { ansibleYamlToIni, looksLikeAnsibleYaml } from './ansible-yaml.ts';
import { iniToInventoryInput, parseIni, type IniInventory } from './ini.ts';
import { decryptVaultTexts, hasVaultText, vaultTag, type AnsibleVaultSecrets } from './vault-tag.ts';

export type InventoryFormat = 'module' | 'json' | 'yaml' | 'ini';

const EXTENSIONS: Record<string, InventoryFormat> = {
  '.ts': 'module',
  '.mts': 'module',
  '.js': 'module',
  '.mjs': 'module',
  '.json': 'json',
  '.yaml': 'yaml',
  '.yml': 'yaml',
  '.ini': 'ini',
  '.cfg': 'ini',
  '': 'ini',
};

export function detectFormat(file: string): InventoryFormat {
  // Ansible's conventional `hosts` file, or any file without an extension, is INI.
  if (basename(file) === 'hosts') return 'ini';
  const extension = extname(file).toLowerCase();
  if (Object.hasOwn(EXTENSIONS, extension)) return EXTENSIONS[extension];
  throw new ConfigError(`${file}: unknown inventory format "${extension}": use .ts, .js, .json, .yaml, .yml, or Ansible INI (.ini, .cfg, no extension)`, {
    file,
  });
}

function lineOfOffset(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

/** Where JSON.parse failed, from its message (V8 reports a character position). */
function jsonErrorLocation(text: string, error: Error): string {
  const position = /position (\d+)/.exec(error.message);
  if (position) {
    const { line, column } = lineOfOffset(text, Number(position[1]));
    return `:${line}:${column}`;
  }
  const lineColumn = /line (\d+) column (\d+)/.exec(error.message);
  if (lineColumn) return `:${lineColumn[1]}:${lineColumn[2]}`;
  // "Unexpected end of JSON input": the problem is at the end.
  const end = lineOfOffset(text, text.length);
  return `:${end.line}:${end.column}`;
}

/**
 * Parses inventory text of a data format (JSON, YAML or INI; Ansible's YAML format is recognized by
 * its shape). Pure, without the group_vars/host_vars an Ansible inventory may have next to it.
 */
export function parseInventoryText(text: string, format: Exclude<InventoryFormat, 'module'>, file: string): unknown {
  if (format === 'ini') return iniToInventoryInput(parseIni(text, file));
  const data = parseDataText(text, format, file);
  return looksLikeAnsibleYaml(data) ? iniToInventoryInput(ansibleYamlToIni(data as Record<string, unknown>, file)) : data;
}

/** JSON or YAML text to data; every failure is a ConfigError naming the line. `!vault` values stay AnsibleVaultText. */
function parseDataText(text: string, format: 'json' | 'yaml', file: string): unknown {
  if (format === 'json') {
    try {
      return JSON.parse(text);
    } catch (error) {
      const message = (error as Error).message.split('\n')[0];
      throw new ConfigError(`${file}${jsonErrorLocation(text, error as Error)}: invalid JSON: ${message}`, { file, cause: error });
    }
  }
  let document: YAML.Document.Parsed;
  try {
    // maxAliasCount guards against alias bombs ("billion laughs").
    document = YAML.parseDocument(text, { prettyErrors: false, customTags: [vaultTag] });
  } catch (error) {
    throw new ConfigError(`${file}: invalid YAML: ${(error as Error).message.split('\n')[0]}`, { file, cause: error });
  }
  const problem = document.errors[0];
  if (problem) {
    const line = problem.linePos?.[0]?.line ?? lineOfOffset(text, problem.pos[0]).line;
    throw new ConfigError(`${file}:${line}: invalid YAML: ${problem.message.split('\n')[0]}`, { file, cause: problem });
  }
  try {
    return document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new ConfigError(`${file}: invalid YAML: ${(error as Error).message.split('\n')[0]}`, { file, cause: error });
  }
}

/** The first line of an import failure, without a stack; esbuild's syntax errors already say file:line:column. */
function importFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const lines = error.message.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  const located = lines.find((line) => /:\d+:\d+: ERROR:/.test(line));
  return located ?? lines[0] ?? error.name;
}

async function importModule(path: string, display: string): Promise<unknown> {
  // Checked first: how a missing file fails to import differs between the bundled CLI (esbuild)
  // and running from source (Node's loader).
  if (!existsSync(path)) throw new ConfigError(`${display}: inventory file not found`, { file: display });
  let module: { default?: unknown };
  try {
    module = await importUserModule(path);
  } catch (error) {
    const hint = userModuleLoadHint(error, display);
    if (hint) throw new ConfigError(hint, { file: display, cause: error });
    throw new ConfigError(`${display}: the inventory module failed to load: ${importFailure(error)}`, { file: display, cause: error });
  }
  if (module.default === undefined) {
    throw new ConfigError(`${display}: the inventory module has no default export: write \`export default defineInventory({ ... })\``, {
      file: display,
    });
  }
  return module.default;
}

export interface ReadInventoryOptions {
  /** For a file that is vault-encrypted as a whole. */
  vaultPassword?: () => Promise<string> | string;
  /** Ansible Vault passwords (default: $ANSIBLE_VAULT_PASSWORD_FILE, $ANSIBLE_VAULT_IDENTITY_LIST). */
  ansibleVaultSecrets?: AnsibleVaultSecrets;
}

/**
 * Reads the inventory at `path` (absolute) into plain input data. `display` is the name used in
 * messages (the path the user typed).
 */
export async function readInventoryInput(path: string, display: string, options: ReadInventoryOptions = {}): Promise<unknown> {
  const format = detectFormat(display);
  if (format === 'module') return importModule(path, display);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'inventory file not found' : `cannot read the inventory (${code ?? String(error)})`;
    throw new ConfigError(`${display}: ${why}`, { file: display, cause: error });
  }
  if (isVaultText(text)) {
    if (!options.vaultPassword) {
      throw new ConfigError(
        `${display}: the file is vault-encrypted: set SHIPSHAPE_VAULT_PASSWORD_FILE (a file holding the password), SHIPSHAPE_VAULT_PASSWORD, or pass --vault-password-file FILE`,
        { file: display },
      );
    }
    text = await decryptValue(text, await options.vaultPassword(), { file: display });
  }
  const secrets = options.ansibleVaultSecrets ?? (() => readAnsibleVaultSecrets());
  if (isAnsibleVaultText(text)) text = await decryptAnsibleVault(text, await secrets(), { file: display });
  let ansible: IniInventory | undefined;
  if (format === 'ini') ansible = parseIni(text, display);
  else {
    const data = parseDataText(text, format, display);
    if (looksLikeAnsibleYaml(data)) ansible = ansibleYamlToIni(data as Record<string, unknown>, display);
    else return hasVaultText(data) ? decryptVaultTexts(data, display, secrets) : data;
  }
  return iniToInventoryInput(await completeAnsibleInventory(ansible, { path, display, secrets }));
}
