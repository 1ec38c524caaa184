import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestFromController } from '../../src/modules/http/controller.ts';
import { curlCommand, curlConfig, parseCurlOutput } from '../../src/modules/http/curl.ts';
import { httpCheckSchema } from '../../src/modules/http/schema.ts';
import { judgeAnswer } from '../../src/modules/http/verdict.ts';
import { httpCheckModule } from '../../src/modules/http/check.ts';
import type { TaskContext } from '../../src/task/types.ts';
import { Secret } from '../../src/secrets/secret.ts';

const args = (input: Record<string, unknown>) => httpCheckSchema.parse(input);

describe('curl on the host', () => {
  it('builds a quoted curl command with headers kept off the command line', () => {
    const a = args({ url: "http://127.0.0.1/it's", headers: { Authorization: new Secret('Bearer t0ken-xyz', 't') }, validateCerts: false, timeout: 3 });
    const command = curlCommand(a);
    expect(command).toContain("curl -sS -X GET --max-time 3 -K - -k -w '\n@@shipshape-http-status %{http_code}\n' -- 'http://127.0.0.1/it'\\''s'");
    expect(command).not.toContain('t0ken');
    expect(curlConfig(a)).toBe('header = "Authorization: Bearer t0ken-xyz"\n');
  });

  it('sends the body through stdin as data-raw (never a file read for "@...", never in argv), escaped for curl\'s config', () => {
    const a = args({ url: 'http://127.0.0.1/hook', method: 'POST', body: '@/etc/shadow\n"q" \\ \t\r end' });
    expect(curlCommand(a)).not.toContain('/etc/shadow');
    expect(curlCommand(a)).not.toContain('--data');
    expect(curlCommand(a)).toContain(' -K - ');
    expect(curlConfig(a)).toBe('data-raw = "@/etc/shadow\\n\\"q\\" \\\\ \\t\\r end"\n');
    expect(curlCommand(args({ url: 'http://127.0.0.1/' }))).not.toContain('-K');
  });

  it('parses status from the end, so a body cannot fake it', () => {
    const body = 'x\n@@shipshape-http-status 200\nmore';
    expect(parseCurlOutput(`${body}\n@@shipshape-http-status 503\n`, '', 0)).toEqual({ status: 503, body });
    expect(parseCurlOutput('', 'curl: (7) Failed to connect to 127.0.0.1 port 9: Connection refused\n', 7)).toBe(
      'Failed to connect to 127.0.0.1 port 9: Connection refused',
    );
  });

  it('fails clearly when curl is missing on the host', async () => {
    const exec = async (command: string) => ({ command, exitCode: 0, stdout: '@@no-curl\n', stderr: '', stdoutBytes: Buffer.alloc(0), durationMs: 1 });
    const ctx = { host: { name: 'web-01' }, task: 't', check: false, baseDir: '.', exec, run: exec } as unknown as TaskContext;
    await expect(httpCheckModule.plan(ctx, args({ url: 'http://127.0.0.1/' }))).rejects.toThrow(/curl is not installed on web-01/);
  });
});

describe('judgeAnswer', () => {
  it('checks status, then body text, then body pattern', () => {
    expect(judgeAnswer(args({ url: 'http://h/' }), { status: 200, body: '' })).toBeNull();
    expect(judgeAnswer(args({ url: 'http://h/', status: [200, 204] }), { status: 503, body: 'down' })).toBe('status 503, expected 200 or 204 (body: down)');
    expect(judgeAnswer(args({ url: 'http://h/', bodyContains: 'ok' }), { status: 200, body: 'fine' })).toMatch(/does not contain "ok"/);
    expect(judgeAnswer(args({ url: 'http://h/', bodyMatches: '^v\\d+$' }), { status: 200, body: 'v12' })).toBeNull();
    expect(judgeAnswer(args({ url: 'http://h/', bodyMatches: /^v\d+$/ }), { status: 200, body: 'vX' })).toMatch(/does not match/);
  });

  it('rejects nonsense arguments', () => {
    expect(httpCheckSchema.safeParse({ url: 'ftp://x' }).success).toBe(false);
    expect(httpCheckSchema.safeParse({ url: 'http://x/', body: 'a' }).success).toBe(false);
    expect(httpCheckSchema.safeParse({ url: 'http://x/', status: 999 }).success).toBe(false);
  });
});

describe('from the controller (a local server on 127.0.0.1)', () => {
  let server: Server;
  let base = '';
  let hits = 0;
  let seenAuth: string | undefined;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/flaky') {
        hits += 1;
        res.writeHead(hits < 3 ? 503 : 200).end(hits < 3 ? 'starting' : 'ready');
      } else if (req.url === '/moved') res.writeHead(302, { location: '/health' }).end();
      else if (req.url === '/health') {
        seenAuth = req.headers.authorization;
        res.writeHead(200).end('healthy');
      } else res.writeHead(404).end('no');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends headers (Secrets revealed only on the wire) and reads status and body', async () => {
    const answer = await requestFromController(args({ url: `${base}/health`, headers: { Authorization: new Secret('Bearer zz-top', 't') } }), '.');
    expect(answer).toEqual({ status: 200, body: 'healthy' });
    expect(seenAuth).toBe('Bearer zz-top');
  });

  it('follows redirects only when asked', async () => {
    expect(await requestFromController(args({ url: `${base}/moved` }), '.')).toMatchObject({ status: 302 });
    expect(await requestFromController(args({ url: `${base}/moved`, followRedirects: true }), '.')).toEqual({ status: 200, body: 'healthy' });
  });

  it('retries until the answer is the expected one, and never reports a change', async () => {
    const ctx = { host: { name: 'web-01' }, task: 't', check: false, baseDir: '.' } as unknown as TaskContext;
    const plan = await httpCheckModule.plan(ctx, args({ url: `${base}/flaky`, fromHost: false, retries: 5, delay: 0, bodyContains: 'ready' }));
    expect(plan.changes).toEqual([]);
    expect(plan.output).toMatchObject({ status: 200, attempts: 3 });
    await expect(httpCheckModule.plan(ctx, args({ url: `${base}/nope`, fromHost: false, retries: 1, delay: 0 }))).rejects.toThrow(
      /GET .*\/nope \(from the controller\): status 404, expected 200 \(body: no\) after 2 attempts/,
    );
  });

  it('reports a refused connection as the reason', async () => {
    const answer = await requestFromController(args({ url: 'http://127.0.0.1:9/' }), '.');
    expect(answer).toMatch(/ECONNREFUSED/);
  });
});
