import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { revealed } from '../../secrets/secret.ts';
import type { HttpAnswer, HttpCheckArgs } from './schema.ts';

const MAX_REDIRECTS = 10;

/** One request made from the controller (fromHost: false); a string is the reason no answer came. */
export async function requestFromController(args: HttpCheckArgs, baseDir: string, url = args.url, redirects = 0): Promise<HttpAnswer | string> {
  const ca = args.caFile ? await readFile(path.resolve(baseDir, args.caFile)) : undefined;
  const headers = Object.fromEntries(Object.entries(args.headers).map(([k, v]) => [k, revealed(v)]));
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : http;
  const answer = await new Promise<(HttpAnswer & { location?: string }) | string>((resolve) => {
    const request = client.request(
      target,
      { method: args.method, headers, timeout: args.timeout * 1000, rejectUnauthorized: args.validateCerts, ...(ca ? { ca } : {}) },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), location: response.headers.location }),
        );
        response.on('error', (error) => resolve(error.message));
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${args.timeout}s`)));
    request.on('error', (error) => resolve(error.message));
    request.end(args.body);
  });
  if (typeof answer !== 'string' && args.followRedirects && answer.location && answer.status >= 300 && answer.status < 400) {
    if (redirects >= MAX_REDIRECTS) return `more than ${MAX_REDIRECTS} redirects`;
    return requestFromController(args, baseDir, new URL(answer.location, target).toString(), redirects + 1);
  }
  return typeof answer === 'string' ? answer : { status: answer.status, body: answer.body };
}
