import { z } from 'zod';

// HAProxy proxy and server names: letters, digits and - _ . : (the runtime API splits on '/').
const NAME = /^[A-Za-z0-9_.:-]+$/;

export const haproxyServerSchema = z.strictObject({
  /** The backend (HAProxy `backend` section) the server belongs to. */
  backend: z.string().regex(NAME, 'not an HAProxy backend name'),
  /** The server's name in that backend. */
  server: z.string().regex(NAME, 'not an HAProxy server name'),
  /**
   * ready: takes traffic; drain: no new sessions, current ones finish; maint: no traffic at all
   * (and no health checks).
   */
  state: z.enum(['ready', 'drain', 'maint']),
  /**
   * The hosts of this run whose HAProxy to act on (the task may run on the web host it is about);
   * empty = the host the task runs on.
   */
  loadBalancers: z.array(z.string().min(1)).default([]),
  /** The admin socket (`stats socket ... level admin`); root's, so commands run through sudo. */
  socket: z.string().startsWith('/', 'an absolute path').default('/run/haproxy/admin.sock'),
  /** drain/maint: seconds to wait until the server's current sessions end; then the task fails. */
  drainTimeout: z.number().int().min(0).default(60),
  /** ready: seconds to wait until HAProxy sees the server UP (its health checks pass); 0 = do not wait. */
  upTimeout: z.number().int().min(0).default(60),
});

export type HaproxyServerArgs = z.output<typeof haproxyServerSchema>;
export type HaproxyServerInput = z.input<typeof haproxyServerSchema>;
