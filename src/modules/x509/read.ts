/**
 * What the x509 modules read, as one remote command each and a pure parser: a key and certificate
 * on the host (does the certificate belong to the key, name the wanted names, chain to the CA,
 * stay valid long enough) and the CA's certificate on the CA host. The command prints one
 * `--- name` section per fact; an absent file prints an empty section.
 */
import { sh } from '../../transport/quote.ts';

export interface CertificateFacts {
  /** sha256 of the key's public half; '' when there is no readable key. */
  keyPublic: string;
  /** sha256 of the certificate's public key; '' when there is no certificate. */
  certPublic: string;
  /** DNS names and IP addresses of the certificate's subjectAltName, sorted, e.g. `DNS:web-01`. */
  altNames: string[];
  /** The certificate is still valid `renewBeforeDays` from now. */
  fresh: boolean;
  /** `openssl verify` against the CA's certificate (fed on stdin) succeeded. */
  verified: boolean;
  /** The text of the installed copy of the CA certificate; '' when absent. */
  caCopy: string;
}

const SECTIONS = ['key', 'cert', 'names', 'fresh', 'verify', 'cacopy'] as const;

/**
 * The read command. The CA certificate, when there is one, comes on stdin (it is public; stdin
 * keeps argv short); `verify` is skipped without it.
 */
export function certificateReadCommand(p: { key: string; cert: string; caCopy?: string; renewBeforeDays: number; haveCa: boolean }): string {
  const seconds = String(p.renewBeforeDays * 86_400);
  const pub = 'openssl sha256 -r | cut -c1-64';
  return [
    sh`echo '--- key'; test -s ${p.key} && openssl pkey -in ${p.key} -pubout 2>/dev/null | ` + pub,
    sh`echo '--- cert'; test -s ${p.cert} && openssl x509 -in ${p.cert} -noout -pubkey 2>/dev/null | ` + pub,
    sh`echo '--- names'; test -s ${p.cert} && openssl x509 -in ${p.cert} -noout -ext subjectAltName 2>/dev/null`,
    sh`echo '--- fresh'; test -s ${p.cert} && openssl x509 -in ${p.cert} -noout -checkend ${seconds} >/dev/null 2>&1 && echo yes`,
    p.haveCa
      ? sh`echo '--- verify'; test -s ${p.cert} && openssl verify -CAfile /dev/stdin ${p.cert} >/dev/null 2>&1 && echo yes`
      : `echo '--- verify'`,
    p.caCopy ? sh`echo '--- cacopy'; cat -- ${p.caCopy} 2>/dev/null` : `echo '--- cacopy'`,
    'true',
  ].join('; ');
}

function sections(stdout: string): Record<(typeof SECTIONS)[number], string> {
  const out = {} as Record<(typeof SECTIONS)[number], string>;
  const lines = stdout.split('\n');
  let current: (typeof SECTIONS)[number] | undefined;
  const buffers: Record<string, string[]> = {};
  for (const line of lines) {
    const marker = /^--- (\w+)$/.exec(line);
    if (marker && (SECTIONS as readonly string[]).includes(marker[1]) && !(marker[1] in buffers)) {
      current = marker[1] as (typeof SECTIONS)[number];
      buffers[current] = [];
      continue;
    }
    if (current) buffers[current].push(line);
  }
  for (const name of SECTIONS) out[name] = (buffers[name] ?? []).join('\n');
  return out;
}

/** `X509v3 Subject Alternative Name: \n    DNS:web-01, IP Address:10.0.0.4` → `['DNS:web-01', 'IP:10.0.0.4']`. */
export function parseAltNames(text: string): string[] {
  const body = text
    .split('\n')
    .filter((line) => !/Subject Alternative Name/i.test(line))
    .join(',');
  return body
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => part.replace(/^IP Address:/, 'IP:'))
    .sort();
}

export function parseCertificateFacts(stdout: string): CertificateFacts {
  const s = sections(stdout);
  return {
    keyPublic: s.key.trim(),
    certPublic: s.cert.trim(),
    altNames: parseAltNames(s.names),
    fresh: s.fresh.trim() === 'yes',
    verified: s.verify.trim() === 'yes',
    // cat prints the file as it is; the section joiner adds nothing but the line breaks it split on.
    caCopy: s.cacopy.replace(/\n$/, '') === '' ? '' : `${s.cacopy.replace(/\n+$/, '')}\n`,
  };
}

/** The SAN list the module wants, in the form parseAltNames returns. */
export function wantedAltNames(dnsNames: string[], ipAddresses: string[]): string[] {
  return [...dnsNames.map((name) => `DNS:${name}`), ...ipAddresses.map((ip) => `IP:${ip}`)].sort();
}
