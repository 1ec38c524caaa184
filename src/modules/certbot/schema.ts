/** certbot.certificate's arguments and the values derived from them (server URL, cert name, paths). */
import { z } from 'zod';

export const LETS_ENCRYPT = 'https://acme-v02.api.letsencrypt.org/directory';
export const LETS_ENCRYPT_STAGING = 'https://acme-staging-v02.api.letsencrypt.org/directory';

// A DNS name as certbot accepts it for HTTP-01 (no wildcards: those need DNS-01).
const domainName = z
  .string()
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i, 'not a DNS name (wildcards need DNS-01, which this module does not do)')
  .transform((name) => name.toLowerCase());

const absolutePath = z.string().startsWith('/', 'must be an absolute path');

export const certificateSchema = z
  .object({
    /** Names on the certificate; the first is canonical and names the certificate unless certName. */
    domains: z.array(domainName).min(1),
    certName: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, dot, dash and underscore only').optional(),
    /** The ACME account's contact (used when the account is registered). */
    email: z.string().email(),
    /** ACME directory URL (default: Let's Encrypt's, or its staging with `staging`). */
    server: z.url({ protocol: /^https$/ }).optional(),
    /** Local path (on the controller, relative to the playbook) of a PEM to trust for `server`. */
    caBundle: z.string().min(1).optional(),
    staging: z.boolean().default(false),
    method: z.enum(['standalone', 'webroot']).default('standalone'),
    /** standalone: the port certbot's own HTTP server listens on (e.g. 8888 behind HAProxy). */
    httpPort: z.number().int().min(1).max(65535).default(80),
    /** webroot: the directory the web server serves /.well-known/acme-challenge/ from. */
    webroot: absolutePath.optional(),
    deployHook: z
      .object({
        /** Where to write full chain + private key concatenated (HAProxy's `crt`), mode 0600. */
        haproxyPem: absolutePath.optional(),
        /** Reloaded after each new certificate (only when it is running). */
        reloadService: z.string().regex(/^[A-Za-z0-9@._-]+$/, 'a systemd unit name').optional(),
      })
      .strict()
      .refine((hook) => hook.haproxyPem !== undefined || hook.reloadService !== undefined, 'give haproxyPem, reloadService or both')
      .optional(),
    /** Key algorithm; when omitted, whatever certbot makes (ECDSA since certbot 2.0) is kept. */
    keyType: z.enum(['ecdsa', 'rsa']).optional(),
    /** Renew when the certificate expires within this many days (certbot's own default). */
    renewBeforeDays: z.number().int().min(1).default(30),
  })
  .strict()
  .refine((args) => !(args.staging && args.server), { message: 'give server or staging, not both', path: ['staging'] })
  .refine((args) => (args.method === 'webroot') === (args.webroot !== undefined), {
    message: 'webroot is required with method "webroot" and only allowed with it',
    path: ['webroot'],
  })
  .refine((args) => new Set(args.domains).size === args.domains.length, { message: 'domains must not repeat', path: ['domains'] });

export type CertificateArgs = z.output<typeof certificateSchema>;
export type CertificateInput = z.input<typeof certificateSchema>;

/** Where everything of one certificate lives on the host. */
export interface CertificatePaths {
  name: string;
  live: string;
  renewal: string;
  /** Deploy hook certbot runs after each renewal (our name: shipshape-<cert name>.sh). */
  hook: string;
  /** The uploaded CA bundle for a private ACME server. */
  caBundle: string;
  /** systemd drop-in giving certbot.service (the renewal timer's job) REQUESTS_CA_BUNDLE. */
  dropIn: string;
}

export function certName(args: CertificateArgs): string {
  return args.certName ?? args.domains[0];
}

export function serverUrl(args: CertificateArgs): string {
  return args.server ?? (args.staging ? LETS_ENCRYPT_STAGING : LETS_ENCRYPT);
}

export function certificatePaths(args: CertificateArgs): CertificatePaths {
  const name = certName(args);
  return {
    name,
    live: `/etc/letsencrypt/live/${name}`,
    renewal: `/etc/letsencrypt/renewal/${name}.conf`,
    hook: `/etc/letsencrypt/renewal-hooks/deploy/shipshape-${name}.sh`,
    // One per host: REQUESTS_CA_BUNDLE is process-wide, so certbot renewals can trust one bundle.
    caBundle: '/etc/letsencrypt/shipshape/ca-bundle.pem',
    dropIn: '/etc/systemd/system/certbot.service.d/shipshape-ca-bundle.conf',
  };
}
