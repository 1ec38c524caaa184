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
  /** Semi-synchronous replication is enabled: alert when the primary falls back to async. */
  mysqlSemiSync: z.boolean().default(false),
  /** keepalived's floating address, when the load balancers are a pair (probed, and watched for one holder). */
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
