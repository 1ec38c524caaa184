import { ConfigError, Secret, z, type HostView } from 'shipshape';

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
