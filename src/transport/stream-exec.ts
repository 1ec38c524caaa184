/**
 * A command whose stdin and stdout are streams, on a channel of its own (not the persistent
 * session, whose framing holds each command's output in memory). Used to move data too big for
 * memory between hosts: the reader's pace reaches the far command through the SSH window, so the
 * controller only ever holds a window's worth.
 *
 * The command is wrapped so that it first prints STREAM_READY on stdout: everything before it
 * (login banners) is dropped, and stdin is only piped after it, so a sudo password, answered on
 * its prompt, is never mixed with the data and the data is never taken for a password.
 */
import { Transform, type Readable, type TransformCallback, type Writable } from 'node:stream';
import { ConnectionError } from '../errors.ts';
import { mask } from '../secrets/mask.ts';
import { sh } from './quote.ts';
import type { StreamedCommand } from './types.ts';

const STREAM_READY = Buffer.from('shipshape: stream\n');
/** Output before the ready line is banners at most; more means the wrapper never ran. */
const MAX_PREAMBLE = 64 * 1024;
const STDERR_TAIL = 8 * 1024;

/** The command as it runs on the channel (before sudo, if any): ready line, then the command. */
/**
 * `withStdin: false`: the command reads /dev/null on the host, and the controller never sends end
 * of file. Ending the channel's stdin there would race a command that exits at once: ssh2 closes a
 * channel whose both sides have ended, and sshd sends no exit status on a channel already closed.
 */
export function streamWrapper(command: string, options: { withStdin: boolean } = { withStdin: true }): string {
  const script = options.withStdin ? 'printf "shipshape: stream\\n"; eval "$1"' : 'printf "shipshape: stream\\n"; eval "$1" </dev/null';
  return sh`bash --noprofile --norc -c ${script} shipshape-stream ${command}`;
}

export interface StreamChannel {
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
  /** Resolves with the exit status once the channel is closed (-1 without one). */
  closed: Promise<number>;
  /** Closes the channel (the far command gets end of file / SIGPIPE). */
  close(): void;
}

export interface StreamStart {
  host: string;
  command: string;
  /** sudo's prompt to answer with `password` (once: a second prompt is a refusal). */
  prompt?: string;
  password?: string;
  stdin?: Readable;
}

export function runStreamed(channel: StreamChannel, start: StreamStart): StreamedCommand {
  let ready = false;
  let answered = false;
  let stderr = '';
  let failure: Error | null = null;
  const prompt = start.prompt ? Buffer.from(start.prompt) : null;
  let preamble = Buffer.alloc(0);
  const where = `host ${start.host}: ${summarize(start.command)}`;

  const fail = (error: Error): void => {
    failure ??= error;
    channel.close();
  };

  const onReady = (): void => {
    ready = true;
    // Without stdin the command reads /dev/null on the host (streamWrapper): nothing to send.
    if (!start.stdin) return;
    start.stdin.on('error', (error: Error) => fail(error));
    start.stdin.pipe(channel.stdin);
  };

  const stdout = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      if (ready) {
        callback(null, chunk);
        return;
      }
      preamble = Buffer.concat([preamble, chunk]);
      const at = preamble.indexOf(STREAM_READY);
      if (at === -1) {
        if (preamble.length > MAX_PREAMBLE) fail(new ConnectionError(`${where}: the command did not start (no ready line)`, { host: start.host }));
        callback();
        return;
      }
      const rest = preamble.subarray(at + STREAM_READY.length);
      preamble = Buffer.alloc(0);
      onReady();
      callback(null, rest.length > 0 ? rest : undefined);
    },
  });
  channel.stdout.pipe(stdout);
  // A channel that fails (closed under a write) ends the command with that error, never an uncaught one.
  for (const side of new Set<NodeJS.EventEmitter>([channel.stdin, channel.stdout, channel.stderr])) side.on('error', (error: Error) => fail(error));
  // A reader that gives up (destroys the stream) stops the command instead of leaving it blocked.
  stdout.on('close', () => {
    if (!stdout.readableEnded) channel.close();
  });

  let promptSeen = Buffer.alloc(0);
  channel.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL);
    if (ready || !prompt) return;
    promptSeen = Buffer.concat([promptSeen, chunk]);
    const at = promptSeen.indexOf(prompt);
    if (at === -1) return;
    promptSeen = promptSeen.subarray(at + prompt.length);
    stderr = stderr.split(start.prompt ?? '').join('');
    if (answered || start.password === undefined) {
      fail(new ConnectionError(`${where}: sudo refused the become password`, { host: start.host }));
      return;
    }
    answered = true;
    channel.stdin.write(`${start.password}\n`);
  });

  const done = channel.closed.then((exitCode) => {
    if (failure) throw failure;
    if (!ready) {
      const said = mask(stderr.trim().slice(-500));
      throw new ConnectionError(`${where}: the command ended before it started${said ? `: ${said}` : ''}`, { host: start.host });
    }
    return { exitCode, stderr: mask(stderr) };
  });
  return { stdout, done };
}

function summarize(command: string): string {
  const first = command.trim().split('\n', 1)[0] ?? '';
  return mask(first.length > 120 ? `${first.slice(0, 117)}...` : first);
}
