import { ConfigError, Secret, z, type HostView } from 'shipshape';
import { ALERT_NAMES } from './alert-rules.ts';

/**
 * The site's contract with its inventory: what any inventory (TypeScript, YAML, Ansible INI) must
 * or may set to drive playbooks/site.ts. Validated per host with zod, so a missing or mistyped
 * variable is reported by name before anything changes.
 */
const secretish = z.union([z.string().min(1), z.instanceof(Secret)]);
const cidrList = z.union([z.string(), z.array(z.string())]).transform((v) => (Array.isArray(v) ? v : v.split(',').map((s) => s.trim()).filter(Boolean)));

export const siteVarsSchema = z.object({
  /** Names on the certificate; the first is canonical. */
  domains: z.union([z.string(), z.array(z.string()).min(1)]).transform((v) => (Array.isArray(v) ? v : v.split(',').map((s) => s.trim()))),
  acmeEmail: z.string().email(),
  /** ACME directory URL (default: Let's Encrypt production). */
  acmeServer: z.string().url().default('https://acme-v02.api.letsencrypt.org/directory'),
  /** Path on the controller of a CA bundle to trust for acmeServer (private ACME servers). */
  acmeCaBundle: z.string().optional(),
  /** CIDRs allowed to reach SSH. */
  sshAllowFrom: cidrList.default(['0.0.0.0/0']),
  /** Inventory name of the MySQL primary; the other `db` hosts replicate from it. */
  mysqlPrimary: z.string(),
  /** An extra apt source line for MySQL, pinned low so nothing else upgrades from it. */
  mysqlAptRepository: z.string().optional(),
  /** The release MySQL packages are installed from (apt -t), e.g. `sid`. */
  mysqlAptRelease: z.string().optional(),
  mysqlAppPassword: secretish,
  mysqlReplicationPassword: secretish,
  /**
   * Semi-synchronous replication: the primary's commit waits until a replica has the transaction,
   * so an acknowledged write survives the primary's death. Both plugins load on every db host.
   */
  mysqlSemiSync: z.boolean().default(false),
  /** How long (ms) the primary waits for that acknowledgement before it goes on asynchronously. */
  mysqlSemiSyncTimeoutMs: z.coerce.number().int().min(1).default(10000),
  /**
   * The site's public address, floating between the two `lb` hosts (keepalived VRRP), e.g.
   * `203.0.113.10` or `203.0.113.10/24`. Used only when the lb group has exactly two hosts.
   */
  virtualAddress: z
    .string()
    .regex(/^\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?$/, 'expected an IPv4 address, optionally with a prefix: 203.0.113.10/24')
    .optional(),
  /** The interface that carries the private addresses and the floating one. */
  vrrpInterface: z.string().regex(/^[A-Za-z0-9_.:-]+$/).default('eth0'),
  /** VRRP router id (1-255), unique per floating address on the network. */
  vrrpRouterId: z.coerce.number().int().min(1).max(255).default(51),
  /** Take the address back when the first lb returns (a second, short interruption) or leave it. */
  vrrpPreempt: z.boolean().default(false),
  /**
   * TLS on the load balancer → web hop: Nginx serves a certificate from a private CA the playbook
   * keeps on the first lb host, HAProxy verifies it. `false`: plain HTTP on port 80, as a private
   * network you trust would allow.
   */
  backendTls: z.boolean().default(true),
  /** The private CA's directory on the first lb host (its key never leaves that host). */
  backendCaDir: z.string().regex(/^\/[\w./-]+$/).default('/etc/shipshape/ca'),
  /** The address other hosts use to reach this one (default: its inventory address). */
  privateAddress: z.string().optional(),
  // Defaults for everything else.
  appName: z.string().regex(/^[a-z][a-z0-9-]*$/).default('app'),
  appUser: z.string().default('app'),
  appPort: z.coerce.number().int().default(8000),
  appDatabase: z.string().regex(/^\w+$/).default('app'),
  appDbUser: z.string().default('app'),
  appReleasesToKeep: z.coerce.number().int().min(1).default(5),
  haproxyBalance: z.string().default('roundrobin'),
  haproxyMaxconn: z.coerce.number().int().default(4096),
  haproxyStatsPort: z.coerce.number().int().default(8404),
  acmeHttpPort: z.coerce.number().int().default(8888),
  mysqlReplicationUser: z.string().default('replication'),
  basePackages: z.array(z.string()).default(['ca-certificates', 'curl', 'ufw']),
  // ---- monitoring (group `monitoring`; see README "Monitoring") ----
  /** Where Alertmanager posts alerts (a secret: webhook URLs often carry a token). Required with a monitoring host. */
  alertWebhookUrl: secretish.optional(),
  /** Password of the mysqld exporter's account (PROCESS, REPLICATION CLIENT, SELECT). Required with a monitoring host. */
  mysqlExporterPassword: secretish.optional(),
  /** `for:` durations per alert, over the defaults in roles/alert-rules.ts. */
  alertFor: z.partialRecord(z.enum(ALERT_NAMES), z.string().regex(/^\d+[smh]$|^0s$/, 'a duration like 30s, 5m, 1h')).default({}),
  /** Days before a served certificate expires that CertificateExpiringSoon fires. */
  alertCertificateDays: z.coerce.number().positive().default(14),
  /** keepalived's floating address (probed, and watched for one holder); defaults to virtualAddress with two lb hosts. */
  floatingAddress: z.string().optional(),
  monitoringScrapeInterval: z.string().default('15s'),
  alertGroupWait: z.string().default('30s'),
  alertGroupInterval: z.string().default('5m'),
  alertRepeatInterval: z.string().default('4h'),
  /** Also install a local webhook receiver on the monitoring host that records posts to a file (lab, first steps). */
  alertRecorder: z.boolean().default(false),
  /** Lab only: its ACME server makes a new issuing root at every start, which the probe cannot know in advance. */
  probeSkipTlsVerify: z.boolean().default(false),
});

export type SiteVars = z.output<typeof siteVarsSchema>;

export function siteVars(host: Pick<HostView, 'name' | 'vars'>): SiteVars {
  const parsed = siteVarsSchema.safeParse(host.vars);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(vars)'}: ${i.message}`).join('\n');
  throw new ConfigError(`host ${host.name}: site variables are invalid:\n${problems}`, { host: host.name });
}

/** The address other hosts use to reach `name`: its `privateAddress`, else its inventory address. */
export function addressOf(host: HostView, name: string): string {
  const peer = host.inventory.hosts[name];
  if (!peer) throw new ConfigError(`host ${host.name}: unknown host "${name}" (mysqlPrimary or a group member)`, { host: host.name });
  const privateAddress = peer.vars.privateAddress;
  return typeof privateAddress === 'string' && privateAddress !== '' ? privateAddress : peer.address;
}

export function groupMembers(host: HostView, group: string): string[] {
  return host.inventory.groups[group] ?? [];
}

export interface LbPair {
  /** This host's private address (keepalived's unicast source) and the peer's. */
  self: string;
  peer: string;
  peerName: string;
  /** The floating address and its prefix. */
  address: string;
  prefix: number;
  /** The first lb host of the inventory starts with the higher priority. */
  first: boolean;
}

/**
 * The keepalived pair this lb host belongs to, or undefined when the site has one load balancer
 * (or no virtualAddress): then the site is exactly the single-lb site.
 */
export function lbPair(host: HostView): LbPair | undefined {
  const vars = siteVars(host);
  const lbs = groupMembers(host, 'lb');
  if (!vars.virtualAddress || lbs.length < 2 || !lbs.includes(host.name)) return undefined;
  if (lbs.length > 2) {
    throw new ConfigError(`host ${host.name}: virtualAddress needs exactly two lb hosts, the lb group has ${lbs.length} (${lbs.join(', ')})`, { host: host.name });
  }
  const [address, prefix] = vars.virtualAddress.split('/');
  const peerName = lbs.find((name) => name !== host.name)!;
  return { self: addressOf(host, host.name), peer: addressOf(host, peerName), peerName, address, prefix: prefix ? Number(prefix) : 32, first: lbs[0] === host.name };
}

/** Where the backend TLS files live: the CA (on the first lb host) and each web host's key and certificate. */
export const BACKEND_TLS = {
  caCertOnLb: '/etc/haproxy/backend-ca.crt',
  key: '/etc/nginx/shipshape-backend.key',
  cert: '/etc/nginx/shipshape-backend.crt',
  port: 443,
} as const;

/** The private CA of the backend hop, or undefined when backendTls is off or there is no lb host. */
export function backendCa(host: HostView): { host: string; dir: string; commonName: string } | undefined {
  const vars = siteVars(host);
  const [first] = groupMembers(host, 'lb');
  if (!vars.backendTls || !first) return undefined;
  return { host: first, dir: vars.backendCaDir, commonName: `${vars.domains[0]} backend CA` };
}
