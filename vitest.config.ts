/**
 * One `vitest run` for everything: unit tests (fast, no containers) and integration tests (lab
 * containers over SSH). Integration files get long timeouts (apt installs inside containers take
 * minutes) and at most two at a time: each file boots systemd containers, and CI machines have two
 * cores.
 */
import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

const MINUTES = 60_000;

/** `shipshape` imported by a fixture playbook resolves to src/ (package.json's `shipshape-source` condition). */
const conditions = ['shipshape-source', ...defaultServerConditions];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    maxWorkers: 2,
    projects: [
      {
        // Projects take the root's resolve conditions only when they extend it.
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // Unit tests assert nothing about time; a generous bound keeps CPU-heavy ones (vault key
          // derivation, fuzzing) from failing on a loaded two-core machine while containers boot.
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/integration/support/global-setup.ts'],
          testTimeout: 10 * MINUTES,
          hookTimeout: 10 * MINUTES,
          maxWorkers: 2,
        },
      },
    ],
  },
});
