/**
 * Builds the lab host image when its tag (the recipe hash) is not in the engine yet: debootstrap a
 * minimal Debian tree, run the recipe's setup script in it, then `tar | docker import`. No registry
 * is involved (none is reachable here). The image itself is the cache: rebuilt only on a new recipe.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandError, ConfigError } from '../errors.ts';
import { machineDebianMirror } from './apt-mirror.ts';
import { installDebianPackages } from './debian-packages.ts';
import { imageTag, labImageRecipe, type ImageRecipe } from './image-recipe.ts';
import { findExecutable, isRoot, runLocal } from './process.ts';

export interface ImageResult {
  tag: string;
  built: boolean;
  durationMs: number;
}

export async function imageExists(tag: string): Promise<boolean> {
  const result = await runLocal('docker', ['image', 'inspect', '--format', '{{.Id}}', tag], { allowFailure: true });
  return result.exitCode === 0;
}

/** Returns the lab image's tag, building the image first if the engine does not have it. */
export async function ensureLabImage(log: (line: string) => void = () => {}): Promise<ImageResult> {
  const started = Date.now();
  const recipe = labImageRecipe(machineDebianMirror());
  const tag = imageTag(recipe);
  if (await imageExists(tag)) return { tag, built: false, durationMs: Date.now() - started };
  log(`building ${tag} (Debian ${recipe.suite} from ${recipe.mirror.archive}); this takes about a minute`);
  await buildImage(recipe, tag);
  return { tag, built: true, durationMs: Date.now() - started };
}

async function buildImage(recipe: ImageRecipe, tag: string): Promise<void> {
  if (!isRoot()) {
    throw new ConfigError(`Building the lab image ${tag} runs debootstrap, which needs root: run \`sudo npx shipshape lab up\` once (later runs reuse the image).`);
  }
  if (!findExecutable('debootstrap')) await installDebianPackages(['debootstrap'], 'Building the lab image');
  // Not under /tmp when that is a tmpfs mounted nodev: debootstrap creates device nodes.
  const workDir = mkdtempSync(join(process.env.TMPDIR ?? (tmpdir() === '/tmp' ? '/var/tmp' : tmpdir()), 'shipshape-lab-'));
  const root = join(workDir, 'root');
  try {
    await runLocal(findExecutable('debootstrap') ?? 'debootstrap', [
      '--variant=minbase',
      `--include=${recipe.packages.join(',')}`,
      recipe.suite,
      root,
      recipe.mirror.archive,
    ]);
    writeFileSync(join(root, 'tmp', 'shipshape-setup.sh'), recipe.setupScript, { mode: 0o755 });
    await runLocal(findExecutable('chroot') ?? 'chroot', [root, '/bin/sh', '/tmp/shipshape-setup.sh']);
    rmSync(join(root, 'tmp', 'shipshape-setup.sh'));
    await importTree(root, tag);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** `tar -C root -c . | docker import --change ... - tag`, streamed (the tree is ~300 MB). */
function importTree(root: string, tag: string): Promise<void> {
  const changes = [
    'CMD ["/sbin/init"]',
    // systemd detects containers from this and skips what cannot work in one.
    'ENV container=docker',
  ].flatMap((change) => ['--change', change]);
  const importArgs = ['import', ...changes, '-', tag];
  const tar = spawn('tar', ['-C', root, '--numeric-owner', '-c', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const docker = spawn('docker', importArgs, { stdio: ['pipe', 'pipe', 'pipe'] });
  tar.stdout.pipe(docker.stdin);
  docker.stdin.on('error', () => {}); // docker exiting early is reported by its own exit code
  // If docker exits first, nobody reads tar's output any more: stop tar rather than hang.
  docker.on('close', () => {
    if (tar.exitCode === null) tar.kill();
  });
  docker.stdout.resume();
  const command = `tar -C ${root} -c . | docker ${importArgs.join(' ')}`;
  return Promise.all([exitOf(tar), exitOf(docker)]).then(([tarExit, dockerExit]) => {
    const failed = dockerExit.code !== 0 ? dockerExit : tarExit.code !== 0 ? tarExit : undefined;
    if (failed) {
      const result = { command, exitCode: failed.code, stdout: '', stderr: failed.stderr, durationMs: 0 };
      throw new CommandError(`importing the lab image failed: ${failed.stderr.trim()}`, result);
    }
  });
}

function exitOf(child: ChildProcess): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stderr }));
  });
}
