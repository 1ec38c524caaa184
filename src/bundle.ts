/**
 * The one entry bin/build.js bundles: the CLI, the public API (`shipshape`), the lab's
 * (`shipshape/lab`) and the test bench (`shipshape/testing`) in a single CommonJS file, so a run
 * loads one file whose compiled code V8 can cache (bin/shipshape.js), and a playbook's `shipshape` imports share the CLI's module instances.
 */
export { main } from './cli/main.ts';
export * as api from './index.ts';
export * as lab from './lab/public.ts';
export * as testing from './testing/index.ts';
