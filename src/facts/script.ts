/**
 * The one remote command that gathers a host's facts. Each section starts with a `@@name` marker
 * line so the parser can split the output without caring what the tools print; every probe
 * tolerates a missing tool (minimal images lack some) so one absent binary never fails the run.
 */
import { PRINT_FILE } from '../transport/shell-snippets.ts';

// Files are read with bash's own `read` (ss_cat, no process per file): on a busy host every fork
// counts, and this runs once per host before anything else can start.
export const FACTS_SCRIPT = [
  // A subshell, so nothing (LC_ALL, cwd, the helper) leaks into the persistent session that runs it.
  '(',
  'export LC_ALL=C',
  PRINT_FILE,
  'echo @@os-release; ss_cat /etc/os-release 2>/dev/null || ss_cat /usr/lib/os-release 2>/dev/null',
  // One uname for both; a kernel release has no spaces.
  'u=$(uname -rm)',
  'echo @@kernel; echo "${u% *}"',
  'echo @@arch; echo "${u##* }"',
  // /proc first: `hostname` is not an essential package on every distribution.
  'echo @@hostname; ss_cat /proc/sys/kernel/hostname 2>/dev/null || hostname',
  'echo @@fqdn; hostname -f 2>/dev/null || true',
  'echo @@addr; ip -o addr show 2>/dev/null || true',
  'echo @@route; ip -o -4 route show default 2>/dev/null || true',
  // PID 1's name plus the directory systemd creates at boot: the same test sd_booted(3) uses.
  'echo @@init; ss_cat /proc/1/comm 2>/dev/null; test -d /run/systemd/system && echo systemd-booted',
  'echo @@pkg; for m in apt-get dnf yum apk; do command -v $m >/dev/null 2>&1 && echo $m; done',
  // nproc: the CPUs this process may use (affinity, cgroups), not merely those present.
  'echo @@nproc; nproc 2>/dev/null || grep -c ^processor /proc/cpuinfo',
  'echo @@meminfo; while read -r k v; do [ "$k" = MemTotal: ] && { echo "$k $v"; break; }; done < /proc/meminfo',
  // Under sudo, the login user is SUDO_USER.
  'echo @@user; echo "${SUDO_USER:-$(id -un)}"',
  'echo @@end',
  ')',
].join('\n');
