/**
 * Makes sure a Docker engine answers before the lab needs one. In order: it already answers; it is
 * installed but stopped (start it: systemd if that is the init, else dockerd in the background with
 * its PID recorded so `lab down --stop-engine` and .ci/run can stop exactly that process); it is not
 * installed and we may install it (root on Debian); otherwise tell the user what to do.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { spawn } from 'node:child_process';
import { dirname } from 'node:path';
import { ConfigError } from '../errors.ts';
import { canInstallDebianPackages, installDebianPackages } from './debian-packages.ts';
import { labPaths } from './paths.ts';
import { findExecutable, isRoot, runLocal } from './process.ts';

const DEFAULT_SOCKET = '/var/run/docker.sock';
const START_TIMEOUT_MS = 60_000;

/** The unix socket the docker CLI and testcontainers will use. */
export function dockerSocketPath(): string | undefined {
  const host = process.env.DOCKER_HOST;
  if (!host) return DEFAULT_SOCKET;
  if (host.startsWith('unix://')) return host.slice('unix://'.length);
  return undefined; // tcp:// or ssh://: a remote engine we do not manage
}

/** True when the engine answers its /_ping endpoint. */
export function engineAnswers(socketPath = dockerSocketPath()): Promise<boolean> {
  if (socketPath === undefined) {
    return runLocal('docker', ['version', '--format', '{{.Server.Version}}'], { allowFailure: true }).then(
      (result) => result.exitCode === 0,
      () => false,
    );
  }
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', method: 'GET', timeout: 3000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

export interface EngineStatus {
  /** What ensureDockerEngine had to do. */
  action: 'already-running' | 'started-systemd' | 'started-dockerd' | 'installed-and-started';
  /** PID of the dockerd we started ourselves, if any. */
  pid?: number;
}

export async function ensureDockerEngine(log: (line: string) => void = () => {}): Promise<EngineStatus> {
  if (await engineAnswers()) return { action: 'already-running' };
  const socketPath = dockerSocketPath();
  if (socketPath === undefined) {
    throw new ConfigError(`The Docker engine at DOCKER_HOST=${process.env.DOCKER_HOST} does not answer: start it, or unset DOCKER_HOST to use the local one.`);
  }
  let installed = false;
  if (!findExecutable('dockerd') || !findExecutable('docker')) {
    if (!canInstallDebianPackages()) {
      throw new ConfigError(
        'Docker is not installed. Install it (on Debian/Ubuntu: `sudo apt-get install -y docker.io`), ' +
          'start it (`sudo systemctl start docker`), make sure you may use /var/run/docker.sock ' +
          '(`sudo usermod -aG docker $USER`, then log in again), and run again.',
      );
    }
    log('installing docker.io with apt-get');
    await installDebianPackages(['docker.io'], 'The lab');
    installed = true;
  }
  if (!isRoot()) {
    throw new ConfigError(
      `The Docker engine does not answer at ${socketPath}. Start it with \`sudo systemctl start docker\` ` +
        `(or \`sudo dockerd &\`), make sure your user may use the socket (group docker), and run again.`,
    );
  }
  const status = await startEngine(socketPath, log);
  return installed ? { ...status, action: 'installed-and-started' } : status;
}

async function startEngine(socketPath: string, log: (line: string) => void): Promise<EngineStatus> {
  // Where systemd is the init, the docker service is the proper owner of dockerd.
  if (existsSync('/run/systemd/system')) {
    log('starting docker with systemctl');
    const result = await runLocal('systemctl', ['start', 'docker'], { allowFailure: true });
    if (result.exitCode === 0 && (await waitForEngine(socketPath))) return { action: 'started-systemd' };
  }
  const dockerd = findExecutable('dockerd');
  if (!dockerd) throw new ConfigError('dockerd is not installed: install docker.io (`apt-get install -y docker.io`) and run again.');
  const pidFile = labPaths.dockerdPid();
  const logFile = labPaths.dockerdLog();
  mkdirSync(dirname(pidFile), { recursive: true });
  log(`starting ${dockerd} in the background (log: ${logFile})`);
  const out = openSync(logFile, 'a');
  // Listen where DOCKER_HOST says, so the docker CLI and testcontainers find this engine.
  const args = socketPath === DEFAULT_SOCKET ? [] : ['-H', `unix://${socketPath}`];
  const child = spawn(dockerd, args, { detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  if (child.pid === undefined) throw new ConfigError(`could not start ${dockerd}; see ${logFile}`);
  const pid = child.pid;
  child.unref();
  writeFileSync(pidFile, `${pid}\n`);
  let exited = false;
  child.on('exit', () => (exited = true));
  if (!(await waitForEngine(socketPath, () => exited))) {
    throw new ConfigError(`dockerd (PID ${pid}) did not answer on ${socketPath} within ${START_TIMEOUT_MS / 1000} s; see ${logFile}:\n${tail(logFile)}`);
  }
  return { action: 'started-dockerd', pid };
}

async function waitForEngine(socketPath: string, gaveUp: () => boolean = () => false): Promise<boolean> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline && !gaveUp()) {
    if (await engineAnswers(socketPath)) return true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return engineAnswers(socketPath);
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-15).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Stops the dockerd that ensureDockerEngine started, identified by the recorded PID (and checked to
 * still be a dockerd, in case the PID was reused). Returns whether it stopped one.
 */
export async function stopStartedDockerd(): Promise<boolean> {
  const pidFile = labPaths.dockerdPid();
  if (!existsSync(pidFile)) return false;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  rmSync(pidFile, { force: true });
  if (!Number.isInteger(pid) || pid <= 1 || !isDockerd(pid)) return false;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && isDockerd(pid)) await new Promise((resolve) => setTimeout(resolve, 200));
  return true;
}

function isDockerd(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'dockerd';
  } catch {
    return false;
  }
}
