import { TaskError } from '../../errors.ts';
import { revealed } from '../../secrets/secret.ts';
import { sh } from '../../transport/quote.ts';
import type { TaskContext } from '../../task/types.ts';
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
    // Headers and body come from stdin as a curl config (curlConfig): neither an Authorization
    // secret nor the body ever reaches a command line.
    ...(curlConfig(args) !== '' ? ['-K', '-'] : []),
    ...(args.method === 'HEAD' ? ['--head'] : []),
    ...(args.followRedirects ? ['-L'] : []),
    ...(args.validateCerts ? [] : ['-k']),
    ...(args.caFile ? ['--cacert', args.caFile] : []),
    '-w',
    `${STATUS_MARKER}%{http_code}\n`,
  ];
  // `--` ends curl's options, so a URL can never be read as one.
  return sh`if ! command -v curl >/dev/null 2>&1; then echo @@no-curl; exit 0; fi; curl ${flags} -- ${args.url}`;
}

/** A value in curl's config syntax: double-quoted, with its escapes (so one value stays one line). */
function configValue(text: string): string {
  const escapes: Record<string, string> = { '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v' };
  return `"${text.replace(/[\\"\n\r\t\v]/g, (c) => escapes[c])}"`;
}

/**
 * What curl reads from stdin (`-K -`): the headers, and the body as `data-raw`, which curl sends
 * as it is. On the command line `--data-binary @/etc/hostname` would make curl read that file on
 * the host and send it, and any body there shows in the host's process list.
 */
export function curlConfig(args: HttpCheckArgs): string {
  const lines = Object.entries(args.headers).map(([name, value]) => `header = ${configValue(`${name}: ${revealed(value)}`)}\n`);
  if (args.body !== undefined) lines.push(`data-raw = ${configValue(args.body)}\n`);
  return lines.join('');
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
  const config = curlConfig(args);
  const result = await ctx.exec(curlCommand(args), config ? { stdin: config } : {});
  if (result.stdout.startsWith('@@no-curl')) {
    // A fallback through bash's /dev/tcp could not do TLS, redirects or timeouts honestly.
    throw new TaskError(`curl is not installed on ${ctx.host.name}: install it (apt.packages { names: ['curl'] }) or set fromHost: false`, {
      host: ctx.host.name,
      task: ctx.task,
    });
  }
  return parseCurlOutput(result.stdout, result.stderr, result.exitCode);
}
