/**
 * What `user` reads: passwd, groups, the shadow hash (only when a password is given) and the
 * authorized_keys file with its directory, in ONE remote command; and the pure parser of its output.
 */
import { sh } from '../../transport/quote.ts';
import { normalizeMode, type CurrentAttributes } from '../file/attributes.ts';
import { keysProbe } from './keys.ts';
import type { UserArgs } from './schema.ts';

/** What the host says about the account. */
export interface UserState {
  passwd?: { uid: number; gid: number; comment: string; home: string; shell: string };
  primaryGroup?: string;
  /** Supplementary groups (not the primary one). */
  groups: string[];
  /** Present only when asked for (a password was given). */
  shadowHash?: string;
  /** Groups named by the task that exist on the host. */
  existingGroups: string[];
  sshDir?: CurrentAttributes;
  keysFile?: CurrentAttributes;
  keysContent?: string;
  /** A path under the home that the key probe refused to follow or adopt: "PATH why". */
  keysRefused?: string;
}

const KEYS_MARKER = '--keys--';

/** The one command reading everything the plan needs. */
export function userStateCommand(args: UserArgs): string {
  const named = [...new Set([...(args.group ? [args.group] : []), ...(args.groups ?? [])])];
  const lines = [
    sh`( n=${args.name}`,
    // getent group prints only the groups that exist; a missing one is a clear error, not a usermod failure.
    named.length ? sh`getent group ${named} | cut -d: -f1 | sed 's/^/hasgroup:/'` : '',
    sh`pw=$(getent passwd "$n") || exit 0`,
    sh`echo "passwd:$pw"`,
    sh`echo "primary:$(id -gn "$n")"`,
    sh`echo "groups:$(id -Gn "$n")"`,
  ];
  if (args.password !== undefined) lines.push(sh`echo "shadow:$(getent shadow "$n" | cut -d: -f2)"`);
  if (args.authorizedKeys !== undefined) {
    // Read as the account itself (keys.ts): root never opens a path the account controls.
    lines.push(sh`h=$(printf '%s' "$pw" | cut -d: -f6)`, keysProbe(KEYS_MARKER));
  }
  lines.push(sh`true )`);
  return lines.filter(Boolean).join('\n');
}

function parseAttributes(text: string): CurrentAttributes {
  const [mode, owner, group] = text.split('|');
  return { mode: normalizeMode(mode), owner, group };
}

/** Parses the state command's output (exported for tests on recorded output). */
export function parseUserState(output: string): UserState {
  const state: UserState = { groups: [], existingGroups: [] };
  const markerAt = output.indexOf(`\n${KEYS_MARKER}\n`);
  const head = markerAt === -1 ? output : output.slice(0, markerAt + 1);
  if (markerAt !== -1) state.keysContent = output.slice(markerAt + KEYS_MARKER.length + 2);
  for (const line of head.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon);
    const value = line.slice(colon + 1);
    switch (key) {
      case 'refused': {
        // `refused:WHY:PATH` (the path last: it may hold colons).
        const split = value.indexOf(':');
        state.keysRefused = `${value.slice(split + 1)} ${value.slice(0, split)}`;
        break;
      }
      case 'hasgroup':
        state.existingGroups.push(value);
        break;
      case 'passwd': {
        const f = value.split(':');
        state.passwd = { uid: Number(f[2]), gid: Number(f[3]), comment: f[4] ?? '', home: f[5] ?? '', shell: f[6] ?? '' };
        break;
      }
      case 'primary':
        state.primaryGroup = value;
        break;
      case 'groups':
        state.groups = value.split(' ').filter((g) => g !== '' && g !== state.primaryGroup);
        break;
      case 'shadow':
        state.shadowHash = value;
        break;
      case 'sshdir':
        state.sshDir = parseAttributes(value);
        break;
      case 'keysfile':
        state.keysFile = parseAttributes(value);
        break;
    }
  }
  return state;
}

