/**
 * Runs once before integration tests (vitest globalSetup): a Docker engine that answers, the lab
 * and ACME images built, the test key made. Doing it here keeps parallel test files from racing to build.
 */
import { ensureDockerEngine } from '../../../src/lab/docker-engine.ts';
import { ensureAcmeImage } from '../../../src/lab/acme/image.ts';
import { ensureLabImage } from '../../../src/lab/image.ts';
import { ensureKeyPair } from '../../../src/lab/ssh-key.ts';
import { testKeyPath } from './lab-hosts.ts';

export async function setup(): Promise<void> {
  const log = (line: string) => console.log(`[lab] ${line}`);
  await ensureDockerEngine(log);
  const image = await ensureLabImage(log);
  if (image.built) log(`built ${image.tag} in ${(image.durationMs / 1000).toFixed(1)} s`);
  // The ACME server's image too, once, rather than by each test file that starts a server.
  const acme = await ensureAcmeImage(image.tag, log);
  if (acme.built) log(`built ${acme.tag}`);
  ensureKeyPair(testKeyPath(), 'shipshape-test');
}
