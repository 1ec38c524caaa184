/**
 * ufw's state, read in one remote command from the files ufw itself reads (exact rule tuples,
 * policies, log level, the boot-time ENABLED flag) plus the first line of `ufw status`, the only
 * place that tells whether the firewall is loaded right now (`ufw disable`, or a failed start at
 * boot, leaves the files saying otherwise).
 */
import { section, splitSections } from '../../facts/sections.ts';
import { PRINT_FILE } from '../../transport/shell-snippets.ts';
import { unmapIpv4 } from './address.ts';
import { parseUserRules, type UfwRule } from './tuples.ts';

export type Policy = 'allow' | 'deny' | 'reject';
export type LogLevel = 'off' | 'low' | 'medium' | 'high' | 'full';

/** Where this SSH session comes from and arrives, as sshd saw it ($SSH_CONNECTION). */
export interface SshSession {
  client: string;
  server: string;
  serverPort: number;
}

export interface UfwState {
  installed: boolean;
  /** `ufw status` says active: the rules are loaded in the kernel now. */
  active: boolean;
  /** ENABLED=yes in ufw.conf: started at boot. */
  enabledAtBoot: boolean;
  policies: { incoming: Policy; outgoing: Policy; routed: Policy };
  logLevel: LogLevel;
  /** IPV6=yes in /etc/default/ufw: `any` rules cover IPv6 too. */
  ipv6: boolean;
  rules: UfwRule[];
  /** null when the session is not an SSH session or its origin cannot be found. */
  ssh: SshSession | null;
}

/**
 * Under become, sudo's env_reset drops SSH_CONNECTION, so walk up the process tree to the login
 * shell that still has it in its environment (root may read any process's environ).
 */
const SSH_CONNECTION_SCRIPT = `c=\${SSH_CONNECTION:-}; p=$$
while [ -z "$c" ] && [ "\${p:-1}" -gt 1 ]; do
  while IFS= read -r -d '' kv; do case $kv in SSH_CONNECTION=*) c=\${kv#SSH_CONNECTION=}; break ;; esac; done 2>/dev/null < /proc/$p/environ
  q=; while read -r k v; do [ "$k" = PPid: ] && { q=$v; break; }; done 2>/dev/null < /proc/$p/status; p=$q
done
printf '%s\\n' "$c"`;

export function probeCommand(): string {
  return [
    '(',
    'export LC_ALL=C PATH="$PATH:/usr/sbin:/sbin"',
    PRINT_FILE,
    'echo @@ufw; command -v ufw || true',
    // `ufw status` starts Python (the slowest probe of a no-op run). Its first line only
    // says whether the ufw-user-{input,output,forward} chains exist (ufw's backend_iptables
    // get_status), so ask iptables directly, once for all three; when iptables itself fails (not
    // root, no iptables) ufw answers instead, its stderr joined to stdout so "You need to be root"
    // reaches the parser instead of vanishing.
    'echo @@status; if command -v ufw >/dev/null; then if r=$(iptables -S 2>/dev/null); then s="Status: active"; ' +
      'for d in input output forward; do case "$r"$\'\\n\' in *"-N ufw-user-$d"$\'\\n\'*) ;; *) s="Status: inactive" ;; esac; done; ' +
      'else s=$(ufw status 2>&1 | head -n1); fi; printf \'%s\\n\' "$s"; fi',
    'echo @@conf; ss_cat /etc/ufw/ufw.conf',
    'echo @@defaults; ss_cat /etc/default/ufw',
    'echo @@rules4; ss_cat /etc/ufw/user.rules',
    'echo @@rules6; ss_cat /etc/ufw/user6.rules',
    'echo @@ssh',
    SSH_CONNECTION_SCRIPT,
    'echo @@end',
    ')',
  ].join('\n');
}

/** KEY=value and KEY="value" lines of a shell-style config file (ufw.conf, /etc/default/ufw). */
export function parseShellVars(text: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2].trim();
    const quoted = /^"(.*)"$/.exec(value) ?? /^'(.*)'$/.exec(value);
    if (quoted) value = quoted[1];
    vars.set(m[1], value);
  }
  return vars;
}

const POLICY: Record<string, Policy> = { ACCEPT: 'allow', DROP: 'deny', REJECT: 'reject' };

function policy(vars: Map<string, string>, key: string): Policy {
  // ufw's own defaults when a key is missing.
  const fallback = key === 'DEFAULT_OUTPUT_POLICY' ? 'ACCEPT' : 'DROP';
  return POLICY[(vars.get(key) ?? fallback).toUpperCase()] ?? 'deny';
}

/** `Status: active` / `Status: inactive`; anything else is an error text. */
export function parseStatusLine(line: string): boolean | null {
  const m = /^Status: (active|inactive)\b/.exec(line.trim());
  return m ? m[1] === 'active' : null;
}

/** `$SSH_CONNECTION`: "client_ip client_port server_ip server_port". */
export function parseSshConnection(text: string): SshSession | null {
  const m = /^(\S+) \d+ (\S+) (\d+)$/.exec(text.trim());
  if (!m) return null;
  return { client: unmapIpv4(m[1]), server: unmapIpv4(m[2]), serverPort: Number(m[3]) };
}

export class UfwProbeError extends Error {}

export function parseProbe(stdout: string): UfwState {
  const sections = splitSections(stdout);
  if (!sections.has('end')) throw new UfwProbeError(`the ufw probe did not finish:\n${stdout.slice(-500)}`);
  const installed = section(sections, 'ufw') !== '';
  const statusLine = section(sections, 'status');
  const active = parseStatusLine(statusLine);
  if (installed && active === null) throw new UfwProbeError(`ufw status answered: ${statusLine || '(nothing)'}`);
  const conf = parseShellVars(section(sections, 'conf'));
  const defaults = parseShellVars(section(sections, 'defaults'));
  const level = (conf.get('LOGLEVEL') ?? 'low').toLowerCase();
  return {
    installed,
    active: active ?? false,
    enabledAtBoot: (conf.get('ENABLED') ?? 'no').toLowerCase() === 'yes',
    policies: {
      incoming: policy(defaults, 'DEFAULT_INPUT_POLICY'),
      outgoing: policy(defaults, 'DEFAULT_OUTPUT_POLICY'),
      routed: policy(defaults, 'DEFAULT_FORWARD_POLICY'),
    },
    logLevel: (['off', 'low', 'medium', 'high', 'full'].includes(level) ? level : 'low') as LogLevel,
    ipv6: (defaults.get('IPV6') ?? 'yes').toLowerCase() === 'yes',
    rules: parseUserRules(section(sections, 'rules4'), section(sections, 'rules6')),
    ssh: parseSshConnection(section(sections, 'ssh')),
  };
}
