/**
 * One persistent shell session: commands run one at a time in a long-lived `bash` fed through a
 * duplex (an SSH channel, or a local child process in tests), so a command costs a round trip
 * instead of a new SSH channel (an sshd session setup each). The wire protocol is in framing.ts.
 *
 * Commands are written as soon as exec() is called (bash runs them in order), so several queued
 * commands cost one round trip, not one each. Output is parsed from raw bytes per stream.
 */
import type { Readable, Writable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { ConnectionError, TaskError, TimeoutError } from '../errors.ts';
import { mask } from '../secrets/mask.ts';
import { traceEvent, traceFullCommands, tracing } from '../util/trace.ts';
import { ByteQueue } from './byte-queue.ts';
import { AWAITING_NONCE, SESSION_SETUP, frameCommand, markers, newNonce, nonceLine, parseMarker, type Markers } from './framing.ts';
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
  /**
   * Most bytes one command may print on each stream (default DEFAULT_MAX_OUTPUT_BYTES). More is
   * read and dropped, and the command fails with a TaskError; the session stays usable.
   */
  maxOutputBytes?: number;
}

/** 64 MiB: far above any probe's output, far below what a JavaScript string can hold. */
export const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

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
  /** The command's number in this session: every marker it gets back carries it. */
  seq: number;
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
  /** Bytes dropped past the output limit, per stream. */
  droppedOut: number;
  droppedErr: number;
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
  #nonceSent = false;
  #seq = 0;
  readonly #maxOutput: number;
  #failure: Error | null = null;
  #closing = false;
  #stderrEnded: Promise<void>;
  #readyWaiter: { resolve: () => void; reject: (error: Error) => void; onStderr: () => void } | null = null;

  constructor(streams: SessionStreams, options: SessionOptions) {
    this.#streams = streams;
    this.#options = options;
    this.#markers = markers(options.nonce);
    this.#maxOutput = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
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
      if (this.#failure) {
        this.#readyWaiter.reject(this.#unusable());
        return;
      }
      // Without a password prompt to wait for, nothing but the launch command reads stdin: the
      // nonce goes at once (no round trip). With one, sudo reads stdin first: the nonce waits for
      // the launch command to ask for it (#pump), so it can never be taken for a password.
      if (!prompt) this.#sendNonce();
      this.#pump();
    });
  }

  #sendNonce(): void {
    if (this.#nonceSent) return;
    this.#nonceSent = true;
    this.#streams.stdin.write(nonceLine(this.#options.nonce));
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
      const seq = ++this.#seq;
      const pending: Pending = {
        seq,
        command,
        script: frameCommand(this.#options.nonce, seq, command, stdin),
        resolve,
        reject,
        timeoutMs: options.timeoutMs,
        timedOut: false,
        droppedOut: 0,
        droppedErr: 0,
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
      if (!this.#nonceSent && this.#out.indexOf(AWAITING_NONCE) !== -1) this.#sendNonce();
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
      const pending = this.#queue[this.#outIndex];
      const at = this.#out.indexOf(marker, this.#outScanFrom);
      if (at === -1) {
        pending.droppedOut += this.#dropPastLimit(this.#out, pending.droppedOut);
        this.#outScanFrom = Math.max(0, this.#out.length - marker.length + 1);
        return;
      }
      const newline = this.#out.indexOf(NEWLINE_BYTE, at + marker.length);
      if (newline === -1) {
        if (this.#out.length - at > MAX_MARKER_LINE) return this.#outOfStep(pending, 'stdout', this.#out.take(this.#out.length).subarray(at));
        this.#outScanFrom = at;
        return;
      }
      const body = this.#out.take(at);
      const trailer = this.#out.take(newline + 1 - at);
      const parsed = parseMarker(trailer.subarray(marker.length, trailer.length - 1).toString('latin1'), true);
      if (!parsed || parsed.seq !== pending.seq) return this.#outOfStep(pending, 'stdout', trailer);
      pending.droppedOut += this.#countPastLimit(body.length, pending.droppedOut);
      pending.stdout = pending.droppedOut > 0 ? Buffer.alloc(0) : body;
      pending.exitCode = parsed.value;
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
          if (this.#err.length - at > MAX_MARKER_LINE) return this.#outOfStep(pending, 'stderr', this.#err.take(this.#err.length).subarray(at));
          this.#errScanFrom = at;
          return;
        }
        pending.stderrPrefix = this.#err.take(at);
        const line = this.#err.take(newline + 1 - at);
        const parsed = parseMarker(line.subarray(start.length, line.length - 1).toString('latin1'), true);
        if (!parsed || parsed.seq !== pending.seq) return this.#outOfStep(pending, 'stderr', line);
        pending.pgid = parsed.value;
        this.#errScanFrom = 0;
      }
      const at = this.#err.indexOf(end, this.#errScanFrom);
      if (at === -1) {
        pending.droppedErr += this.#dropPastLimit(this.#err, pending.droppedErr);
        this.#errScanFrom = Math.max(0, this.#err.length - end.length + 1);
        return;
      }
      const newline = this.#err.indexOf(NEWLINE_BYTE, at + end.length);
      if (newline === -1) {
        if (this.#err.length - at > MAX_MARKER_LINE) return this.#outOfStep(pending, 'stderr', this.#err.take(this.#err.length).subarray(at));
        this.#errScanFrom = at;
        return;
      }
      const body = this.#err.take(at);
      const line = this.#err.take(newline + 1 - at);
      const parsed = parseMarker(line.subarray(end.length, line.length - 1).toString('latin1'), false);
      if (!parsed || parsed.seq !== pending.seq) return this.#outOfStep(pending, 'stderr', line);
      pending.droppedErr += this.#countPastLimit(body.length, pending.droppedErr);
      const whole = pending.stderrPrefix && pending.stderrPrefix.length > 0 ? Buffer.concat([pending.stderrPrefix, body]) : body;
      pending.stderr = pending.droppedErr > 0 ? whole.subarray(0, 2000) : whole;
      this.#errScanFrom = 0;
      this.#errIndex++;
    }
  }

  /**
   * Once a command's output without its end marker passes the limit, drops it from the queue
   * (keeping a tail that may hold the start of the marker) and returns how many bytes went.
   * Output dropped before cannot be returned any more, so from then on everything goes.
   */
  #dropPastLimit(queue: ByteQueue, droppedBefore: number): number {
    if (droppedBefore === 0 && queue.length <= this.#maxOutput) return 0;
    const drop = queue.length - MAX_MARKER_LINE;
    if (drop <= 0) return 0;
    queue.take(drop);
    if (queue === this.#out) this.#outScanFrom = 0;
    else this.#errScanFrom = 0;
    return drop;
  }

  /** Bytes of a command's last piece of output that count as past the limit. */
  #countPastLimit(length: number, droppedBefore: number): number {
    if (droppedBefore > 0) return length;
    return length > this.#maxOutput ? length : 0;
  }

  /**
   * A marker with this session's nonce but the wrong sequence number or shape: something that
   * learnt the nonce printed it. Which output belongs to which command is no longer known, so
   * nothing more is trusted: the session fails loudly rather than shift results.
   */
  #outOfStep(pending: Pending, stream: 'stdout' | 'stderr', line: Buffer): void {
    const seen = JSON.stringify(line.subarray(this.#markers.end.length, Math.min(line.length, 60)).toString('latin1'));
    this.fail(
      new ConnectionError(
        `host ${this.#options.host}: the ${this.#options.label} shell's ${stream} is out of step: expected the markers of command #${pending.seq}, ` +
          `got a marker line ${seen} (a command printed the session's framing?): ${summarize(pending.command)}`,
        { host: this.#options.host },
      ),
    );
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
      if (head.droppedOut > 0 || head.droppedErr > 0) {
        const sizes = [head.droppedOut > 0 ? `${head.droppedOut} bytes on stdout` : '', head.droppedErr > 0 ? `${head.droppedErr} bytes on stderr` : '']
          .filter(Boolean)
          .join(', ');
        head.reject(
          new TaskError(
            `host ${this.#options.host}: command output exceeded the limit of ${formatBytes(this.#maxOutput)} per stream (${sizes}); ` +
              `the output was dropped: ${summarize(head.command)}`,
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
/** Longer than any marker line (nonce, letter, two numbers); more without a newline is not one. */
const MAX_MARKER_LINE = 80;

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/** First line of a command, shortened and masked, for messages. */
export function summarize(command: string): string {
  const first = command.trim().split('\n', 1)[0] ?? '';
  const short = first.length > 120 ? `${first.slice(0, 117)}...` : first;
  return mask(command.includes('\n') ? `${short} ...` : short);
}
