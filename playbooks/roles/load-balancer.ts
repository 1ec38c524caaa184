import path from 'node:path';
import { apt, certbot, command, file, service, x509, type HostView, type TaskList } from 'shipshape';
import { MONITORING_PORTS, monitoringEnabled } from './monitoring.ts';
import { addressOf, backendCa, BACKEND_TLS, groupMembers, lbPair, siteVars } from './site-vars.ts';

export const HAPROXY_PEM = '/etc/haproxy/certs/site.pem';
/** Where HAProxy's runtime state (drain/maint) is saved before a reload; the drop-in writes the same path. */
export const HAPROXY_SERVER_STATE = '/var/lib/haproxy/server-state';

/** HAProxy in front of the web hosts: round robin with health checks, HTTP → HTTPS. */
export function loadBalancerRole(host: HostView): TaskList {
  const vars = siteVars(host);
  const ca = backendCa(host);
  const backends = groupMembers(host, 'web').map((name) => ({ name, address: addressOf(host, name), port: ca ? BACKEND_TLS.port : 80 }));
  const pair = lbPair(host);
  return [
    apt.packages({ names: ['haproxy', 'certbot', 'openssl', 'socat'], updateCache: true, cacheValidTime: 3600 }, { name: 'load balancer packages', tags: ['packages', 'lb'] }),
    file.directory({ path: path.dirname(HAPROXY_PEM), owner: 'root', group: 'haproxy', mode: '0750' }, { tags: ['lb'] }),
    // HAProxy refuses to start without its certificate; a short-lived self-signed one stands in
    // until certbot's deploy hook writes the real one over it.
    command.shell(
      {
        command: `set -e; d=$(mktemp -d); openssl req -x509 -newkey rsa:2048 -nodes -days 7 -subj "/CN=${vars.domains[0]}" -keyout "$d/key" -out "$d/crt" 2>/dev/null; umask 077; cat "$d/crt" "$d/key" > ${HAPROXY_PEM}.tmp; mv ${HAPROXY_PEM}.tmp ${HAPROXY_PEM}; rm -rf "$d"`,
        creates: HAPROXY_PEM,
      },
      { name: 'placeholder certificate', tags: ['lb', 'tls'] },
    ),
    // HAProxy verifies the web hosts' certificates against the private CA (made on the first lb host).
    ca && x509.caCertificate({ ca, dest: BACKEND_TLS.caCertOnLb }, { name: 'backend CA certificate', notify: 'reload haproxy', tags: ['lb', 'tls'] }),
    file.template(
      {
        src: '../templates/haproxy.cfg.ejs',
        dest: '/etc/haproxy/haproxy.cfg',
        mode: '0644',
        validate: 'haproxy -c -q -f %s',
        vars: {
          backends,
          balance: vars.haproxyBalance,
          maxconn: vars.haproxyMaxconn,
          statsPort: vars.haproxyStatsPort,
          acmeHttpPort: vars.acmeHttpPort,
          certificatePem: HAPROXY_PEM,
          serverStateFile: HAPROXY_SERVER_STATE,
          backendCaFile: ca ? BACKEND_TLS.caCertOnLb : undefined,
          // On a keepalived pair, ACME challenges this node's certbot is not answering go to the peer's.
          ...(pair ? { acmePeers: [{ name: pair.peerName, address: pair.peer }] } : {}),
          metricsBind: monitoringEnabled(host) ? `${addressOf(host, host.name)}:${MONITORING_PORTS.haproxy}` : null,
        },
      },
      { name: 'haproxy configuration', notify: 'reload haproxy', tags: ['lb'] },
    ),
    // The runtime state saved before each reload, so a reload (a certificate renewal) during a
    // deploy does not put a drained server back into rotation.
    file.directory({ path: '/etc/systemd/system/haproxy.service.d', mode: '0755' }, { tags: ['lb'] }),
    file.copy(
      { src: 'files/haproxy/server-state.conf', dest: '/etc/systemd/system/haproxy.service.d/server-state.conf', mode: '0644' },
      { name: 'haproxy keeps drain/maint across reloads', tags: ['lb'] },
    ),
    service({ name: 'haproxy', state: 'started', enabled: true, daemonReload: true }, { name: 'haproxy running', tags: ['lb'] }),
  ];
}

/**
 * The certificate, after the load balancer's handlers have run (site.ts flushes them), so HAProxy
 * already routes /.well-known/acme-challenge/ to certbot's standalone server on the side port.
 */
export function certificateRole(host: HostView): TaskList {
  const vars = siteVars(host);
  return [
    certbot.certificate(
      {
        domains: vars.domains,
        email: vars.acmeEmail,
        server: vars.acmeServer,
        caBundle: vars.acmeCaBundle,
        method: 'standalone',
        httpPort: vars.acmeHttpPort,
        deployHook: { haproxyPem: HAPROXY_PEM, reloadService: 'haproxy' },
      },
      { name: `certificate for ${vars.domains.join(', ')}`, tags: ['lb', 'tls'] },
    ),
  ];
}

export const loadBalancerHandlers = {
  'reload haproxy': service({ name: 'haproxy', state: 'reloaded' }),
};
