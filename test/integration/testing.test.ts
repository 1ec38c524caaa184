/**
 * shipshape/testing's checks on a real host: the scaffold's site converges, is idempotent and fixes
 * drift (each judged also on the host); a playbook that changes something on every run is refused
 * by expectIdempotent, and a drift the playbook does not manage is refused by expectDriftFixed.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabExpectationError, startLab, type TestLab } from '../../src/testing/index.ts';

const SITE = path.resolve('scaffold/playbooks/site.ts');
let lab: TestLab;

beforeAll(async () => {
  lab = await startLab(['testing-01']);
});

afterAll(async () => {
  await lab?.stop();
});

describe('shipshape/testing', () => {
  it("the scaffold's site converges, is idempotent, and fixes drift", async () => {
    const host = lab.host('testing-01');
    const first = await lab.expectConverges(SITE);
    expect(first.changed.map((t) => t.task).sort()).toEqual(['directory /opt/scripts', 'template ../templates/motd.ejs to /etc/motd']);
    expect((await host.shell('cat /etc/motd')).stdout).toBe('testing-01 is managed by shipshape\n');
    expect((await host.shell('stat -c %a /opt/scripts')).stdout.trim()).toBe('755');

    const again = await lab.expectIdempotent(SITE);
    expect(again.changed).toEqual([]);

    await lab.expectDriftFixed(SITE, async (h) => {
      await h.shell('echo by hand > /etc/motd && chmod 700 /opt/scripts');
    });
    expect((await host.shell('cat /etc/motd')).stdout).toBe('testing-01 is managed by shipshape\n');
    expect((await host.shell('stat -c %a /opt/scripts')).stdout.trim()).toBe('755');
  });

  it('expectIdempotent refuses a playbook that changes something on every run', async () => {
    const playbook = path.resolve('test/fixtures/testing/always-changes.ts');
    await lab.expectConverges(playbook);
    const error = await lab.expectIdempotent(playbook).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(LabExpectationError);
    expect((error as LabExpectationError).message).toContain('a second run changed something');
    expect((error as LabExpectationError).result.changed.map((t) => t.host)).toEqual(['testing-01']);
  });

  it('expectDriftFixed refuses a drift the playbook does not plan', async () => {
    const error = await lab
      .expectDriftFixed(SITE, async (h) => {
        await h.shell('touch /root/unmanaged');
      })
      .then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(LabExpectationError);
    expect((error as LabExpectationError).message).toContain('the drift was not planned');
  });
});
