/**
 * Planner tests as data (shipshape/testing's planner fixtures): each fixture's arguments and
 * recorded probe output go through the module's own plan(), as on a host.
 */
import { describe, expect, it } from 'vitest';
import { service, sysctl } from 'shipshape';
import { expectPlannerFixture, readPlannerFixtures } from 'shipshape/testing';

describe('sysctl planner (test/fixtures/planners/sysctl.json)', () => {
  for (const fixture of readPlannerFixtures(new URL('../fixtures/planners/sysctl.json', import.meta.url))) {
    it(fixture.name, () => expectPlannerFixture(sysctl, fixture));
  }
});

describe('service planner (test/fixtures/planners/service.json, systemctl show recorded on Debian 13)', () => {
  for (const fixture of readPlannerFixtures(new URL('../fixtures/planners/service.json', import.meta.url))) {
    it(fixture.name, () => expectPlannerFixture(service, fixture));
  }
});

describe('expectPlannerFixture fails where the module does not plan what the fixture says', () => {
  const [first] = readPlannerFixtures(new URL('../fixtures/planners/sysctl.json', import.meta.url));
  const failsWith = (change: Partial<typeof first>, message: RegExp) =>
    expect(expectPlannerFixture(sysctl, { ...first, ...change })).rejects.toThrow(message);

  it('other changes, other data, an error that did not happen', async () => {
    await failsWith({ changes: ['something else'] }, /planner fixture "plans the file and the live value when both differ": changes/);
    await failsWith({ data: { writeFile: 'x', setLive: true } }, /: data/);
    await failsWith({ error: 'no such kernel parameter' }, /expected the plan to fail/);
  });

  it('a command not recorded, a recorded command not run, a command other than recorded', async () => {
    await failsWith({ commands: [] }, /ran more commands than recorded \(0\); command 1: echo/);
    await failsWith({ commands: [...first.commands, { stdout: '' }] }, /ran 1 of the 2 recorded commands/);
    await failsWith({ commands: [{ ...first.commands[0], command: 'cat /proc/sys' }] }, /does not contain "cat \/proc\/sys"/);
  });
});
