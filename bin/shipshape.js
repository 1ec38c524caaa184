#!/usr/bin/env node
// The published bin: registers tsx so users' .ts playbooks and inventories load with no build step.
import { register } from 'tsx/esm/api';
register();
await import('../src/cli/index.ts');
