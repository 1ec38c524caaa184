/**
 * Reading HAProxy's runtime API: the command that talks to the admin socket and pure parsers of
 * `show servers state` and `show stat`, tested on recorded output.
 */
import { sh } from '../../transport/quote.ts';

/**
 * socat with the API commands on stdin; -t bounds the wait for HAProxy's answer after stdin ends,
 * timeout the connect (a socket nobody accepts on blocks it).
 */
export const SOCKET_TIMEOUT_S = 10;
export const socketCommand = (socket: string) => sh`timeout ${SOCKET_TIMEOUT_S} socat -t 5 stdio ${`UNIX-CONNECT:${socket}`}`;

/** Admin flags of `srv_admin_state` that an operator (or this module) sets; the others are inherited or from DNS. */
export const ADMIN_FORCED_MAINT = 0x01;
export const ADMIN_FORCED_DRAIN = 0x08;

export interface ServerState {
  backend: string;
  server: string;
  /** srv_op_state: 0 stopped (DOWN), 1 starting, 2 running (UP), 3 stopping. */
  opState: number;
  /** srv_admin_state bit field. */
  adminState: number;
}

export type AdminState = 'ready' | 'drain' | 'maint';

/** The state an operator set: maint wins over drain, as in HAProxy. */
export function adminStateOf(server: ServerState): AdminState {
  if (server.adminState & ADMIN_FORCED_MAINT) return 'maint';
  if (server.adminState & ADMIN_FORCED_DRAIN) return 'drain';
  return 'ready';
}

/**
 * `show servers state [backend]` (format version 1): a version line, a `#` header naming the
 * columns, one space-separated line per server. Columns are found by name, not position.
 * Returns undefined when the text is not that format (an error message from HAProxy).
 */
export function parseServersState(text: string): ServerState[] | undefined {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const headerIndex = lines.findIndex((l) => l.startsWith('# be_id'));
  if (headerIndex < 0) return undefined;
  const columns = lines[headerIndex].slice(1).trim().split(/\s+/);
  const at = (name: string) => columns.indexOf(name);
  const [be, srv, op, admin] = [at('be_name'), at('srv_name'), at('srv_op_state'), at('srv_admin_state')];
  if ([be, srv, op, admin].some((i) => i < 0)) return undefined;
  return lines.slice(headerIndex + 1).filter((l) => !l.startsWith('#')).map((line) => {
    const fields = line.split(/\s+/);
    return { backend: fields[be], server: fields[srv], opState: Number(fields[op]), adminState: Number(fields[admin]) };
  });
}

/** Current sessions (`scur`) of one server in `show stat`'s CSV; undefined when the server is not listed. */
export function currentSessions(csv: string, backend: string, server: string): number | undefined {
  const lines = csv.split('\n').filter(Boolean);
  const header = lines.find((l) => l.startsWith('# '));
  if (!header) return undefined;
  const columns = header.slice(2).split(',');
  const [px, sv, scur] = [columns.indexOf('pxname'), columns.indexOf('svname'), columns.indexOf('scur')];
  for (const line of lines) {
    if (line.startsWith('#')) continue;
    const fields = line.split(',');
    if (fields[px] === backend && fields[sv] === server) return Number(fields[scur]);
  }
  return undefined;
}
