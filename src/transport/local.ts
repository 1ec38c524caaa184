/**
 * A shell session on the controller itself: the same framing as over SSH, fed through a child
 * process. Used by the unit tests (no containers) and for measuring the framing's own cost.
 */
import { spawn } from 'node:child_process';
import { launchCommand, newNonce } from './framing.ts';
import { ShellSession, type KillSignal } from './session.ts';

export interface LocalSession {
  session: ShellSession;
  /** Pid of the outer process (the session's bash after its exec). */
  pid: number;
  /** The session's secret, for tests that check it is nowhere it must not be. */
  nonce: string;
}

export async function openLocalSession(
  options: { host?: string; killGraceMs?: number; kill?: boolean; maxOutputBytes?: number } = {},
): Promise<LocalSession> {
  const nonce = newNonce();
  const child = spawn('/bin/sh', ['-c', launchCommand()], { stdio: ['pipe', 'pipe', 'pipe'] });
  if (child.pid === undefined) {
    await new Promise((resolve) => child.once('error', resolve));
    throw new Error('cannot start a local bash');
  }
  const session = new ShellSession(
    { stdin: child.stdin, stdout: child.stdout, stderr: child.stderr },
    {
      host: options.host ?? 'localhost',
      label: 'local',
      nonce,
      killGraceMs: options.killGraceMs,
      maxOutputBytes: options.maxOutputBytes,
      // The command's subshell leads its own process group (set -m), so this never hits the session.
      killProcessGroup:
        options.kill === false
          ? undefined
          : async (pgid: number, signal: KillSignal) => {
              process.kill(-pgid, signal);
            },
      destroy: () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      },
    },
  );
  // The shell can die while a command it started still holds the pipes open.
  child.once('exit', (code, signal) => session.ended(`bash exited (${signal ?? code})`));
  await session.start();
  return { session, pid: child.pid, nonce };
}
