/**
 * The ACME test server's image recipe and start script. The image is the lab image plus Debian's
 * `pebble` package (pebble and, on Debian 13, pebble-challtestsrv) and this script; its tag hashes
 * the base image and everything below, so it is rebuilt exactly when one of them changes.
 */
import { createHash } from 'node:crypto';

export const ACME_IMAGE_REPOSITORY = 'shipshape-acme';
export const ACME_PACKAGES = ['pebble', 'openssl'] as const;

/** Where the start script keeps the endpoint's CA and pebble's config (tmpfs-like: per start). */
export const ACME_STATE_DIR = '/run/shipshape-acme';
export const ACME_START_SCRIPT_PATH = '/usr/local/sbin/shipshape-acme-start';

export const ACME_PORTS = {
  /** The ACME API (directory at /dir). */
  acme: 14000,
  /** pebble's management API: /roots/0 is the issuing root of this run. */
  management: 15000,
  /** pebble-challtestsrv's DNS, which pebble's validator asks. */
  dns: 8053,
  /** pebble-challtestsrv's management API (add-a, clear-a). */
  dnsManagement: 8055,
} as const;

/**
 * Runs as the container's command (no systemd needed: two foreground programs). Every start makes
 * a new CA for the ACME endpoint's TLS (ECDSA P-256, valid for the container's address and name),
 * then pebble-challtestsrv with only its DNS server on, then pebble, whose validator asks that DNS.
 * The validator connects to port 80 (HTTP-01) and 443 (TLS-ALPN-01) of the address DNS returns, as
 * Let's Encrypt does. No default A/AAAA answer: only the names the controller adds resolve.
 * SHIPSHAPE_ACME_VALIDITY (seconds) shortens the certificates pebble issues (to test renewals).
 */
export const ACME_START_SCRIPT = `#!/bin/sh
set -eu
dir=${ACME_STATE_DIR}
rm -rf "$dir"
mkdir -p -m 0755 "$dir"
cd "$dir"
# Every IPv4 address of the container (not \`hostname -i\`: a custom hostname may resolve elsewhere).
addrs=$(ip -4 -o addr show scope global | awk '{ split($4, a, "/"); print a[1] }')
addr=$(echo "$addrs" | head -n 1)
name=$(hostname)
san="DNS:$name,IP:127.0.0.1,DNS:localhost"
for a in $addrs; do san="$san,IP:$a"; done
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \\
  -subj "/CN=shipshape lab ACME endpoint CA $addr" -keyout ca.key -out ca.pem 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$addr" \\
  -keyout key.pem -out server.csr 2>/dev/null
printf 'subjectAltName=%s\\nbasicConstraints=critical,CA:FALSE\\nkeyUsage=critical,digitalSignature\\nextendedKeyUsage=serverAuth\\n' "$san" > server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 -extfile server.ext -out cert.pem 2>/dev/null
rm -f ca.key server.csr
validity=\${SHIPSHAPE_ACME_VALIDITY:-157766400}
cat > pebble.json <<JSON
{"pebble": {
  "listenAddress": "0.0.0.0:${ACME_PORTS.acme}",
  "managementListenAddress": "0.0.0.0:${ACME_PORTS.management}",
  "certificate": "$dir/cert.pem",
  "privateKey": "$dir/key.pem",
  "httpPort": 80,
  "tlsPort": 443,
  "ocspResponderURL": "",
  "externalAccountBindingRequired": false,
  "certificateValidityPeriod": $validity
}}
JSON
pebble-challtestsrv -defaultIPv4 '' -defaultIPv6 '' -http01 '' -https01 '' -tlsalpn01 '' -doh '' \\
  -dns01 :${ACME_PORTS.dns} -management :${ACME_PORTS.dnsManagement} &
# No random validation delays, no rejected nonces, no reused authorizations: every order really
# validates, at once.
export PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0
exec pebble -config pebble.json -dnsserver 127.0.0.1:${ACME_PORTS.dns}
`;

/** Installs the packages and the start script, in a container of the base image (as root). */
export function acmeBuildScript(): string {
  return [
    'set -eu',
    'export DEBIAN_FRONTEND=noninteractive',
    'apt-get update -q',
    `apt-get install -y -q --no-install-recommends ${ACME_PACKAGES.join(' ')}`,
    'apt-get clean',
    'rm -rf /var/lib/apt/lists/*',
    `cat > ${ACME_START_SCRIPT_PATH}`,
    `chmod 0755 ${ACME_START_SCRIPT_PATH}`,
  ].join('\n');
}

/** `shipshape-acme:<first 12 hex of sha256(base image, packages, scripts)>`. */
export function acmeImageTag(baseImage: string): string {
  const hash = createHash('sha256')
    .update(JSON.stringify({ baseImage, packages: ACME_PACKAGES, build: acmeBuildScript(), start: ACME_START_SCRIPT }))
    .digest('hex');
  return `${ACME_IMAGE_REPOSITORY}:${hash.slice(0, 12)}`;
}
