/**
 * The two kinds of request the controller makes to the ACME test server: HTTPS to pebble (trusting
 * only the endpoint CA made at the container's start) and plain HTTP to pebble-challtestsrv's
 * management API. node:https, because fetch cannot be given a CA per request on Node 20.
 */
import http from 'node:http';
import https from 'node:https';
import { LabError } from '../../errors.ts';

export interface HttpAnswer {
  status: number;
  body: string;
}

const TIMEOUT_MS = 10_000;

function collect(request: http.ClientRequest, url: string, body?: string): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.setTimeout(TIMEOUT_MS, () => request.destroy(new Error(`no answer from ${url} within ${TIMEOUT_MS / 1000} s`)));
    request.on('error', reject);
    request.end(body);
  });
}

/** GET over HTTPS, trusting exactly `ca` (not the system store); `extra` adds request options (SNI, Host). */
export function httpsGet(url: string, ca: string, extra: https.RequestOptions = {}): Promise<HttpAnswer> {
  return collect(https.request(url, { ...extra, method: 'GET', ca }), url);
}

/** POST a JSON body over plain HTTP. */
export function httpPostJson(url: string, payload: unknown): Promise<HttpAnswer> {
  const body = JSON.stringify(payload);
  return collect(http.request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }), url, body);
}

/** An answer that must be 200, or a LabError naming the request. */
export function expectOk(answer: HttpAnswer, what: string): string {
  if (answer.status !== 200) throw new LabError(`${what}: HTTP ${answer.status} ${answer.body.slice(0, 200)}`);
  return answer.body;
}
