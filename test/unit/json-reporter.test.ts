/** The --json lines: a file change's text only with --diff, and masked then too. */
import { describe, expect, it } from 'vitest';
import { JsonReporter } from '../../src/report/json.ts';
import { Secret } from '../../src/secrets/secret.ts';

const change = { description: 'update /etc/app.conf', diff: { path: '/etc/app.conf', before: 'old\n', after: 'token=plain\n' } };
const secretChange = { description: 'update /etc/app.conf', diff: { path: '/etc/app.conf', before: 'old\n', after: 'token=json-reporter-secret\n' } };

function taskLine(diff: boolean, changes = [change]): Record<string, any> {
  const lines: string[] = [];
  new JsonReporter((line) => lines.push(line), { diff }).taskResult({
    play: 'p',
    host: 'web-01',
    task: 'config',
    result: { status: 'changed', changes, durationMs: 5 },
  });
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]);
}

describe('JsonReporter', () => {
  it('without --diff, a change is its description only', () => {
    expect(taskLine(false)).toMatchObject({ type: 'task', host: 'web-01', task: 'config', status: 'changed', changes: [{ description: 'update /etc/app.conf' }] });
    expect(taskLine(false).changes[0]).not.toHaveProperty('diff');
  });

  it('with --diff, a change carries before and after', () => {
    expect(taskLine(true).changes[0]).toEqual(change);
  });

  it('with or without --diff, a file whose text holds a secret is sensitive: no text at all', () => {
    new Secret('json-reporter-secret', 'test');
    const sensitive = { description: 'update /etc/app.conf: content differs, sensitive', sensitive: true };
    expect(taskLine(true, [secretChange]).changes).toEqual([sensitive]);
    expect(taskLine(false, [secretChange]).changes).toEqual([sensitive]);
  });
});
