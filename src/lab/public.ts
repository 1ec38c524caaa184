/**
 * What the lab's inventory (inventory/lab.ts) needs, as the `shipshape/lab` entry point: imported
 * through the package name, it shares module instances (Secret, errors) with the running CLI.
 */
export { requireLabState, readLabState } from './state.ts';
export { labPaths } from './paths.ts';
export { ensureLabSecrets, LAB_DOMAIN, LAB_LOAD_BALANCER } from './lab-site.ts';
