/**
 * One persistent shell session: commands run one at a time in a long-lived `bash` fed through a
 * duplex (an SSH channel, or a local child process in tests), so a command costs a round trip
 * instead of a new SSH channel (~45 ms each, DESIGN.md). The wire protocol is in framing.ts.
 *
 * Commands are written as soon as exec() is called (bash runs them in order), so several queued
 * commands cost one round trip, not one each. Output is parsed from raw bytes per stream.
 */
import type { Readable, Writable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { ConnectionError, TimeoutError } from '../errors.ts';
import { mask } from '../report/mask.ts';
import { traceEvent, traceFullCommands, tracing } from '../util/trace.ts';
import { ByteQueue } from './byte-queue.ts';
import { SESSION_SETUP, frameCommand, markers, newNonce, type Markers } from './framing.ts';
import type { ExecResult } from './types.ts';

export interface SessionStreams {
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
}

export type KillSignal = 'SIGTERM' | 'SIGKILL';

export interface SessionOptions {
  /** Inventory name of the host, for messages. */
  host: string;
  /** Which shell this is ("deploy", "root via sudo"), for messages. */
  label: string;
  /** The nonce the launch command was built with (framing.launchCommand). */
  nonce: string;
  /** Kills a process group on the far side; without it a timed-out command breaks the session. */
  killProcessGroup?: (pgid: number, signal: KillSignal) => Promise<void>;
  /** Tears the transport down (close the channel, kill the child) when the session is unusable. */
  destroy: () => void;
  /** How long a killed command gets to report back before the next step (default 2000 ms). */
  killGraceMs?: number;
}

export interface StartOptions {
  /** Answer to give when `prompt` appears on stderr before the shell is ready (sudo -S -p). */
  password?: string;
  prompt?: string;
  /** Give up when the shell is not ready after this long (default 20 s). */
  timeoutMs?: number;
}

export interface SessionExecOptions {
  stdin?: string | Buffer;
  timeoutMs?: number;
}

interface Pending {
  command: string;
  script: string;
  resolve: (result: ExecResult) => void;
  reject: (error: Error) => void;
  timeoutMs?: number;
  startedAt?: number;
  timer?: NodeJS.Timeout;
  timedOut: boolean;
  /** When exec() was called (only kept while tracing). */
  queuedAt?: number;
  pgid?: number;
  /** stderr bytes seen before this command's start marker (bash's own messages). */
  stderrPrefix?: Buffer;
  stdout?: Buffer;
  exitCode?: number;
  stderr?: Buffer;
}

const NEWLINE = 0x0a;

export { newNonce };

export class ShellSession {
  readonly #streams: SessionStreams;
  readonly #options: SessionOptions;
  readonly #markers: Markers;
  readonly #out = new ByteQueue();
  readonly #err = new ByteQueue();
  #outScanFrom = 0;
  #errScanFrom = 0;
  readonly #queue: Pending[] = [];
  /** Index in #queue of the first command whose stdout (resp. stderr) part is not parsed yet. */
  #outIndex = 0;
  #errIndex = 0;
  #ready = false;
  #failure: Error | null = null;
  #closing = false;
  #stderrEnded: Promise<void>;
  #readyWaiter: { resolve: () => void; reject: (error: Error) => void; onStderr: () => void } | null = null;

  constructor(streams: SessionStreams, options: SessionOptions) {
    this.#streams = streams;
    this.#options = options;
    this.#markers = markers(options.nonce);
    streams.stdout.on('data', (chunk: Buffer) => {
      this.#out.push(chunk);
      this.#pump();
    });
    streams.stderr.on('data', (chunk: Buffer) => {
      this.#err.push(chunk);
      if (this.#readyWaiter) this.#readyWaiter.onStderr();
      this.#pump();
    });
    this.#stderrEnded = new Promise<void>((resolve) => {
      streams.stderr.once('end', resolve);
      streams.stderr.once('close', resolve);
    });
    const ended = (): void => this.ended('the shell ended');
    streams.stdout.on('end', ended);
    streams.stdout.on('close', ended);
    streams.stdout.on('error', (error: Error) => this.fail(this.#lostError(error.message)));
    streams.stdin.on('error', (error: Error) => this.fail(this.#lostError(error.message)));
  }

  /** True once the session can no longer run commands. */
  get broken(): boolean {
    return this.#failure !== null;
  }

  /** Waits for the launch command's READY line, answering a password prompt first if asked. */
  start(options: StartOptions = {}): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let answered = false;
      const prompt = options.prompt ? Buffer.from(options.prompt) : null;
      const timer = setTimeout(() => {
        this.#readyWaiter = null;
        const error = new ConnectionError(
          `host ${this.#options.host}: the ${this.#options.label} shell did not start within ${options.timeoutMs ?? 20000} ms` +
            this.#stderrTail(),
          { host: this.#options.host },
        );
        this.fail(error);
        reject(error);
      }, options.timeoutMs ?? 20000);
      this.#readyWaiter = {
        resolve: () => {
          clearTimeout(timer);
          this.#readyWaiter = null;
          this.#ready = true;
          this.#streams.stdin.write(SESSION_SETUP);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          this.#readyWaiter = null;
          reject(error);
        },
        onStderr: () => {
          if (!prompt) return;
          const at = this.#err.indexOf(prompt);
          if (at === -1) return;
          this.#err.take(at + prompt.length);
          if (answered || options.password === undefined) {
            // A second prompt means the password was refused; do not guess again.
            const error = new ConnectionError(
              `host ${this.#options.host}: sudo refused the become password` + this.#stderrTail(),
              { host: this.#options.host },
            );
            this.fail(error);
            return;
          }
          answered = true;
          this.#streams.stdin.write(`${options.password}\n`);
        },
      };
      if (this.#failure) this.#readyWaiter.reject(this.#unusable());
      else this.#pump();
    });
  }

  /** Runs one command (bash syntax) in a subshell of the session. Never throws on a non-zero exit. */
  exec(command: string, options: SessionExecOptions = {}): Promise<ExecResult> {
    if (this.#failure) return Promise.reject(this.#unusable());
    if (this.#closing) return Promise.reject(this.#lostError('the session is closing'));
    if (command.includes('\0')) return Promise.reject(new TypeError('a shell command cannot contain a NUL byte'));
    // A line equal to the nonce would end the heredoc early; only a command that knows it can do so.
    if (command.includes(this.#options.nonce)) return Promise.reject(new TypeError('command contains the session nonce'));
    const stdin = typeof options.stdin === 'string' ? Buffer.from(options.stdin) : options.stdin;
    return new Promise<ExecResult>((resolve, reject) => {
      const pending: Pending = {
        command,
        script: frameCommand(this.#options.nonce, command, stdin),
        resolve,
        reject,
        timeoutMs: options.timeoutMs,
        timedOut: false,
        queuedAt: tracing ? performance.now() : undefined,
      };
      this.#queue.push(pending);
      if (!this.#ready) return; // written (and timed) once the shell is up
      this.#streams.stdin.write(pending.script);
      if (this.#queue.length === 1) this.#begin(pending);
    });
  }

  /**
   * Lets queued commands finish, then ends the shell; tears the transport down after `graceMs`.
   * With nothing queued there is nothing to wait for: the shell gets end of input and the caller
   * may close the connection at once (waiting for the shell's exit would cost a round trip).
   */
  async close(graceMs = 2000): Promise<void> {
    if (this.#closing || this.#failure) {
      this.#options.destroy();
      return;
    }
    this.#closing = true;
    if (this.#queue.length === 0) {
      this.#streams.stdin.end();
      this.fail(this.#lostError('the session was closed'));
      return;
    }
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(done, graceMs);
      this.#streams.stdout.once('close', done);
      this.#streams.stdout.once('end', done);
      this.#streams.stdin.end();
    });
    this.fail(this.#lostError('the session was closed'));
  }

  /**
   * The far end is gone (stream closed, process exited, channel closed): fail everything queued.
   * Before READY, what the shell printed (sudo's complaint) is the useful part of the message, and
   * its stderr may still be in flight, so it gets a moment to arrive.
   */
  ended(reason: string): void {
    if (this.#failure) return;
    if (this.#ready || this.#closing) {
      this.fail(this.#lostError(reason));
      return;
    }
    const { host, label } = this.#options;
    const report = (): void =>
      this.fail(new ConnectionError(`host ${host}: the ${label} shell ended before it was ready${this.#stderrTail()}`, { host }));
    const timer = setTimeout(report, 200);
    void this.#stderrEnded.then(() => {
      clearTimeout(timer);
      report();
    });
  }

  /** Marks the session unusable: every queued command fails with `error`, the transport is destroyed. */
  fail(error: Error): void {
    if (this.#failure) return;
    this.#failure = error;
    this.#readyWaiter?.reject(error);
    const queued = this.#queue.splice(0);
    for (const pending of queued) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.#options.destroy();
  }

  /** The error for commands sent after the session failed: always a ConnectionError. */
  #unusable(): ConnectionError {
    const failure = this.#failure;
    if (failure instanceof ConnectionError) return failure;
    return new ConnectionError(`host ${this.#options.host}: the ${this.#options.label} shell is unusable: ${failure?.message}`, {
      host: this.#options.host,
      cause: failure,
    });
  }

  #lostError(reason: string): ConnectionError {
    return new ConnectionError(`host ${this.#options.host}: connection lost (${this.#options.label} shell: ${reason})`, {
      host: this.#options.host,
    });
  }

  #stderrTail(): string {
    const text = this.#err.length > 0 ? this.#err.take(this.#err.length).toString('utf8').trim() : '';
    return text ? `: ${mask(text.slice(-500))}` : '';
  }

  /** The command became the one bash is running: its duration and timeout count from now. */
  #begin(pending: Pending): void {
    pending.startedAt = performance.now();
    if (pending.timeoutMs !== undefined && pending.timeoutMs > 0) {
      pending.timer = setTimeout(() => this.#onTimeout(pending), pending.timeoutMs);
    }
  }

  #onTimeout(pending: Pending): void {
    pending.timedOut = true;
    const timeout = new TimeoutError(
      `host ${this.#options.host}: command timed out after ${pending.timeoutMs} ms: ${summarize(pending.command)}`,
      { host: this.#options.host },
    );
    const kill = this.#options.killProcessGroup;
    const grace = this.#options.killGraceMs ?? 2000;
    if (!kill || pending.pgid === undefined) {
      this.fail(timeout);
      return;
    }
    const pgid = pending.pgid;
    // TERM lets the command clean up; KILL if it does not end; if even that is not reported back
    // (process stuck in the kernel, transport wedged) the session cannot be trusted any more.
    const escalate = (signal: KillSignal, next: () => void): void => {
      kill(pgid, signal).catch(() => undefined);
      pending.timer = setTimeout(() => {
        if (this.#queue[0] === pending && !this.#failure) next();
      }, grace);
    };
    escalate('SIGTERM', () => escalate('SIGKILL', () => this.fail(timeout)));
  }

  #pump(): void {
    if (this.#failure) return;
    if (!this.#ready) {
      if (!this.#readyWaiter) return;
      const at = this.#out.indexOf(this.#markers.ready);
      if (at === -1) return;
      // Whatever came before READY (login banners from rc files) belongs to no command.
      this.#out.take(at + this.#markers.ready.length);
      this.#err.take(this.#err.length);
      this.#readyWaiter.resolve();
      for (const pending of this.#queue) this.#streams.stdin.write(pending.script);
      if (this.#queue.length > 0) this.#begin(this.#queue[0]);
    }
    this.#pumpStdout();
    this.#pumpStderr();
    this.#settle();
  }

  #pumpStdout(): void {
    const marker = this.#markers.end;
    while (this.#outIndex < this.#queue.length) {
      const at = this.#out.indexOf(marker, this.#outScanFrom);
      if (at === -1) {
        this.#outScanFrom = Math.max(0, this.#out.length - marker.length + 1);
        return;
      }
      const newline = this.#out.indexOf(NEWLINE_BYTE, at + marker.length);
      if (newline === -1) {
        this.#outScanFrom = at;
        return;
      }
      const pending = this.#queue[this.#outIndex];
      pending.stdout = this.#out.take(at);
      const trailer = this.#out.take(newline + 1 - at);
      pending.exitCode = Number.parseInt(trailer.subarray(marker.length, trailer.length - 1).toString('latin1'), 10);
      this.#outScanFrom = 0;
      this.#outIndex++;
    }
  }

  #pumpStderr(): void {
    const { start, end } = this.#markers;
    while (this.#errIndex < this.#queue.length) {
      const pending = this.#queue[this.#errIndex];
      if (pending.pgid === undefined) {
        const at = this.#err.indexOf(start, this.#errScanFrom);
        if (at === -1) {
          this.#errScanFrom = Math.max(0, this.#err.length - start.length + 1);
          return;
        }
        const newline = this.#err.indexOf(NEWLINE_BYTE, at + start.length);
        if (newline === -1) {
          this.#errScanFrom = at;
          return;
        }
        pending.stderrPrefix = this.#err.take(at);
        const line = this.#err.take(newline + 1 - at);
        pending.pgid = Number.parseInt(line.subarray(start.length, line.length - 1).toString('latin1'), 10);
        this.#errScanFrom = 0;
      }
      const endLine = Buffer.concat([end, NEWLINE_BYTE]);
      const at = this.#err.indexOf(endLine, this.#errScanFrom);
      if (at === -1) {
        this.#errScanFrom = Math.max(0, this.#err.length - endLine.length + 1);
        return;
      }
      const body = this.#err.take(at);
      this.#err.take(endLine.length);
      pending.stderr = pending.stderrPrefix && pending.stderrPrefix.length > 0 ? Buffer.concat([pending.stderrPrefix, body]) : body;
      this.#errScanFrom = 0;
      this.#errIndex++;
    }
  }

  /** Completes commands from the head of the queue once both of their streams are parsed. */
  #settle(): void {
    while (this.#queue.length > 0) {
      const head = this.#queue[0];
      if (head.stdout === undefined || head.stderr === undefined) return;
      this.#queue.shift();
      this.#outIndex--;
      this.#errIndex--;
      clearTimeout(head.timer);
      const durationMs = performance.now() - (head.startedAt ?? performance.now());
      if (this.#queue.length > 0) this.#begin(this.#queue[0]);
      if (tracing) {
        traceEvent({
          host: this.#options.host,
          shell: this.#options.label,
          queued: Math.round(head.queuedAt ?? 0),
          began: Math.round(head.startedAt ?? 0),
          ms: Math.round(durationMs * 10) / 10,
          exit: head.exitCode,
          command: traceFullCommands ? head.command : summarize(head.command),
        });
      }
      if (head.timedOut) {
        head.reject(
          new TimeoutError(
            `host ${this.#options.host}: command timed out after ${head.timeoutMs} ms and was killed: ${summarize(head.command)}`,
            { host: this.#options.host },
          ),
        );
        continue;
      }
      head.resolve({
        command: head.command,
        exitCode: head.exitCode ?? -1,
        stdout: head.stdout.toString('utf8'),
        stderr: head.stderr.toString('utf8'),
        stdoutBytes: head.stdout,
        durationMs,
      });
    }
  }
}

const NEWLINE_BYTE = Buffer.from([NEWLINE]);

/** First line of a command, shortened and masked, for messages. */
export function summarize(command: string): string {
  const first = command.trim().split('\n', 1)[0] ?? '';
  const short = first.length > 120 ? `${first.slice(0, 117)}...` : first;
  return mask(command.includes('\n') ? `${short} ...` : short);
}
