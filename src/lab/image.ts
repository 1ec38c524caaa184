/**
 * Builds the lab host image when its tag (the recipe hash) is not in the engine yet: debootstrap a
 * minimal Debian tree, run the recipe's setup script in it, then `tar | docker import`. No registry
 * is involved (none is reachable here). The image itself is the cache: rebuilt only on a new recipe.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  // One build per machine at a time: parallel test workers and `lab up` wait for the first.
  const lock = await acquireBuildLock(tag, log);
  try {
    if (await imageExists(tag)) return { tag, built: false, durationMs: Date.now() - started };
    log(`building ${tag} (Debian ${recipe.suite} from ${recipe.mirror.archive}); this takes about a minute`);
    await buildImage(recipe, tag);
  } finally {
    lock.release();
  }
  return { tag, built: true, durationMs: Date.now() - started };
}

const LOCK_WAIT_MS = 15 * 60_000;

/** An O_EXCL lock file holding the builder's PID; a lock whose process is gone is taken over. */
async function acquireBuildLock(tag: string, log: (line: string) => void): Promise<{ release(): void }> {
  const path = join(tmpdir(), `shipshape-lab-build-${tag.replace(/[^a-z0-9]/gi, '-')}.lock`);
  const deadline = Date.now() + LOCK_WAIT_MS;
  let announced = false;
  for (;;) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx' });
      return { release: () => rmSync(path, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = Number(readFileSync(path, 'utf8').trim());
    if (!processAlive(owner)) {
      rmSync(path, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new ConfigError(`another process (PID ${owner}) has been building ${tag} for too long; remove ${path} if it is stuck`);
    if (!announced) log(`waiting for process ${owner}, which is building ${tag}`);
    announced = true;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
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
