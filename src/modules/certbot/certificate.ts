/**
 * certbot: `certbot.certificate` obtains a certificate by HTTP-01 (certbot's standalone server on a
 * side port behind the load balancer, or a webroot) and keeps it: renewal timer enabled, renewal
 * settings matching the task, and a deploy hook building HAProxy's PEM and reloading it.
 * Plans from one probe command; applies only the planned steps.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../../errors.ts';
import { writeRemoteAtomic } from '../../transport/remote-files.ts';
import { sh } from '../../transport/quote.ts';
import { caBundleDropIn, deployHookScript } from './files.ts';
import { planCertificate, type CertbotPlanData, type WantedFiles } from './plan.ts';
import { parseProbe, probeCommand } from './probe.ts';
import {
  certificatePaths,
  certificateSchema,
  serverUrl,
  type CertificateArgs,
  type CertificateInput,
  type CertificatePaths,
} from './schema.ts';
import type { Module, TaskContext } from '../../task/types.ts';

/** An ACME order with real validation takes seconds; a stuck one should not hold the run forever. */
const CERTONLY_TIMEOUT_MS = 5 * 60_000;

async function readCaBundle(ctx: TaskContext, args: CertificateArgs): Promise<string | undefined> {
  if (args.caBundle === undefined) return undefined;
  const file = path.resolve(ctx.baseDir, args.caBundle);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`caBundle ${args.caBundle}: cannot read ${file} (${(error as NodeJS.ErrnoException).code})`, { file, field: 'caBundle', cause: error });
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ConfigError(`caBundle ${file}: no PEM certificate in it`, { file, field: 'caBundle' });
  }
  return text.endsWith('\n') ? text : `${text}\n`;
}

async function wantedFiles(ctx: TaskContext, args: CertificateArgs, paths: CertificatePaths): Promise<WantedFiles> {
  const caBundle = await readCaBundle(ctx, args);
  return {
    hook: deployHookScript(args, paths),
    caBundle,
    dropIn: caBundle === undefined ? undefined : caBundleDropIn(paths),
  };
}

/** The certonly command line; the CA bundle (a path on the host) goes in the environment. */
export function certonlyCommand(args: CertificateArgs, paths: CertificatePaths, force: boolean): string {
  const domains = args.domains.flatMap((domain) => ['-d', domain]);
  const method =
    args.method === 'webroot' ? ['--webroot', '-w', args.webroot!] : ['--standalone', '--http-01-port', String(args.httpPort)];
  const options = [
    ...method,
    ...(args.keyType ? ['--key-type', args.keyType] : []),
    // Without it certbot keeps a lineage it considers fine; we only get here when it is not.
    ...(force ? ['--force-renewal'] : []),
  ];
  const env = args.caBundle === undefined ? '' : sh`REQUESTS_CA_BUNDLE=${paths.caBundle} `;
  return `${env}${sh`certbot certonly --non-interactive --agree-tos --no-eff-email -m ${args.email} --server ${serverUrl(args)} --cert-name ${paths.name} ${domains} ${options}`}`;
}

/** Runs the deploy hook unless the PEM already matches the live certificate (certbot ran it). */
function buildPemCommand(pem: string, paths: CertificatePaths): string {
  return sh`live=$(cat -- ${paths.live}/fullchain.pem ${paths.live}/privkey.pem | sha256sum)
have=$(sha256sum < ${pem} 2>/dev/null || true)
if [ "$live" != "$have" ] || [ "$(stat -c %a -- ${pem})" != 600 ]; then RENEWED_LINEAGE=${paths.live} ${paths.hook}; fi`;
}

async function applyPlan(ctx: TaskContext, args: CertificateArgs, paths: CertificatePaths, wanted: WantedFiles, data: CertbotPlanData): Promise<void> {
  if (data.writeCaBundle) {
    await ctx.run(sh`mkdir -p -m 0755 -- ${path.posix.dirname(paths.caBundle)}`);
    await writeRemoteAtomic(ctx, paths.caBundle, wanted.caBundle!, { owner: 'root', group: 'root', mode: '0644' });
  }
  if (data.writeDropIn) {
    await ctx.run(sh`mkdir -p -m 0755 -- ${path.posix.dirname(paths.dropIn)}`);
    await writeRemoteAtomic(ctx, paths.dropIn, wanted.dropIn!, { owner: 'root', group: 'root', mode: '0644' });
    await ctx.run('systemctl daemon-reload');
  }
  // Before certonly: certbot runs the deploy hooks after it obtains a certificate.
  if (data.writeHook) {
    await ctx.run(sh`mkdir -p -m 0755 -- ${path.posix.dirname(paths.hook)}`);
    await writeRemoteAtomic(ctx, paths.hook, wanted.hook!, { owner: 'root', group: 'root', mode: '0755' });
  }
  if (data.removeHook) await ctx.run(sh`rm -f -- ${paths.hook}`);
  if (data.certonly) await ctx.run(certonlyCommand(args, paths, data.certonly.force), { timeoutMs: CERTONLY_TIMEOUT_MS });
  const pem = args.deployHook?.haproxyPem;
  if (data.buildPem && pem) await ctx.run(buildPemCommand(pem, paths));
  if (data.enableTimer || data.startTimer) await ctx.run('systemctl enable --now certbot.timer');
}

export const certbotCertificateModule: Module<CertificateArgs, CertbotPlanData, CertificateInput> = {
  name: 'certbot.certificate',
  schema: certificateSchema,
  describe: (args) => `certificate for ${args.domains.join(', ')}`,
  async plan(ctx, args) {
    const paths = certificatePaths(args);
    const wanted = await wantedFiles(ctx, args, paths);
    const result = await ctx.run(probeCommand(paths, args.deployHook?.haproxyPem));
    return planCertificate(args, paths, parseProbe(result.stdout), wanted, { host: ctx.host.name, task: ctx.task });
  },
  async apply(ctx, args, plan) {
    const paths = certificatePaths(args);
    await applyPlan(ctx, args, paths, await wantedFiles(ctx, args, paths), plan.data);
  },
};

/** `certbot.certificate({ domains: ['example.com'], email: 'ops@example.com', deployHook: { haproxyPem, reloadService: 'haproxy' } })` */
