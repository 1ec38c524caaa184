// permissions.test.ts: the planner on recorded output, no host needed (run it with vitest).
import { describe, it } from 'vitest';
import { expectPlannerFixture, readPlannerFixtures } from 'shipshape/testing';
import { permissions } from './permissions.ts';

describe('permissions planner', () => {
  for (const fixture of readPlannerFixtures(new URL('./permissions.json', import.meta.url))) {
    it(fixture.name, () => expectPlannerFixture(permissions, fixture));
  }
});
