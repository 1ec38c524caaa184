import { TaskError } from '../../errors.ts';
import { revealed } from '../../secrets/secret.ts';
import { sh } from '../../transport/quote.ts';
import type { TaskContext } from '../types.ts';
import type { HttpAnswer, HttpCheckArgs } from './schema.ts';

// Printed by curl's --write-out after the body; parsed from the end, so a body cannot fake it.
const STATUS_MARKER = '\n@@shipshape-http-status ';

export function curlCommand(args: HttpCheckArgs): string {
  const flags = [
    '-sS',
    '-X',
    args.method,
    '--max-time',
    String(args.timeout),
    // Headers come from stdin (`-H @-`): an Authorization secret never reaches a command line.
    ...(Object.keys(args.headers).length ? ['-H', '@-'] : []),
    ...(args.method === 'HEAD' ? ['--head'] : []),
    ...(args.body !== undefined ? ['--data-binary', args.body] : []),
    ...(args.followRedirects ? ['-L'] : []),
    ...(args.validateCerts ? [] : ['-k']),
    ...(args.caFile ? ['--cacert', args.caFile] : []),
    '-w',
    `${STATUS_MARKER}%{http_code}\n`,
  ];
  // `--` ends curl's options, so a URL can never be read as one.
  return sh`if ! command -v curl >/dev/null 2>&1; then echo @@no-curl; exit 0; fi; curl ${flags} -- ${args.url}`;
}

export function headerLines(args: HttpCheckArgs): string {
  return Object.entries(args.headers)
    .map(([name, value]) => `${name}: ${revealed(value)}\n`)
    .join('');
}

/** Parses curl's output; a string is the reason no answer came (refused, timeout, TLS). */
export function parseCurlOutput(stdout: string, stderr: string, exitCode: number): HttpAnswer | string {
  const at = stdout.lastIndexOf(STATUS_MARKER);
  if (exitCode !== 0 || at < 0) {
    return stderr.trim().replace(/^curl: \(\d+\)\s*/, '') || `curl exited ${exitCode}`;
  }
  const status = Number.parseInt(stdout.slice(at + STATUS_MARKER.length), 10);
  return { status, body: stdout.slice(0, at) };
}

/** One request made by curl on the target host. */
export async function requestFromHost(ctx: TaskContext, args: HttpCheckArgs): Promise<HttpAnswer | string> {
  const headers = headerLines(args);
  const result = await ctx.exec(curlCommand(args), headers ? { stdin: headers } : {});
  if (result.stdout.startsWith('@@no-curl')) {
    // A fallback through bash's /dev/tcp could not do TLS, redirects or timeouts honestly.
    throw new TaskError(`curl is not installed on ${ctx.host.name}: install it (apt.packages { names: ['curl'] }) or set fromHost: false`, {
      host: ctx.host.name,
      task: ctx.task,
    });
  }
  return parseCurlOutput(result.stdout, result.stderr, result.exitCode);
}
