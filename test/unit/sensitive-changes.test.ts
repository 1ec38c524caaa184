/**
 * A file whose wanted content holds a secret is sensitive: no before/after text in any output, so
 * an old, rotated password still on the host (which no mask knows) is never printed.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { runTask } from '../../src/engine/task-run.ts';
import type { HostFacts } from '../../src/facts/types.ts';
import { moduleFunction } from '../../src/task/task.ts';
import type { HostConnection } from '../../src/transport/types.ts';
import { planContent, planContentOnHost } from '../../src/modules/file/content.ts';
import { planLine, lineSchema } from '../../src/modules/file/line.ts';
import { sealSensitive } from '../../src/task/sensitive.ts';
import type { PathState } from '../../src/modules/file/probe.ts';
import type { Change, HostView, Module, TaskResult } from '../../src/task/types.ts';
import { JsonReporter } from '../../src/report/json.ts';
import { mask } from '../../src/secrets/mask.ts';
import { taskLines } from '../../src/report/plain.ts';
import { Secret } from '../../src/secrets/secret.ts';
import { renderTemplateFileReadingSecrets } from '../../src/template/render.ts';

const baseDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures');
// Not registered anywhere: the value a host still holds after the password was rotated.
const OLD = 'old-pa"ss\\word-1';
const NEW = new Secret('new-pa"ss\\word-2', 'test').reveal();
const json = (text: string) => JSON.stringify(text).slice(1, -1);
const spellings = (value: string) => [value, json(value), json(json(value)), value.replace(/'/g, `'\\''`)];

function onHost(text: string): PathState {
  return { kind: 'file', mode: '0600', owner: 'root', group: 'root', size: text.length, sha256: 'old', content: Buffer.from(text) };
}

function expectNoSecret(output: string): void {
  for (const value of [OLD, NEW]) for (const form of spellings(value)) expect(output.includes(form), `leaks ${form}:\n${output}`).toBe(false);
}

const rotated: Change = { description: 'update /etc/app.env', diff: { path: '/etc/app.env', before: `PASSWORD=${OLD}\n`, after: `PASSWORD=${NEW}\n` } };
const result = (changes: Change[]): TaskResult => ({ status: 'changed', changes, output: { written: `PASSWORD="${json(NEW)}"` }, durationMs: 1 });

describe('sensitive file changes', () => {
  it('a content change whose wanted text holds a secret has no text: the old value is not in it', () => {
    const plan = planContent(onHost(`PASSWORD=${OLD}\n`), { path: '/etc/app.env', content: Buffer.from(`PASSWORD=${NEW}\n`) });
    expect(plan.changes).toEqual([{ description: 'update /etc/app.env: content differs, sensitive', sensitive: true }]);
    const created = planContent({ kind: 'absent' }, { path: '/etc/app.env', content: Buffer.from(`PASSWORD=${NEW}\n`), mode: '0600' });
    expect(created.changes).toEqual([{ description: 'create /etc/app.env (mode 0600): content differs, sensitive', sensitive: true }]);
  });

  it('content a module marks sensitive (a template that read a Secret) has no text even without a known value in it', () => {
    const plan = planContent(onHost(`PASSWORD=${OLD}\n`), { path: '/etc/app.env', content: Buffer.from('PASSWORD=hash-of-it\n'), sensitive: true });
    expect(plan.changes).toEqual([{ description: 'update /etc/app.env: content differs, sensitive', sensitive: true }]);
    // The same file without a secret still gets its diff.
    expect(planContent(onHost('a\n'), { path: '/etc/app.env', content: Buffer.from('b\n') }).changes[0].diff).toBeDefined();
  });

  it("the old content of a sensitive file is never read from the host (its old secret stays there)", async () => {
    const commands: string[] = [];
    const ctx = {
      host: { name: 'web-01' },
      task: 'env file',
      exec: async (command: string) => {
        commands.push(command);
        return { exitCode: 0, stdout: '', stderr: '', stdoutBytes: Buffer.from('state:regular file|600|root|root|20\nsha256:abc\n') };
      },
    } as unknown as Parameters<typeof planContentOnHost>[0];
    await planContentOnHost(ctx, { path: '/etc/app.env', content: Buffer.from(`PASSWORD=${NEW}\n`) });
    await planContentOnHost(ctx, { path: '/etc/app.env', content: Buffer.from('PASSWORD=x\n'), sensitive: true });
    await planContentOnHost(ctx, { path: '/etc/app.env', content: Buffer.from('PASSWORD=x\n') });
    // The probe reads the content only under its condition: never for the two sensitive ones.
    expect(commands.map((command) => command.includes('if false; then echo --content--'))).toEqual([true, true, false]);
  });

  it('file.line: a line holding a secret is a sensitive edit', () => {
    const args = lineSchema.parse({ path: '/etc/app.env', regexp: '^PASSWORD=', line: `PASSWORD=${NEW}` });
    const changes = planLine(onHost(`PASSWORD=${OLD}\n`), args).changes;
    expect(changes).toHaveLength(1);
    expect(changes[0].sensitive).toBe(true);
    expect(changes[0].diff).toBeUndefined();
    expect(mask(changes[0].description)).toBe('set line "PASSWORD=********" in /etc/app.env: content differs, sensitive');
  });

  it('the engine seals any change whose text holds a secret (modules that build file text themselves)', () => {
    expect(sealSensitive([rotated, { description: 'restart app' }])).toEqual([
      { description: 'update /etc/app.env: content differs, sensitive', sensitive: true },
      { description: 'restart app' },
    ]);
    // A secret only on the old side (removed from the file) is sensitive too.
    const removed = { description: 'update /x', diff: { path: '/x', before: NEW, after: '' } };
    expect(sealSensitive([removed])[0]).toEqual({ description: 'update /x: content differs, sensitive', sensitive: true });
  });

  it('a template that reads a Secret, in an include or only in a condition, renders sensitive content', () => {
    const secret = new Secret('template-read-secret', 'test');
    expect(renderTemplateFileReadingSecrets('templates/include-ok.ejs', { host: 'lb', users: ['a'] }, baseDir).readSecret).toBe(false);
    expect(renderTemplateFileReadingSecrets('templates/include-ok.ejs', { host: 'lb', users: [secret] }, baseDir)).toEqual({
      text: '# main for lb\nuser: template-read-secret\nend\n',
      readSecret: true,
    });
    expect(renderTemplateFileReadingSecrets('templates/secret-condition.ejs', { pw: secret }, baseDir)).toEqual({ text: 'auth on\n', readSecret: true });
    expect(renderTemplateFileReadingSecrets('templates/secret-condition.ejs', { pw: 'plain' }, baseDir).readSecret).toBe(false);
  });

  for (const check of [true, false]) {
    it(`the engine's result carries no text for a module's change that holds a secret (${check ? '--check' : 'apply'})`, async () => {
      let applied: Change[] = [];
      const unitFile: Module<Record<string, never>> = {
        name: 'test.unit-file',
        schema: z.object({}).strict(),
        describe: () => 'unit file',
        plan: async () => ({ changes: [rotated] }),
        apply: async (_ctx, _args, plan) => void (applied = plan.changes),
      };
      const view: HostView = { name: 'web-01', vars: {}, facts: {} as HostFacts, groups: ['all'], inventory: { hosts: {}, groups: {} } };
      const result = await runTask(moduleFunction(unitFile)({}), {
        conn: {} as HostConnection,
        host: view,
        check,
        become: false,
        registered: {},
        baseDir: '.',
        earlierChanges: false,
      });
      expect(result.changes).toEqual([{ description: 'update /etc/app.env: content differs, sensitive', sensitive: true }]);
      expect(applied).toEqual(check ? [] : [rotated]); // apply gets the plan as it was made
    });
  }

  for (const diff of [false, true]) {
    it(`reporters print "content differs, sensitive" and no value, in any spelling (plain and --json, diff ${diff})`, () => {
      // A change that did not come through the engine: the reporters seal it themselves.
      const lines: string[] = [];
      const event = { play: 'p', host: 'web-01', task: 'env file', result: result([rotated]) };
      new JsonReporter((line) => lines.push(line), { diff }).taskResult(event);
      const text = taskLines(event, { check: true, diff, verbose: true, write: () => {} }).join('\n');
      for (const output of [lines.join('\n'), text]) {
        expectNoSecret(output);
        expect(output).toContain('update /etc/app.env: content differs, sensitive');
      }
      expect(JSON.parse(lines[0]).changes).toEqual([{ description: 'update /etc/app.env: content differs, sensitive', sensitive: true }]);
    });
  }
});

describe('mask', () => {
  it('masks a value JSON-escaped twice and shell-quoted', () => {
    const value = new Secret(`tw'ice"esc\\aped`, 'test').reveal();
    for (const form of spellings(value)) expect(mask(`x ${form} y`)).toBe('x ******** y');
  });
});
