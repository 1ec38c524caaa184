/**
 * Module family `x509`: certificates from a private CA the playbook manages (openssl on the hosts).
 *
 * - `x509.certificate`: a key made on the host itself (it never leaves it) and a server certificate
 *   for it, signed by the CA on another host of the run (`ca.host`): the CSR travels to the CA host
 *   and the certificate back through the controller. Planned again when the certificate is missing,
 *   belongs to another key, names other names, does not chain to the CA, or expires within
 *   `renewBeforeDays`.
 * - `x509.caCertificate`: the CA's certificate installed on a host that verifies peers with it.
 *
 * Either makes the CA on `ca.host` when it does not exist yet (EC P-256 key, 0600, root's), so the
 * first host of a run that needs it creates it, once, under a lock.
 */
import { z } from 'zod';
import { TaskError } from '../../errors.ts';
import { moduleFunction } from '../../task/task.ts';
import { sh } from '../../transport/quote.ts';
import { caCertPath, ensureCa, readCaCertificate, signCsr, type CaSpec } from './ca.ts';
import { certificateReadCommand, parseCertificateFacts, wantedAltNames, type CertificateFacts } from './read.ts';
import type { Change, Module, Plan, TaskContext } from '../../task/types.ts';

const absolutePath = z.string().regex(/^\/[^\0\n]*$/, 'must be an absolute path');
const mode = z.string().regex(/^0?[0-7]{3}$/, 'an octal mode like 0644');

const caSchema = z.strictObject({
  /** The inventory host that keeps the CA key (it must take part in the run). */
  host: z.string().min(1),
  dir: absolutePath.default('/etc/shipshape/ca'),
  commonName: z.string().min(1).default('shipshape private CA'),
  days: z.number().int().min(1).default(3650),
});

export const x509CertificateSchema = z.strictObject({
  ca: caSchema,
  key: absolutePath,
  cert: absolutePath,
  /** Names the certificate is for; at least one name or address. */
  dnsNames: z.array(z.string().regex(/^[A-Za-z0-9*]([A-Za-z0-9.-]*[A-Za-z0-9])?$/, 'not a DNS name')).default([]),
  ipAddresses: z.array(z.string().regex(/^\d{1,3}(\.\d{1,3}){3}$/, 'not an IPv4 address')).default([]),
  days: z.number().int().min(2).default(365),
  renewBeforeDays: z.number().int().min(1).default(30),
  /** Owner and group of the key (mode 0600 unless `keyMode`); the certificate is 0644 root's. */
  keyOwner: z.string().default('root'),
  keyGroup: z.string().default('root'),
  keyMode: mode.default('0600'),
}).refine((a) => a.dnsNames.length + a.ipAddresses.length > 0, { message: 'give at least one of dnsNames, ipAddresses', path: ['dnsNames'] })
  .refine((a) => a.renewBeforeDays < a.days, { message: 'must be less than days', path: ['renewBeforeDays'] });

export const x509CaCertificateSchema = z.strictObject({
  ca: caSchema,
  /** Where the CA's certificate goes on this host (0644). */
  dest: absolutePath,
});

export type X509CertificateArgs = z.output<typeof x509CertificateSchema>;
export type X509CaCertificateArgs = z.output<typeof x509CaCertificateSchema>;

export interface CertificatePlanData {
  makeCa: boolean;
  makeKey: boolean;
  sign: boolean;
}

/** Pure planner: the host's key and certificate against the wanted names and the CA. */
export function planCertificate(facts: CertificateFacts, args: X509CertificateArgs, caExists: boolean): Plan<CertificatePlanData> {
  const changes: Change[] = [];
  const makeCa = !caExists;
  if (makeCa) changes.push({ description: `create the private CA on ${args.ca.host} (${args.ca.dir})` });
  const makeKey = facts.keyPublic === '';
  if (makeKey) changes.push({ description: `generate key ${args.key}` });
  const wanted = wantedAltNames(args.dnsNames, args.ipAddresses);
  const reasons: string[] = [];
  if (facts.certPublic === '') reasons.push('none yet');
  else {
    if (makeKey || facts.certPublic !== facts.keyPublic) reasons.push('for another key');
    if (wanted.join(',') !== facts.altNames.join(',')) reasons.push(`names ${facts.altNames.join(', ') || 'none'}`);
    if (!caExists || !facts.verified) reasons.push('not signed by the CA');
    if (!facts.fresh) reasons.push(`expires within ${args.renewBeforeDays} days`);
  }
  const sign = reasons.length > 0;
  if (sign) changes.push({ description: `certificate ${args.cert} for ${wanted.join(', ')} from the CA on ${args.ca.host} (${reasons.join('; ')})` });
  return { changes, data: { makeCa, makeKey, sign } };
}

const where = (ctx: TaskContext) => ({ host: ctx.host.name, task: ctx.task });
const spec = (ca: X509CertificateArgs['ca']): CaSpec => ca;

async function planCert(ctx: TaskContext, args: X509CertificateArgs): Promise<Plan<CertificatePlanData>> {
  const caCert = await readCaCertificate(ctx.peer(args.ca.host, { connect: true }), spec(args.ca), where(ctx));
  const read = await ctx.exec(certificateReadCommand({ key: args.key, cert: args.cert, renewBeforeDays: args.renewBeforeDays, haveCa: caCert !== '' }), {
    become: true,
    stdin: caCert,
  });
  if (read.exitCode !== 0) throw new TaskError(`cannot read ${args.key} / ${args.cert}: ${read.stderr.trim()}`, where(ctx));
  return planCertificate(parseCertificateFacts(read.stdout), args, caCert !== '');
}

/** Writes `text` to `path` whole (temporary file, then rename), with owner, group and mode. */
function writeWhole(path: string, owner: string, group: string, fileMode: string): string {
  return sh`umask 077 && t=$(mktemp ${`${path}.XXXXXX`}) && cat > "$t" && chown ${`${owner}:${group}`} "$t" && chmod ${fileMode} "$t" && mv -f "$t" ${path}`;
}

async function applyCert(ctx: TaskContext, args: X509CertificateArgs, planned: Plan<CertificatePlanData>): Promise<void> {
  const { makeKey, sign } = planned.data;
  const caConn = ctx.peer(args.ca.host, { connect: true });
  await ensureCa(caConn, spec(args.ca), where(ctx));
  const dirs = [...new Set([args.key, args.cert].map((p) => p.slice(0, p.lastIndexOf('/')) || '/'))];
  await ctx.run(sh`mkdir -p -- ${dirs}`, { become: true });
  if (makeKey) {
    // Made here and never sent anywhere: only its CSR leaves the host.
    await ctx.run(
      sh`umask 077 && t=$(mktemp ${`${args.key}.XXXXXX`}) && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$t" && ` +
        sh`chown ${`${args.keyOwner}:${args.keyGroup}`} "$t" && chmod ${args.keyMode} "$t" && mv -f "$t" ${args.key}`,
      { become: true },
    );
  }
  if (sign) {
    const cn = args.dnsNames[0] ?? args.ipAddresses[0];
    const csr = await ctx.run(sh`openssl req -new -key ${args.key} -subj ${`/CN=${cn}`}`, { become: true });
    const cert = await signCsr(caConn, spec(args.ca), csr.stdout, { altNames: wantedAltNames(args.dnsNames, args.ipAddresses), days: args.days }, where(ctx));
    await ctx.run(writeWhole(args.cert, 'root', 'root', '0644'), { become: true, stdin: cert });
  }
}

export const x509CertificateModule: Module<X509CertificateArgs, CertificatePlanData, z.input<typeof x509CertificateSchema>> = {
  name: 'x509.certificate',
  schema: x509CertificateSchema,
  describe: (args) => `certificate ${args.cert} from the CA on ${args.ca.host}`,
  plan: planCert,
  apply: applyCert,
};

interface CaCopyPlanData {
  makeCa: boolean;
}

async function planCaCopy(ctx: TaskContext, args: X509CaCertificateArgs): Promise<Plan<CaCopyPlanData>> {
  const caCert = await readCaCertificate(ctx.peer(args.ca.host, { connect: true }), spec(args.ca), where(ctx));
  const here = await ctx.exec(sh`cat -- ${args.dest} 2>/dev/null; true`, { become: true });
  const changes: Change[] = [];
  if (caCert === '') changes.push({ description: `create the private CA on ${args.ca.host} (${args.ca.dir})` });
  if (caCert === '' || here.stdout !== caCert) {
    changes.push(caCert === '' ? { description: `install its certificate as ${args.dest}` } : { description: `${args.dest}: the CA certificate of ${args.ca.host}`, diff: { path: args.dest, before: here.stdout, after: caCert } });
  }
  return { changes, data: { makeCa: caCert === '' } };
}

async function applyCaCopy(ctx: TaskContext, args: X509CaCertificateArgs): Promise<void> {
  const caCert = await ensureCa(ctx.peer(args.ca.host, { connect: true }), spec(args.ca), where(ctx));
  const dir = args.dest.slice(0, args.dest.lastIndexOf('/')) || '/';
  await ctx.run(sh`mkdir -p -- ${dir}`, { become: true });
  await ctx.run(writeWhole(args.dest, 'root', 'root', '0644'), { become: true, stdin: caCert });
}

export const x509CaCertificateModule: Module<X509CaCertificateArgs, CaCopyPlanData, z.input<typeof x509CaCertificateSchema>> = {
  name: 'x509.caCertificate',
  schema: x509CaCertificateSchema,
  describe: (args) => `CA certificate ${args.dest} from ${args.ca.host}`,
  plan: planCaCopy,
  apply: applyCaCopy,
};

/** `x509.certificate({ ca: { host: 'lb-01' }, key, cert, dnsNames: ['web-01'], ipAddresses: ['10.0.0.4'] })` */
export const certificate = moduleFunction(x509CertificateModule);
/** `x509.caCertificate({ ca: { host: 'lb-01' }, dest: '/etc/haproxy/backend-ca.crt' })` */
export const caCertificate = moduleFunction(x509CaCertificateModule);
export { caCertPath };
