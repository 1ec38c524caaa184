import type { HostFacts } from './types.ts';
import { parseOsRelease } from './os-release.ts';
import { section, splitSections } from './sections.ts';

/** Pure parser of FACTS_SCRIPT's output; tested on output recorded from real hosts. */
export function parseFacts(stdout: string): HostFacts {
  const sections = splitSections(stdout);
  const osr = parseOsRelease(section(sections, 'os-release'));
  const id = osr.ID ?? 'unknown';
  const addresses = parseIpAddr(section(sections, 'addr'));
  const hostname = section(sections, 'hostname').split('\n')[0]?.trim() ?? '';
  const fqdn = section(sections, 'fqdn').split('\n')[0]?.trim() || hostname;
  const defaultDevice = parseDefaultRouteDevice(section(sections, 'route'));
  const defaultIpv4 = addresses.find((a) => a.family === 'inet' && a.device === defaultDevice)?.address;

  return {
    os: {
      id,
      version: osr.VERSION_ID ?? '',
      codename: osr.VERSION_CODENAME ?? osr.UBUNTU_CODENAME ?? '',
      name: osr.PRETTY_NAME ?? osr.NAME ?? id,
      family: [...new Set([...(osr.ID_LIKE ?? '').split(/\s+/).filter(Boolean), id])],
    },
    kernel: section(sections, 'kernel'),
    arch: section(sections, 'arch'),
    hostname,
    fqdn,
    // Loopback and link-local addresses are never how anyone reaches a host: left out.
    ipv4: addresses.filter((a) => a.family === 'inet' && a.scope !== 'host' && a.scope !== 'link').map((a) => a.address),
    ipv6: addresses.filter((a) => a.family === 'inet6' && a.scope !== 'host' && a.scope !== 'link').map((a) => a.address),
    ...(defaultIpv4 ? { defaultIpv4 } : {}),
    init: parseInit(section(sections, 'init')),
    packageManager: parsePackageManager(section(sections, 'pkg')),
    cpus: Number.parseInt(section(sections, 'nproc'), 10) || 1,
    memoryMb: parseMemTotalMb(section(sections, 'meminfo')),
    user: section(sections, 'user'),
  };
}

export interface InterfaceAddress {
  device: string;
  family: 'inet' | 'inet6';
  address: string;
  prefix: number;
  /** `global`, `link`, `host` (loopback). */
  scope: string;
}

/** `ip -o addr show`: one line per address, e.g. `2: eth0    inet 172.17.0.2/16 brd ... scope global eth0`. */
export function parseIpAddr(text: string): InterfaceAddress[] {
  const out: InterfaceAddress[] = [];
  for (const line of text.split('\n')) {
    const match = /^\d+:\s+(\S+?)(?:@\S+)?\s+(inet6?)\s+([0-9a-fA-F:.]+)\/(\d+)/.exec(line);
    if (!match) continue;
    const scope = /\sscope\s+(\S+)/.exec(line)?.[1] ?? 'global';
    out.push({ device: match[1], family: match[2] as 'inet' | 'inet6', address: match[3], prefix: Number(match[4]), scope });
  }
  return out;
}

/** `ip -o -4 route show default`: `default via 172.17.0.1 dev eth0 ...`. */
export function parseDefaultRouteDevice(text: string): string | undefined {
  return /\bdev\s+(\S+)/.exec(text)?.[1];
}

function parseInit(text: string): HostFacts['init'] {
  const lines = text.split('\n').map((l) => l.trim());
  return lines.includes('systemd') || lines.includes('systemd-booted') ? 'systemd' : 'other';
}

function parsePackageManager(text: string): HostFacts['packageManager'] {
  // Order matters: hosts with yum as a compatibility shim for dnf list both.
  const found = new Set(text.split('\n').map((l) => l.trim()));
  if (found.has('apt-get')) return 'apt';
  if (found.has('dnf')) return 'dnf';
  if (found.has('yum')) return 'yum';
  if (found.has('apk')) return 'apk';
  return 'unknown';
}

function parseMemTotalMb(text: string): number {
  const kb = /MemTotal:\s+(\d+)\s*kB/.exec(text)?.[1];
  return kb ? Math.round(Number(kb) / 1024) : 0;
}
