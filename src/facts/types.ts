/** Facts gathered once per host per run, in one command. */
export interface HostFacts {
  os: {
    /** `debian`, `ubuntu`, ... (os-release ID). */
    id: string;
    /** `13`, `24.04` (os-release VERSION_ID). */
    version: string;
    /** `trixie`, `noble` (os-release VERSION_CODENAME). */
    codename: string;
    /** os-release PRETTY_NAME. */
    name: string;
    /** os-release ID_LIKE plus ID, e.g. ['debian'] for Ubuntu. */
    family: string[];
  };
  kernel: string;
  arch: string;
  hostname: string;
  fqdn: string;
  ipv4: string[];
  ipv6: string[];
  /** Address of the interface carrying the default route, when there is one. */
  defaultIpv4?: string;
  init: 'systemd' | 'other';
  packageManager: 'apt' | 'dnf' | 'yum' | 'apk' | 'unknown';
  cpus: number;
  memoryMb: number;
  /** The login user of the SSH session. */
  user: string;
}
