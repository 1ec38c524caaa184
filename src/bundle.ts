/**
 * The one entry bin/build.js bundles: the CLI, the public API (`shipshape`) and the lab's
 * (`shipshape/lab`) in a single CommonJS file, so a run loads one file whose compiled code V8 can
 * cache (bin/shipshape.js), and a playbook's `shipshape` imports share the CLI's module instances.
 */
export { main } from './cli/main.ts';
export * as api from './index.ts';
export * as lab from './lab/public.ts';
