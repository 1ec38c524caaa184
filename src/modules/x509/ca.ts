/**
 * The private CA's side, run on the CA host over its connection: made once (under a lock, since
 * every host that needs a certificate may ask for it at the same moment), read, and signing a CSR.
 * The CA key never leaves the CA host: CSRs come in on stdin, certificates go out on stdout.
 */
import { randomBytes } from 'node:crypto';
import { TaskError } from '../../errors.ts';
import { sh } from '../../transport/quote.ts';
import type { HostConnection } from '../../transport/types.ts';

export interface CaSpec {
  host: string;
  dir: string;
  commonName: string;
  days: number;
}

export const caKeyPath = (ca: CaSpec) => `${ca.dir}/ca.key`;
export const caCertPath = (ca: CaSpec) => `${ca.dir}/ca.crt`;

type Where = { host: string; task: string };

/** The CA's certificate, or '' when the CA does not exist yet. */
export async function readCaCertificate(conn: HostConnection, ca: CaSpec, where: Where): Promise<string> {
  const result = await conn.exec(sh`test -s ${caKeyPath(ca)} && cat -- ${caCertPath(ca)} || true`, { become: true });
  if (result.exitCode !== 0) throw new TaskError(`cannot read the CA on ${ca.host}: ${result.stderr.trim()}`, where);
  return result.stdout;
}

/** Makes the CA unless it exists (key 0600 root, in a 0700 directory); returns its certificate. */
export async function ensureCa(conn: HostConnection, ca: CaSpec, where: Where): Promise<string> {
  const key = caKeyPath(ca);
  const cert = caCertPath(ca);
  const script =
    sh`set -e; umask 077; mkdir -p ${ca.dir}; chmod 0700 ${ca.dir}; exec 9>${`${ca.dir}/.lock`}; flock 9; ` +
    sh`if ! test -s ${key}; then openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ${`${key}.new`}; ` +
    sh`openssl req -x509 -new -key ${`${key}.new`} -subj ${`/CN=${ca.commonName}`} -days ${String(ca.days)} ` +
    sh`-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -out ${`${cert}.new`}; ` +
    sh`chmod 0644 ${`${cert}.new`}; mv -f ${`${cert}.new`} ${cert}; mv -f ${`${key}.new`} ${key}; fi; cat -- ${cert}`;
  const result = await conn.exec(`bash -c ${quoteForBash(script)}`, { become: true });
  if (result.exitCode !== 0) throw new TaskError(`cannot make the private CA in ${ca.dir} on ${ca.host}: ${result.stderr.trim()}`, where);
  return result.stdout;
}

/** Signs `csr` with the CA: a server certificate for exactly `altNames` (`DNS:x`, `IP:y`). */
export async function signCsr(conn: HostConnection, ca: CaSpec, csr: string, p: { altNames: string[]; days: number }, where: Where): Promise<string> {
  const extensions = [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth',
    `subjectAltName=${p.altNames.join(',')}`,
  ].join('\n');
  const serial = `0x${randomBytes(16).toString('hex')}`;
  // The extensions go through a temporary file: `openssl x509 -req` reads them only from a file.
  const script =
    sh`set -e; t=$(mktemp); trap 'rm -f "$t"' EXIT; printf '%s\n' ${extensions} > "$t"; ` +
    sh`openssl x509 -req -in /dev/stdin -CA ${caCertPath(ca)} -CAkey ${caKeyPath(ca)} -set_serial ${serial} -days ${String(p.days)} -extfile "$t"`;
  const result = await conn.exec(`bash -c ${quoteForBash(script)}`, { become: true, stdin: csr });
  if (result.exitCode !== 0 || !result.stdout.includes('BEGIN CERTIFICATE')) {
    throw new TaskError(`the CA on ${ca.host} did not sign the request: ${result.stderr.trim() || 'no certificate'}`, where);
  }
  return result.stdout;
}

function quoteForBash(script: string): string {
  return sh`${script}`;
}
