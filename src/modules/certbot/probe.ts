/**
 * Everything certbot.certificate plans from, read in ONE remote command: is certbot there, the
 * live certificate (names, expiry, key algorithm, via openssl), the renewal config, the hash the
 * HAProxy PEM should have, and our own files. The private key is never printed: the PEM is
 * compared by sha256 of the concatenation, computed on the host.
 */
import { splitSections } from '../../facts/sections.ts';
import { sh } from '../../transport/quote.ts';
import { PRINT_NOW } from '../../transport/shell-snippets.ts';
import type { CertificatePaths } from './schema.ts';

export interface FileState {
  /** Permission bits in octal ("600"), as stat %a prints them. */
  mode: string;
  owner?: string;
  content?: string;
  sha256?: string;
}

export interface LiveCertificate {
  names: string[];
  /** Seconds since the epoch. */
  notAfter: number;
  serial: string;
  keyType: 'ecdsa' | 'rsa' | 'other';
}

export interface RenewalConf {
  /** `[renewalparams]` keys: server, authenticator, http01_port, key_type, webroot_path... */
  params: Record<string, string>;
  /** `[[webroot_map]]`: domain → webroot. */
  webrootMap: Record<string, string>;
}

export interface CertbotProbe {
  certbot: boolean;
  openssl: boolean;
  /** The host's clock, seconds since the epoch (expiry is judged by the host's time, as certbot does). */
  now: number;
  cert?: LiveCertificate;
  /** openssl could not read cert.pem: its message. */
  certError?: string;
  renewal?: RenewalConf;
  /** sha256 of fullchain.pem + privkey.pem: what the HAProxy PEM must hash to. */
  liveBundleSha256?: string;
  pem?: FileState;
  hook?: FileState;
  caBundle?: FileState;
  dropIn?: FileState;
  timer: { enabled: string; active: string };
}

// openssl prints only the public key part with these.
const KEY_ONLY = 'no_header,no_version,no_serial,no_signame,no_validity,no_subject,no_issuer,no_extensions,no_sigdump,no_aux';

/**
 * Our files' sections: `@@<name>-stat` ("mode owner", from ONE stat over all of them: a process per
 * file is most of what this probe costs on a busy host), then `@@<name>`: the exact text (`cat f;
 * echo`: the parser drops exactly that newline) or sha256sum's line for the PEM, whose key is never
 * printed.
 */
function filesProbe(files: Array<{ section: string; path: string; withContent: boolean }>): string[] {
  return [
    'declare -A st',
    // NUL-terminated: a path may end in a space or hold a newline. "mode owner path" each.
    `while IFS= read -r -d '' l; do m=\${l%% *}; l=\${l#* }; st[\${l#* }]="$m \${l%% *}"; done < <(${sh`stat --printf '%a %U %n\\0' -- ${files.map((f) => f.path)}`} 2>/dev/null)`,
    ...files.map(({ section, path, withContent }) =>
      [
        sh`f=${path}; echo @@${section}-stat; [ -n "\${st[$f]:-}" ] && echo "\${st[$f]}"`,
        sh`echo @@${section}; if [ -f "$f" ]; then ` + (withContent ? 'cat -- "$f"; echo; fi' : 'sha256sum < "$f"; fi'),
      ].join('\n'),
    ),
  ];
}

export function probeCommand(paths: CertificatePaths, haproxyPem: string | undefined): string {
  const cert = `${paths.live}/cert.pem`;
  return [
    // A subshell: nothing (LC_ALL, variables) leaks into the persistent session.
    '(',
    'export LC_ALL=C',
    'echo @@certbot; command -v certbot || true',
    'echo @@openssl; command -v openssl || true',
    `echo @@now; ${PRINT_NOW}`,
    // One openssl for dates, serial, names and (in the key-only text) the key algorithm.
    sh`echo @@cert; if [ -f ${cert} ] && command -v openssl >/dev/null; then openssl x509 -in ${cert} -noout -enddate -serial -ext subjectAltName -text -certopt ${KEY_ONLY} 2>&1; fi`,
    sh`echo @@renewal; if [ -f ${paths.renewal} ]; then cat -- ${paths.renewal}; echo; fi`,
    sh`echo @@live-bundle; if [ -f ${paths.live}/fullchain.pem ] && [ -f ${paths.live}/privkey.pem ]; then cat -- ${paths.live}/fullchain.pem ${paths.live}/privkey.pem | sha256sum; fi`,
    ...filesProbe([
      ...(haproxyPem ? [{ section: 'pem', path: haproxyPem, withContent: false }] : []),
      { section: 'hook', path: paths.hook, withContent: true },
      { section: 'ca-bundle', path: paths.caBundle, withContent: true },
      { section: 'drop-in', path: paths.dropIn, withContent: true },
    ]),
    // One systemctl for both (is-enabled + is-active would start two); a missing unit says LoadState=not-found.
    "echo @@timer; systemctl show -p LoadState,UnitFileState,ActiveState certbot.timer 2>/dev/null",
    'echo @@end',
    ')',
  ].join('\n');
}

/** The hash of a sha256sum line ("<64 hex>  -"), or undefined for none. */
function sha256Of(line: string): string | undefined {
  return /^[0-9a-f]{64}/.exec(line.trim())?.[0];
}

/** `notAfter=Nov 22 00:51:39 2031 GMT` → seconds since the epoch. */
export function parseOpensslDate(text: string): number | undefined {
  const match = /^([A-Z][a-z]{2})\s+(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4}) GMT$/.exec(text.trim());
  if (!match) return undefined;
  const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'].indexOf(match[1]);
  if (month < 0) return undefined;
  return Date.UTC(Number(match[6]), month, Number(match[2]), Number(match[3]), Number(match[4]), Number(match[5])) / 1000;
}

/** The `@@cert` section: openssl's -enddate, -serial, -ext subjectAltName and key algorithm lines. */
export function parseCertificate(text: string): { cert?: LiveCertificate; error?: string } {
  if (!text.trim()) return {};
  const notAfterLine = /^notAfter=(.*)$/m.exec(text);
  const notAfter = notAfterLine ? parseOpensslDate(notAfterLine[1]) : undefined;
  if (notAfter === undefined) return { error: text.trim().split('\n')[0] };
  const serial = /^serial=([0-9A-Fa-f]+)$/m.exec(text)?.[1] ?? '';
  // The SAN values follow the "X509v3 Subject Alternative Name:" header on one indented line.
  const sanLine = /Subject Alternative Name:[^\n]*\n\s+(.*)/.exec(text)?.[1] ?? '';
  const names = sanLine
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice(4).toLowerCase());
  const algorithm = /Public Key Algorithm: (\S+)/.exec(text)?.[1] ?? '';
  const keyType = algorithm === 'id-ecPublicKey' ? 'ecdsa' : algorithm === 'rsaEncryption' ? 'rsa' : 'other';
  return { cert: { names, notAfter, serial: serial.toLowerCase(), keyType } };
}

/** certbot's renewal config (configobj syntax): `key = value`, `[section]`, `[[subsection]]`. */
export function parseRenewalConf(text: string): RenewalConf {
  const conf: RenewalConf = { params: {}, webrootMap: {} };
  let section = '';
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (!line || line.startsWith('#')) continue;
    const header = /^\[+([^\]]+)\]+$/.exec(line);
    if (header) {
      section = header[1].trim();
      continue;
    }
    const pair = /^([^=]+?)\s*=\s*(.*)$/.exec(line);
    if (!pair) continue;
    if (section === 'renewalparams') conf.params[pair[1]] = pair[2];
    else if (section === 'webroot_map') conf.webrootMap[pair[1].toLowerCase()] = pair[2];
  }
  return conf;
}

function fileState(sections: Map<string, string>, name: string, withContent: boolean): FileState | undefined {
  const stat = (sections.get(`${name}-stat`) ?? '').trim();
  if (!stat) return undefined;
  const [mode, owner] = stat.split(' ');
  const body = sections.get(name) ?? '';
  return withContent ? { mode, owner, content: body } : { mode, owner, sha256: sha256Of(body) };
}

export function parseProbe(stdout: string): CertbotProbe {
  const sections = splitSections(stdout);
  const text = (name: string) => (sections.get(name) ?? '').trim();
  const { cert, error } = parseCertificate(text('cert'));
  const renewalText = sections.get('renewal') ?? '';
  const timer = text('timer');
  const property = (name: string) => new RegExp(`^${name}=(.*)$`, 'm').exec(timer)?.[1] ?? '';
  // What `systemctl is-enabled` would print: not-found for a unit that does not exist.
  const enabled = property('LoadState') === 'not-found' ? 'not-found' : property('UnitFileState');
  const active = property('ActiveState');
  return {
    certbot: text('certbot') !== '',
    openssl: text('openssl') !== '',
    now: Number(text('now')),
    cert,
    certError: error,
    renewal: renewalText.trim() ? parseRenewalConf(renewalText) : undefined,
    liveBundleSha256: sha256Of(text('live-bundle')),
    pem: fileState(sections, 'pem', false),
    hook: fileState(sections, 'hook', true),
    caBundle: fileState(sections, 'ca-bundle', true),
    dropIn: fileState(sections, 'drop-in', true),
    timer: { enabled: enabled.trim(), active: active.trim() },
  };
}
