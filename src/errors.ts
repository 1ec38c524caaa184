/**
 * One root error class for everything shipshape reports to a user. Subclasses carry the context a
 * user needs to act (file, field, host, task, the remote command's result); the CLI prints
 * `message` alone unless -v asks for the stack. Anything that is not a ShipshapeError is a bug.
 */
export interface ErrorContext {
  file?: string;
  host?: string;
  task?: string;
  field?: string;
  cause?: unknown;
}

export class ShipshapeError extends Error {
  readonly file?: string;
  readonly host?: string;
  readonly task?: string;
  readonly field?: string;

  constructor(message: string, context: ErrorContext = {}) {
    super(message, context.cause === undefined ? undefined : { cause: context.cause });
    this.name = new.target.name;
    this.file = context.file;
    this.host = context.host;
    this.task = context.task;
    this.field = context.field;
  }
}

/** The inventory, the playbook, a template or a command-line value is wrong: the user must edit it. */
export class ConfigError extends ShipshapeError {}

/** Module arguments failed their schema. Raised when the playbook is loaded, before any host is contacted. */
export class ArgumentError extends ConfigError {}

/** The SSH connection could not be made or was lost. The host counts as unreachable. */
export class ConnectionError extends ShipshapeError {}

/** The host key is unknown or changed. */
export class HostKeyError extends ConnectionError {}

/** A remote command exited non-zero where success was required; keeps the command's result. */
export class CommandError extends ShipshapeError {
  readonly command: string;
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;

  constructor(
    message: string,
    result: { command: string; exitCode: number; stdout: string; stderr: string; durationMs: number },
    context: ErrorContext = {},
  ) {
    super(message, context);
    this.command = result.command;
    this.exitCode = result.exitCode;
    this.stdout = result.stdout;
    this.stderr = result.stderr;
    this.durationMs = result.durationMs;
  }
}

/** A remote command ran longer than its timeout. */
export class TimeoutError extends ShipshapeError {}

/** Another run holds the host's run lock (transport/run-lock.ts) past --lock-timeout, or it cannot be taken. */
export class RunLockError extends ShipshapeError {}

/** A module found the host in a state it cannot plan or apply from (e.g. broken replication). */
export class TaskError extends ShipshapeError {}

/** Decryption failed: wrong vault password or a tampered value. */
export class VaultError extends ConfigError {}

/** The local lab (containers, its image, its ACME server) could not be built, started or reached. */
export class LabError extends ShipshapeError {}
