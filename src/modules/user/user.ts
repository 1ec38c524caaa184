/**
 * Module `user`: a local account (useradd/usermod/userdel) and its SSH authorized keys.
 * The plan reads passwd, groups, the shadow hash (only when a password is given) and the
 * authorized_keys file with its directory in ONE remote command.
 */
import type { z } from 'zod';
import { TaskError } from '../../errors.ts';
import { revealed } from '../../secrets/secret.ts';
import { sh } from '../../transport/quote.ts';
import { attributeChanges } from '../file/attributes.ts';
import type { Change, Module, Plan, TaskContext } from '../../task/types.ts';
import { refusal, writeKeys } from './keys.ts';
import { parseUserState, userStateCommand, type UserState } from './probe.ts';
import { userSchema, type UserArgs } from './schema.ts';

/** The key's identity: its base64 blob, so a changed comment or options do not duplicate it. */
function keyBlob(line: string): string | undefined {
  return line.split(/\s+/).find((word) => /^AAAA[0-9A-Za-z+/]+=*$/.test(word));
}

/** The authorized_keys text the task wants, given what is there. */
export function wantedKeysText(current: string, wanted: string[], exclusive: boolean): string {
  const trimmed = wanted.map((k) => k.trim()).filter((k) => k !== '');
  if (exclusive) return trimmed.length ? `${trimmed.join('\n')}\n` : '';
  const lines = current === '' ? [] : current.replace(/\n$/, '').split('\n');
  const present = new Set(lines.map((l) => keyBlob(l) ?? l.trim()));
  const added = trimmed.filter((k) => !present.has(keyBlob(k) ?? k));
  if (added.length === 0) return current;
  const base = current === '' || current.endsWith('\n') ? current : `${current}\n`;
  return `${base}${added.join('\n')}\n`;
}

export interface UserPlanData {
  action: 'create' | 'modify' | 'remove' | 'none';
  usermod: string[];
  /** New authorized_keys content, when it must be written. */
  keys?: string;
  /** Fix .ssh and authorized_keys owner/mode. */
  fixSshAttributes: boolean;
  /** Set the password hash (chpasswd -e). */
  setPassword: boolean;
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

function keyChanges(args: UserArgs, state: UserState, home: string, data: UserPlanData, changes: Change[]): void {
  if (args.authorizedKeys === undefined) return;
  const path = `${home}/.ssh/authorized_keys`;
  const before = state.keysContent ?? '';
  const after = wantedKeysText(before, args.authorizedKeys, args.exclusiveKeys);
  if (after !== before || state.keysFile === undefined) {
    const count = (text: string) => text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#')).length;
    changes.push({ description: `authorized keys of ${args.name}: ${count(before)} → ${count(after)} key(s)`, diff: { path, before, after } });
    data.keys = after;
  }
  if (state.passwd) {
    const owner = args.name;
    const dirDrift = state.sshDir ? attributeChanges(state.sshDir, { owner, mode: '0700' }, `${home}/.ssh`) : [];
    const fileDrift = state.keysFile && data.keys === undefined ? attributeChanges(state.keysFile, { owner, mode: '0600' }, path) : [];
    if (dirDrift.length || fileDrift.length) {
      changes.push(...dirDrift, ...fileDrift);
      data.fixSshAttributes = true;
    }
  }
}

/** Pure planner. */
export function planUser(state: UserState, args: UserArgs): Plan<UserPlanData> {
  const data: UserPlanData = { action: 'none', usermod: [], fixSshAttributes: false, setPassword: false };
  if (args.state === 'absent') {
    if (!state.passwd) return { changes: [], data };
    return { changes: [{ description: `remove user ${args.name}${args.removeHome ? ' and its home' : ''}` }], data: { ...data, action: 'remove' } };
  }
  const missing = [...(args.group ? [args.group] : []), ...(args.groups ?? [])].filter((g) => !state.existingGroups.includes(g));
  if (missing.length) throw new TaskError(`user ${args.name}: group(s) ${[...new Set(missing)].join(', ')} do not exist (create them with the group module first)`);

  const changes: Change[] = [];
  if (!state.passwd) {
    const details = [
      args.uid !== undefined && `uid ${args.uid}`,
      args.group && `group ${args.group}`,
      args.groups?.length && `groups ${args.groups.join(',')}`,
      args.shell && `shell ${args.shell}`,
      args.home && `home ${args.home}`,
      args.system && 'system',
      args.password !== undefined && 'password set',
    ].filter(Boolean);
    changes.push({ description: `create user ${args.name}${details.length ? ` (${details.join(', ')})` : ''}` });
    data.action = 'create';
    data.setPassword = args.password !== undefined;
    keyChanges(args, state, args.home ?? `/home/${args.name}`, data, changes);
    return { changes, data };
  }

  const current = state.passwd;
  const flags: string[] = [];
  if (args.uid !== undefined && args.uid !== current.uid) {
    changes.push({ description: `uid of ${args.name}: ${current.uid} → ${args.uid}` });
    flags.push('-u', String(args.uid));
  }
  if (args.group !== undefined && args.group !== state.primaryGroup) {
    changes.push({ description: `primary group of ${args.name}: ${state.primaryGroup} → ${args.group}` });
    flags.push('-g', args.group);
  }
  if (args.groups !== undefined) {
    const wanted = args.groups.filter((g) => g !== (args.group ?? state.primaryGroup));
    const add = wanted.filter((g) => !state.groups.includes(g));
    const remove = args.append ? [] : state.groups.filter((g) => !wanted.includes(g));
    if (add.length) changes.push({ description: `add ${args.name} to group(s) ${add.join(', ')}` });
    if (remove.length) changes.push({ description: `remove ${args.name} from group(s) ${remove.join(', ')}` });
    if (add.length || remove.length) {
      if (args.append) flags.push('-a', '-G', add.join(','));
      else if (!sameSet(wanted, state.groups)) flags.push('-G', wanted.join(','));
    }
  }
  if (args.shell !== undefined && args.shell !== current.shell) {
    changes.push({ description: `shell of ${args.name}: ${current.shell} → ${args.shell}` });
    flags.push('-s', args.shell);
  }
  if (args.home !== undefined && args.home !== current.home) {
    changes.push({ description: `home of ${args.name}: ${current.home} → ${args.home}` });
    flags.push('-d', args.home);
  }
  if (args.comment !== undefined && args.comment !== current.comment) {
    changes.push({ description: `comment of ${args.name}: "${current.comment}" → "${args.comment}"` });
    flags.push('-c', args.comment);
  }
  // The hash is compared, never printed.
  const passwordChanged = args.password !== undefined && revealed(args.password) !== state.shadowHash;
  if (passwordChanged) changes.push({ description: `password of ${args.name}` });
  data.setPassword = passwordChanged;
  if (flags.length || passwordChanged) data.action = 'modify';
  data.usermod = flags;
  keyChanges(args, state, args.home ?? current.home, data, changes);
  return { changes, data };
}

async function readState(ctx: TaskContext, args: UserArgs): Promise<UserState> {
  const result = await ctx.exec(userStateCommand(args));
  if (result.exitCode !== 0) throw new TaskError(`cannot read user ${args.name}: ${result.stderr.trim() || `exit ${result.exitCode}`}`);
  return parseUserState(result.stdout);
}

async function plan(ctx: TaskContext, args: UserArgs): Promise<Plan<UserPlanData>> {
  const state = await readState(ctx, args);
  if (state.keysRefused !== undefined && args.state === 'present') throw refusal(ctx, args.name, state.keysRefused);
  return planUser(state, args);
}

function useraddCommand(args: UserArgs): string {
  const flags: unknown[] = [];
  if (args.uid !== undefined) flags.push('-u', args.uid);
  if (args.group) flags.push('-g', args.group);
  if (args.groups?.length) flags.push('-G', args.groups.join(','));
  if (args.shell) flags.push('-s', args.shell);
  if (args.home) flags.push('-d', args.home);
  if (args.comment !== undefined) flags.push('-c', args.comment);
  if (args.system) flags.push('-r');
  flags.push(args.createHome ? '-m' : '-M');
  return sh`useradd ${flags} ${args.name}`;
}

async function applyKeys(ctx: TaskContext, args: UserArgs, data: UserPlanData): Promise<void> {
  if (data.keys === undefined && !data.fixSshAttributes) return;
  const pw = await ctx.run(sh`getent passwd ${args.name} | cut -d: -f6`);
  const home = pw.stdout.trim();
  if (!home) throw new TaskError(`user ${args.name} has no home directory for its authorized keys`);
  // As the account (keys.ts): the directory and file get its owner by construction.
  await writeKeys(ctx, args.name, home, data.keys);
}

async function apply(ctx: TaskContext, args: UserArgs, planned: Plan<UserPlanData>): Promise<void> {
  const data = planned.data;
  switch (data.action) {
    case 'remove':
      await ctx.run(sh`userdel ${args.removeHome ? ['-r'] : []} ${args.name}`);
      return;
    case 'create':
      await ctx.run(useraddCommand(args));
      break;
    case 'modify':
      if (data.usermod.length) await ctx.run(sh`usermod ${data.usermod} ${args.name}`);
      break;
  }
  if (data.setPassword && args.password !== undefined) {
    // On stdin, so the hash never shows in the host's process list.
    await ctx.run('chpasswd -e', { stdin: `${args.name}:${revealed(args.password)}\n` });
  }
  await applyKeys(ctx, args, data);
}

export const userModule: Module<UserArgs, UserPlanData, z.input<typeof userSchema>> = {
  name: 'user',
  manages: (args) => [{ key: `user:${args.name}`, state: args.state }],
  schema: userSchema,
  describe: (args) => (args.state === 'absent' ? `user ${args.name} absent` : `user ${args.name}`),
  plan,
  apply,
};
