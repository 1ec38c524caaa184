/**
 * A container as a host (`connection: 'docker'`, Ansible's `ansible_connection=docker` or
 * `community.docker.docker`): the same persistent shell sessions as over SSH, fed through
 * `docker exec -i CONTAINER` child processes of the docker CLI. The container is the host's
 * address (Ansible's `ansible_host`, else the inventory name); `user` is `docker exec --user`
 * (root when the inventory names none). `become` opens its root session with `docker exec --user
 * root`: whoever may run `docker exec` is root in the container already, so no sudo (which many
 * images lack) is asked. Nothing needs sshd in the container.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { ConnectionSettings } from '../inventory/types.ts';
import { LocalConnection, type Role } from './local-host.ts';
import type { KillSignal } from './session.ts';
import type { LockSettingsTarget } from './run-lock.ts';

/** The docker CLI; DOCKER_HOST and the rest of docker's environment reach it unchanged. */
const DOCKER = 'docker';

function dockerExec(container: string, user: string, command: string): ChildProcessWithoutNullStreams {
  return spawn(DOCKER, ['exec', '-i', '--user', user, container, 'sh', '-c', command], { stdio: ['pipe', 'pipe', 'pipe'] });
}

export class DockerConnection extends LocalConnection {
  /** The container's name or id. */
  get container(): string {
    return this.settings.address;
  }

  protected override effectiveSettings(settings: ConnectionSettings): ConnectionSettings {
    const user = settings.setByInventory?.includes('user') ? settings.user : 'root';
    return { ...settings, user };
  }

  override get becomeSeparately(): boolean {
    return this.settings.user !== 'root' && this.settings.user !== '0';
  }

  protected override spawnAsUser(command: string): ChildProcessWithoutNullStreams {
    return dockerExec(this.container, this.settings.user, command);
  }

  protected override spawnRootSession(launch: string): { child: ChildProcessWithoutNullStreams; throughSudo: boolean } {
    return { child: dockerExec(this.container, 'root', `exec ${launch}`), throughSudo: false };
  }

  protected override sessionLabel(role: Role): string {
    return `${role === 'user' ? this.settings.user : 'root'} (docker exec ${this.container})`;
  }

  /** Inside the container: the process group lives there, not on the controller. */
  protected override async killGroup(_role: Role, pgid: number, signal: KillSignal): Promise<void> {
    const child = dockerExec(this.container, 'root', `kill -s ${signal.replace('SIG', '')} -- -${pgid}`);
    child.stdin.on('error', () => undefined);
    child.stdin.end();
    await new Promise((resolve) => child.once('close', resolve));
  }

  /** The run lock is held as root when the host becomes root (one lock for every run), without sudo. */
  lockTarget(): LockSettingsTarget {
    if (!this.settings.become || !this.becomeSeparately) return { opener: this, settings: this.settings };
    const container = this.container;
    const opener = {
      host: this.host,
      startChannel: (command: string) => this.startRootChannel(container, command),
    };
    return { opener, settings: { ...this.settings, user: 'root' } };
  }

  private startRootChannel(container: string, command: string) {
    return this.adoptChannel(dockerExec(container, 'root', command));
  }
}

/** A container as a host: checks that `docker exec` starts a shell in it. */
export async function connectDocker(hostName: string, settings: ConnectionSettings, options: { killGraceMs?: number } = {}): Promise<DockerConnection> {
  const conn = new DockerConnection(hostName, settings, options);
  try {
    await conn.exec('true');
  } catch (error) {
    await conn.close();
    throw error;
  }
  return conn;
}
