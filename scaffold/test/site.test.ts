/**
 * The site on a throwaway host (Docker needed): converges from fresh, a second run changes nothing,
 * and drift is planned and fixed.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startLab, type TestLab } from 'shipshape/testing';

const PLAYBOOK = 'playbooks/site.ts';
let lab: TestLab;

beforeAll(async () => {
  lab = await startLab(['web-01']);
}, 600_000);

afterAll(async () => {
  await lab?.stop();
});

it('converges, is idempotent, and fixes drift', async () => {
  await lab.expectConverges(PLAYBOOK);
  // Judged by the host itself, not by shipshape's report.
  const motd = await lab.host('web-01').shell('cat /etc/motd');
  expect(motd.stdout).toBe('web-01 is managed by shipshape\n');
  await lab.expectIdempotent(PLAYBOOK);
  await lab.expectDriftFixed(PLAYBOOK, async (host) => {
    await host.shell('echo changed by hand > /etc/motd');
  });
}, 600_000);
