/**
 * `shipshape/testing`: test a role on real hosts. Needs a Docker engine; the lab image is built on
 * first use (a minute) and then cached by its recipe's hash.
 *
 *   const lab = await startLab(['web-01']);
 *   await lab.expectConverges('playbooks/site.ts');
 *   await lab.expectIdempotent('playbooks/site.ts');
 *   await lab.expectDriftFixed('playbooks/site.ts', (host) => host.shell('rm /etc/motd').then(() => {}));
 *   await lab.stop();
 */
export { startLab, LabExpectationError, type TestLab, type ApplyOptions, type ApplyResult, type TaskOutcome, type StartLabOptions } from './lab.ts';
export { startTestHosts, type TestHost, type TestHosts, type ShellResult } from './hosts.ts';
export {
  expectPlannerFixture,
  planFromFixture,
  readPlannerFixtures,
  type PlannerFixture,
  type Planned,
  type RecordedCommand,
} from './planner-fixture.ts';
