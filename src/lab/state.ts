/**
 * `.lab/state.json`: what `lab up` started, read by `lab status`/`lab down` and by inventory/lab.ts.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { formatZodIssues } from '../util/zod-issues.ts';
import { labPaths } from './paths.ts';

export const labHostSchema = z.object({
  name: z.string().min(1),
  containerId: z.string().min(1),
  address: z.string().min(1),
  port: z.number().int().positive(),
  user: z.string().min(1),
  privateKey: z.string().min(1),
});

export const labStateSchema = z.object({
  labId: z.string().regex(/^[a-z0-9]+$/),
  image: z.string().min(1),
  network: z.string().min(1),
  knownHosts: z.string().min(1),
  privateKey: z.string().min(1),
  hosts: z.array(labHostSchema),
  /** `lab up --ha`: the floating address of the keepalived pair lb-01/lb-02 (the site's name points at it). */
  virtualAddress: z.string().optional(),
  /** The ACME test server, when the lab has a load balancer. */
  acme: z
    .object({ containerId: z.string(), address: z.string(), directoryUrl: z.string(), caBundle: z.string() })
    .optional(),
});

export type LabHost = z.infer<typeof labHostSchema>;
export type LabState = z.infer<typeof labStateSchema>;

/** The state, or undefined when no lab was brought up (from this checkout). */
export function readLabState(path = labPaths.state()): LabState | undefined {
  if (!existsSync(path)) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`${path}: not valid JSON (${(error as Error).message}); run \`shipshape lab down\` then \`shipshape lab up\``, { file: path, cause: error });
  }
  const parsed = labStateSchema.safeParse(data);
  if (!parsed.success) {
    throw new ConfigError(`${path}: invalid lab state; run \`shipshape lab down\` then \`shipshape lab up\`\n${formatZodIssues(parsed.error.issues)}`, { file: path });
  }
  return parsed.data;
}

/** Like readLabState, but a missing lab is an error telling how to make one. */
export function requireLabState(path = labPaths.state()): LabState {
  const state = readLabState(path);
  if (!state) throw new ConfigError(`${path} does not exist: the lab is not up. Run \`shipshape lab up\` first.`, { file: path });
  return state;
}

export function writeLabState(state: LabState, path = labPaths.state()): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(labStateSchema.parse(state), null, 2) + '\n');
  renameSync(temporary, path);
}
