/**
 * The files certbot.certificate puts next to certbot: the deploy hook (HAProxy wants the full chain
 * and the key in ONE file, which certbot does not write) and the systemd drop-in that lets the
 * renewal timer reach a private ACME server. Pure text builders, unit-tested.
 */
import { quote, sh } from '../../transport/quote.ts';
import type { CertificateArgs, CertificatePaths } from './schema.ts';

/**
 * certbot runs every script in renewal-hooks/deploy after each certificate it renews (and after
 * `certonly`), with RENEWED_LINEAGE set to that certificate's live directory: the hook acts only
 * for its own certificate. Run by hand (no RENEWED_LINEAGE) it rebuilds and reloads too.
 * The PEM is written to a temporary file with mode 0600 first and renamed, so HAProxy never reads
 * a half-written key and the key is never readable by others, not even for a moment.
 */
export function deployHookScript(args: CertificateArgs, paths: CertificatePaths): string | undefined {
  const hook = args.deployHook;
  if (!hook) return undefined;
  const lines = [
    '#!/bin/sh',
    `# Written by shipshape (certbot.certificate ${paths.name}); changes here are overwritten.`,
    'set -eu',
    sh`lineage=${paths.live}`,
    'if [ -n "${RENEWED_LINEAGE:-}" ] && [ "$RENEWED_LINEAGE" != "$lineage" ]; then exit 0; fi',
  ];
  if (hook.haproxyPem) {
    lines.push(
      sh`pem=${hook.haproxyPem}`,
      'umask 077',
      'mkdir -p "$(dirname "$pem")"',
      'tmp=$(mktemp "$pem.XXXXXX")',
      `trap 'rm -f "$tmp"' EXIT`,
      'cat "$lineage/fullchain.pem" "$lineage/privkey.pem" > "$tmp"',
      'chmod 0600 "$tmp"',
      'mv -f "$tmp" "$pem"',
      'trap - EXIT',
    );
  }
  if (hook.reloadService) {
    // try-: a stopped service stays stopped (it reads the new files when it starts).
    lines.push(`systemctl try-reload-or-restart ${quote(hook.reloadService)}`);
  }
  return lines.join('\n') + '\n';
}

/** The drop-in for certbot.service, so `certbot renew` from the timer trusts the private CA too. */
export function caBundleDropIn(paths: CertificatePaths): string {
  return [
    '# Written by shipshape (certbot.certificate): certbot renewals trust this CA bundle.',
    '[Service]',
    `Environment=REQUESTS_CA_BUNDLE=${paths.caBundle}`,
    '',
  ].join('\n');
}
