import https from 'node:https';
import http from 'node:http';
import net from 'node:net';

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * An HTTP(S) request to an address for a site name, like `curl --resolve name:port:address`: TLS
 * verifies the certificate for `name` against `ca` (no fallback to skipping verification).
 */
export function request(options: { address: string; name: string; path: string; tls: boolean; ca?: string; timeoutMs?: number }): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const common = {
      host: options.address,
      path: options.path,
      headers: { Host: options.name, Connection: 'close' },
      timeout: options.timeoutMs ?? 10_000,
    };
    const onResponse = (res: http.IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    };
    const req = options.tls
      ? https.request({ ...common, port: 443, servername: options.name, ca: options.ca, rejectUnauthorized: true, agent: false }, onResponse)
      : http.request({ ...common, port: 80, agent: false }, onResponse);
    req.on('timeout', () => req.destroy(new Error(`timed out: ${options.address} ${options.path}`)));
    req.on('error', reject);
    req.end();
  });
}

/** Whether a TCP connection to address:port succeeds within the timeout (ufw drops: a timeout). */
export function canConnect(address: string, port: number, timeoutMs = 3000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: address, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('connect', () => done(true));
    socket.on('error', () => done(false));
  });
}
