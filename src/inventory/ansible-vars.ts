/**
 * Ansible's connection variables (`ansible_host`, `ansible_user`, ...) mapped onto shipshape's
 * connection fields, so an Ansible inventory drives the same connections unchanged. Used by the INI
 * reader for host lines and `[all:vars]`, and by the resolver for connection variables set on groups.
 */
import type { ConnectionInput } from './define.ts';

type ConnectionKey = keyof ConnectionInput | 'address';

const ANSIBLE_CONNECTION_VARS: Record<string, ConnectionKey> = {
  ansible_host: 'address',
  ansible_ssh_host: 'address',
  ansible_port: 'port',
  ansible_ssh_port: 'port',
  ansible_user: 'user',
  ansible_ssh_user: 'user',
  ansible_ssh_private_key_file: 'privateKey',
  ansible_private_key_file: 'privateKey',
  ansible_password: 'password',
  ansible_ssh_pass: 'password',
  ansible_ssh_password: 'password',
  ansible_become: 'become',
  ansible_become_password: 'becomePassword',
  ansible_become_pass: 'becomePassword',
  ansible_timeout: 'connectTimeout',
  ansible_ssh_timeout: 'connectTimeout',
  ansible_connection: 'connection',
};

/** Ansible's connection plugin names that shipshape runs: its own SSH transport, the controller itself, or docker exec. */
const ANSIBLE_CONNECTION_PLUGINS: Record<string, 'ssh' | 'local' | 'docker'> = {
  ssh: 'ssh',
  smart: 'ssh',
  paramiko: 'ssh',
  paramiko_ssh: 'ssh',
  'ansible.builtin.ssh': 'ssh',
  'ansible.builtin.paramiko_ssh': 'ssh',
  local: 'local',
  'ansible.builtin.local': 'local',
  docker: 'docker',
  'community.docker.docker': 'docker',
};

const TRUE_WORDS = new Set(['yes', 'on', '1', 'true', 'y', 't', '1.0']);
const FALSE_WORDS = new Set(['no', 'off', '0', 'false', 'n', 'f', '0.0']);

/** Ansible's `boolean` filter: yes/no, on/off, 1/0, true/false in any case. Unknown words pass through for the schema to reject. */
function ansibleBoolean(value: unknown): unknown {
  const word = String(value).toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  return value;
}

function ansibleNumber(value: unknown): unknown {
  return typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value;
}

/** `-o ProxyJump=bastion` or `-J bastion` in ansible_ssh_common_args / ansible_ssh_extra_args. */
function proxyJumpFromArgs(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /(?:-o\s*['"]?ProxyJump[= ]|-J\s*)([^\s'"]+)/i.exec(value);
  return match?.[1];
}

export interface SplitAnsibleVars {
  connection: Partial<Record<ConnectionKey, unknown>>;
  /** Everything that is not a connection variable, unchanged. */
  vars: Record<string, unknown>;
}

export function isAnsibleConnectionVar(name: string): boolean {
  return Object.hasOwn(ANSIBLE_CONNECTION_VARS, name) || name === 'ansible_ssh_common_args' || name === 'ansible_ssh_extra_args';
}

/** Separates Ansible connection variables from ordinary ones, typing them as Ansible does. */
export function splitAnsibleVars(input: Record<string, unknown>): SplitAnsibleVars {
  const connection: SplitAnsibleVars['connection'] = {};
  const vars: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    const field = ANSIBLE_CONNECTION_VARS[key];
    if (field === 'become') connection.become = ansibleBoolean(value);
    // Another plugin name (docker, winrm) passes through unchanged for the schema to reject by name.
    else if (field === 'connection') connection.connection = typeof value === 'string' && Object.hasOwn(ANSIBLE_CONNECTION_PLUGINS, value) ? ANSIBLE_CONNECTION_PLUGINS[value] : value;
    else if (field === 'port' || field === 'connectTimeout') connection[field] = ansibleNumber(value);
    else if (field) connection[field] = typeof value === 'number' ? String(value) : value;
    else if (key === 'ansible_ssh_common_args' || key === 'ansible_ssh_extra_args') {
      const jump = proxyJumpFromArgs(value);
      if (jump) connection.proxyJump = jump;
      else vars[key] = value;
    } else vars[key] = value;
  }
  return { connection, vars };
}
