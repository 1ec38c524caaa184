/** The --json lines: a file change's text only with --diff, and masked then too. */
import { describe, expect, it } from 'vitest';
import { JsonReporter } from '../../src/report/json.ts';
import { Secret } from '../../src/secrets/secret.ts';

const change = { description: 'update /etc/app.conf', diff: { path: '/etc/app.conf', before: 'old\n', after: 'token=json-reporter-secret\n' } };

function taskLine(diff: boolean): Record<string, any> {
  const lines: string[] = [];
  new JsonReporter((line) => lines.push(line), { diff }).taskResult({
    play: 'p',
    host: 'web-01',
    task: 'config',
    result: { status: 'changed', changes: [change], durationMs: 5 },
  });
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]);
}

describe('JsonReporter', () => {
  it('without --diff, a change is its description only', () => {
    expect(taskLine(false)).toMatchObject({ type: 'task', host: 'web-01', task: 'config', status: 'changed', changes: [{ description: 'update /etc/app.conf' }] });
    expect(taskLine(false).changes[0]).not.toHaveProperty('diff');
  });

  it('with --diff, a change carries before and after, secrets masked', () => {
    new Secret('json-reporter-secret', 'test');
    expect(taskLine(true).changes[0]).toEqual({ description: 'update /etc/app.conf', diff: { path: '/etc/app.conf', before: 'old\n', after: 'token=********\n' } });
  });
});
