/**
 * The pure half of certbot.certificate: given what the probe read and what the task wants, the
 * changes to make. A valid certificate for exactly the wanted names, from the wanted server, with
 * the wanted key type and renewal settings, not expiring within renewBeforeDays, is no change.
 */
import { TaskError, type ErrorContext } from '../../errors.ts';
import type { Change } from '../../task/types.ts';
import type { CertbotProbe, FileState } from './probe.ts';
import { certName, serverUrl, type CertificateArgs, type CertificatePaths } from './schema.ts';

export interface WantedFiles {
  /** The deploy hook's text, when the task has a deployHook. */
  hook?: string;
  /** The CA bundle's text, when the task has a caBundle. */
  caBundle?: string;
  /** The certbot.service drop-in's text, when the task has a caBundle. */
  dropIn?: string;
}

export interface CertbotPlanData {
  /** Run `certbot certonly`; `force` when a lineage exists (else certbot keeps a cert it deems fine). */
  certonly?: { force: boolean };
  writeCaBundle: boolean;
  writeDropIn: boolean;
  writeHook: boolean;
  removeHook: boolean;
  /** Rebuild the HAProxy PEM (by running the hook) unless certbot's own hook run already did. */
  buildPem: boolean;
  enableTimer: boolean;
  startTimer: boolean;
}

const DAY = 86_400;
const HOOK_MODE = '755';
const PEM_MODE = '600';

function sameServer(a: string, b: string): boolean {
  return a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}

/** Why the current certificate will not do, or undefined when it will. */
export function certificateVerdict(args: CertificateArgs, probe: CertbotProbe): { line: string } | undefined {
  const server = serverUrl(args);
  const names = args.domains.join(', ');
  const name = certName(args);
  const cert = probe.cert;
  if (!cert) {
    const why = probe.certError ? ` (current cert.pem unreadable: ${probe.certError})` : '';
    return { line: `obtain certificate for ${names} (from ${server})${why}` };
  }
  const reasons: string[] = [];
  const wanted = new Set(args.domains);
  const have = new Set(cert.names);
  const added = args.domains.filter((domain) => !have.has(domain));
  const removed = cert.names.filter((domain) => !wanted.has(domain));
  if (added.length || removed.length) {
    reasons.push(`names changed (${[...added.map((d) => `+${d}`), ...removed.map((d) => `-${d}`)].join(', ')})`);
  }
  const params = probe.renewal?.params ?? {};
  const currentServer = params.server;
  if (!currentServer) reasons.push('no renewal configuration');
  else if (!sameServer(currentServer, server)) reasons.push(`server changed (${currentServer} → ${server})`);
  if (args.keyType && cert.keyType !== args.keyType) reasons.push(`key type ${cert.keyType} → ${args.keyType}`);
  if (currentServer) reasons.push(...renewalSettingChanges(args, probe));
  if (reasons.length) return { line: `reissue certificate ${name}: ${reasons.join(', ')}` };
  const daysLeft = Math.floor((cert.notAfter - probe.now) / DAY);
  if (cert.notAfter <= probe.now) return { line: `renew certificate ${name} (expired ${Math.max(1, -daysLeft)} days ago)` };
  if (cert.notAfter - probe.now < args.renewBeforeDays * DAY) return { line: `renew certificate ${name} (expires in ${daysLeft} days)` };
  return undefined;
}

/**
 * The renewal config is what the timer's `certbot renew` will use: a port or webroot that no longer
 * matches the setup would make the next renewal fail months from now, so it counts as drift.
 */
function renewalSettingChanges(args: CertificateArgs, probe: CertbotProbe): string[] {
  const params = probe.renewal?.params ?? {};
  const changes: string[] = [];
  const authenticator = params.authenticator ?? '(none)';
  if (authenticator !== args.method) return [`authenticator ${authenticator} → ${args.method}`];
  if (args.method === 'standalone') {
    const port = params.http01_port ?? '80';
    if (port !== String(args.httpPort)) changes.push(`http01_port ${port} → ${args.httpPort}`);
  } else {
    const stale = args.domains.filter((domain) => probe.renewal?.webrootMap[domain] !== args.webroot);
    if (stale.length) changes.push(`webroot for ${stale.join(', ')} → ${args.webroot}`);
  }
  return changes;
}

function fileDiffers(current: FileState | undefined, content: string, mode?: string): boolean {
  return !current || current.content !== content || (mode !== undefined && current.mode !== mode);
}

function fileChange(description: string, path: string, current: FileState | undefined, after: string): Change {
  return { description, diff: { path, before: current?.content ?? '', after } };
}

export function planCertificate(
  args: CertificateArgs,
  paths: CertificatePaths,
  probe: CertbotProbe,
  wanted: WantedFiles,
  context: ErrorContext = {},
): { changes: Change[]; data: CertbotPlanData } {
  if (!probe.certbot) {
    throw new TaskError('certbot is not installed (install the certbot package first, e.g. with apt.packages)', context);
  }
  if (!probe.openssl) throw new TaskError('openssl is not installed (needed to read the current certificate)', context);
  if (!probe.timer.enabled || probe.timer.enabled === 'not-found') {
    throw new TaskError('certbot.timer does not exist: renewals would never run (is this a systemd host with Debian/Ubuntu certbot?)', context);
  }
  const changes: Change[] = [];
  const data: CertbotPlanData = {
    writeCaBundle: false,
    writeDropIn: false,
    writeHook: false,
    removeHook: false,
    buildPem: false,
    enableTimer: false,
    startTimer: false,
  };

  if (wanted.caBundle !== undefined && fileDiffers(probe.caBundle, wanted.caBundle)) {
    data.writeCaBundle = true;
    changes.push(fileChange(`${probe.caBundle ? 'update' : 'upload'} CA bundle for ${serverUrl(args)} to ${paths.caBundle}`, paths.caBundle, probe.caBundle, wanted.caBundle));
  }
  if (wanted.dropIn !== undefined && fileDiffers(probe.dropIn, wanted.dropIn)) {
    data.writeDropIn = true;
    changes.push(fileChange(`let certbot renewals trust ${paths.caBundle} (${paths.dropIn})`, paths.dropIn, probe.dropIn, wanted.dropIn));
  }
  if (wanted.hook !== undefined && fileDiffers(probe.hook, wanted.hook, HOOK_MODE)) {
    data.writeHook = true;
    const what = probe.hook && probe.hook.content === wanted.hook ? `set mode ${HOOK_MODE} on deploy hook ${paths.hook}` : `${probe.hook ? 'update' : 'write'} deploy hook ${paths.hook}`;
    changes.push(fileChange(what, paths.hook, probe.hook, wanted.hook));
  } else if (wanted.hook === undefined && probe.hook) {
    data.removeHook = true;
    changes.push(fileChange(`remove deploy hook ${paths.hook} (no deployHook any more)`, paths.hook, probe.hook, ''));
  }

  const verdict = certificateVerdict(args, probe);
  if (verdict) {
    data.certonly = { force: probe.cert !== undefined || probe.renewal !== undefined };
    changes.push({ description: verdict.line });
  }

  const pemPath = args.deployHook?.haproxyPem;
  if (pemPath) {
    let why: string | undefined;
    if (verdict) why = 'from the new certificate';
    else if (!probe.pem) why = 'missing';
    else if (!probe.pem.sha256 || probe.pem.sha256 !== probe.liveBundleSha256) why = 'does not match the live certificate';
    else if (probe.pem.mode !== PEM_MODE) why = `mode ${probe.pem.mode} → ${PEM_MODE}`;
    if (why) {
      data.buildPem = true;
      const reload = args.deployHook?.reloadService ? ` and reload ${args.deployHook.reloadService}` : '';
      changes.push({ description: `build HAProxy PEM ${pemPath} (${why})${reload}` });
    }
  }

  if (probe.timer.enabled !== 'enabled') {
    data.enableTimer = true;
    changes.push({ description: `enable certbot.timer (renewals; now ${probe.timer.enabled})` });
  }
  if (probe.timer.active !== 'active') {
    data.startTimer = true;
    changes.push({ description: `start certbot.timer (now ${probe.timer.active || 'unknown'})` });
  }
  return { changes, data };
}
