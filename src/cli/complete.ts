/**
 * The hidden `shipshape __complete -- CWORD WORD...` behind the shell completion scripts
 * (completion.ts): given the command line and the index of the word being completed, prints the
 * candidates one a line, or FILES when the shell should complete a file name itself. Commands and
 * options come from the commander program itself, host and group names from `-i INVENTORY`, tags
 * from the playbook argument; nothing contacts a host. Any failure (no inventory yet, a broken
 * playbook) completes nothing rather than printing an error into the user's prompt.
 */
import type { Command } from 'commander';
import { playbookTags } from '../engine/playbook-tags.ts';
import { loadInventory } from '../inventory/load.ts';
import { selectHosts } from '../inventory/patterns.ts';
import type { Inventory } from '../inventory/types.ts';
import { loadPlaybook } from '../playbook/load.ts';

/** Printed alone when the word is a file name (the shell's own file completion does it better). */
export const FILES = '__files__';

const FILE_OPTIONS = new Set(['-i', '--inventory', '--vault-password-file', '--vault-id', '-e', '--extra-vars']);
const HOST_OPTIONS = new Set(['-l', '--limit']);
const TAG_OPTIONS = new Set(['-t', '--tags', '--skip-tags']);

function optionNames(command: Command): string[] {
  const names = command.options.flatMap((option) => [option.short, option.long].filter((n): n is string => Boolean(n)));
  return [...names, '--help'];
}

/** Options that take a value (the next word is not a positional argument). */
function takesValue(command: Command, word: string): boolean {
  const option = command.options.find((o) => o.short === word || o.long === word);
  return option !== undefined && (option.required || option.optional);
}

function valueOf(words: string[], names: string[]): string | undefined {
  for (let i = words.length - 2; i >= 0; i--) if (names.includes(words[i]!)) return words[i + 1];
  return undefined;
}

/**
 * Names are all completion needs: a `$env` secret whose variable is not set in this shell gets a
 * placeholder instead of failing the load (its value is never used, never printed).
 */
const namesOnlyEnv = new Proxy(process.env, {
  get: (env, name) => (typeof name === 'string' ? (env[name] ?? 'unset-during-completion') : undefined),
});

async function quietInventory(file: string | undefined): Promise<Inventory | undefined> {
  if (!file) return undefined;
  try {
    return await loadInventory(file, { env: namesOnlyEnv });
  } catch {
    return undefined;
  }
}

/** `a,b,pre` completes `pre` and keeps `a,b,` in front of each candidate (`web:&pre` for --limit). */
function completeListItem(current: string, candidates: string[], separators: string): string[] {
  const head = current.replace(new RegExp(`[^${separators}]*$`), '');
  const rest = current.slice(head.length);
  const taken = new Set(head.split(new RegExp(`[${separators}]`)).filter(Boolean));
  return [...new Set(candidates)].filter((c) => c.startsWith(rest) && !taken.has(c)).map((c) => head + c);
}

export async function completions(program: Command, cword: number, words: string[]): Promise<string[]> {
  const current = words[cword] ?? '';
  const before = words.slice(0, cword);
  const visible = program.commands.filter((c) => !(c as Command & { _hidden?: boolean })._hidden);
  const commandIndex = before.findIndex((w, i) => i > 0 && !w.startsWith('-'));
  if (commandIndex === -1) {
    const all = current.startsWith('-') ? optionNames(program) : visible.map((c) => c.name());
    return all.filter((c) => c.startsWith(current));
  }
  let command = program.commands.find((c) => c.name() === before[commandIndex] || c.aliases().includes(before[commandIndex]!));
  if (!command) return [];
  // Nested commands (vault encrypt, lab up): the next plain word names the subcommand.
  let argsFrom = commandIndex + 1;
  while (command.commands.length > 0) {
    const sub = before.slice(argsFrom).find((w) => !w.startsWith('-'));
    if (sub === undefined) return command.commands.map((c) => c.name()).filter((c) => c.startsWith(current));
    const found: Command | undefined = command.commands.find((c) => c.name() === sub);
    if (!found) return [];
    argsFrom = before.indexOf(sub, argsFrom) + 1;
    command = found;
  }

  const previous = before[before.length - 1] ?? '';
  if (FILE_OPTIONS.has(previous)) return [FILES];
  if (HOST_OPTIONS.has(previous)) {
    const inventory = await quietInventory(valueOf(words, ['-i', '--inventory']));
    if (!inventory) return [];
    const names = [...inventory.groups.keys(), ...inventory.hosts.keys()];
    return completeListItem(current, names, ',:&!');
  }
  if (TAG_OPTIONS.has(previous)) {
    const positional = before.slice(argsFrom).filter((w, i, list) => !w.startsWith('-') && !(i > 0 && takesValue(command, list[i - 1]!)));
    const playbookFile = positional[0];
    if (!playbookFile) return [];
    try {
      const inventory = await quietInventory(valueOf(words, ['-i', '--inventory']));
      const { playbook } = await loadPlaybook(playbookFile);
      const tags = playbookTags(playbook, inventory, (pattern) => (inventory ? selectHosts(inventory, pattern) : []));
      return completeListItem(current, tags, ',');
    } catch {
      return [];
    }
  }
  if (takesValue(command, previous)) return [];
  if (current.startsWith('-')) return optionNames(command).filter((o) => o.startsWith(current));
  return [FILES];
}
