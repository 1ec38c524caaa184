/**
 * `http.check`: waits until a URL answers as expected. A verification step: never a change, only
 * ok or failed. By default curl runs on the target host, so it checks from where the service lives
 * (a firewall between controller and host does not make a healthy service look broken).
 */
import { TaskError } from '../../errors.ts';
import { requestFromController } from './controller.ts';
import { requestFromHost } from './curl.ts';
import { httpCheckSchema, type HttpCheckArgs, type HttpCheckInput } from './schema.ts';
import { judgeAnswer } from './verdict.ts';
import type { Module } from '../../task/types.ts';

// Methods that change nothing on the server: under --check only these are sent.
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const httpCheckModule: Module<HttpCheckArgs, undefined, HttpCheckInput> = {
  name: 'http.check',
  schema: httpCheckSchema,
  describe: (args) => `check ${args.method} ${args.url}`,
  waits: true,
  async plan(ctx, args) {
    if (ctx.check && !SAFE_METHODS.has(args.method)) {
      return { changes: [], output: { skipped: true, reason: `--check does not send ${args.method} requests` } };
    }
    const attempts = args.retries + 1;
    let reason = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const answer = args.fromHost ? await requestFromHost(ctx, args) : await requestFromController(args, ctx.baseDir);
      reason = typeof answer === 'string' ? answer : (judgeAnswer(args, answer) ?? '');
      if (reason === '' && typeof answer !== 'string') {
        return { changes: [], output: { status: answer.status, body: answer.body, attempts: attempt } };
      }
      if (attempt < attempts) await sleep(args.delay * 1000);
    }
    const where = args.fromHost ? ` (from ${ctx.host.name})` : ' (from the controller)';
    const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
    throw new TaskError(`${args.method} ${args.url}${where}: ${reason}${tries}`);
  },
  async apply() {
    // plan() never returns changes, so the engine never calls this.
  },
};

/** `http.check({ url: 'http://localhost/health', bodyContains: 'ok', retries: 10 })` */
