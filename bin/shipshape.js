#!/usr/bin/env node
// The published bin: registers tsx so users' .ts playbooks and inventories load with no build step.
// The heavy plain-JS dependencies are imported first, by Node's own loader: once tsx's hooks are
// registered every module load is a round trip to its hooks thread, which cost ~100 ms of each
// run's start-up (bench: `node bin/shipshape.js --help` 0.62 s → 0.50 s). Same module instances:
// later imports of these specifiers resolve to the already loaded files.
await Promise.all(['zod', 'ssh2', 'node-ssh', 'commander', 'listr2', 'ejs', 'yaml', 'diff'].map((name) => import(name)));
const { register } = await import('tsx/esm/api');
register();
await import('../src/cli/index.ts');
