/**
 * Retrying a connection that sshd dropped before its banner. A large fleet started at once meets
 * sshd's `MaxStartups` (default 10:30:100): past 10 unauthenticated connections sshd closes new ones
 * at random right after accepting them, and the client sees the socket close before any SSH
 * identification ("Connection lost before handshake" in ssh2, "kex_exchange_identification" in
 * OpenSSH) or a reset. The host is fine and busy; a later attempt gets in. Only those failures are
 * retried: a refused port, a timeout, a wrong key or host key fail at once, as before.
 */

export interface RetryPolicy {
  /** Attempts in all, the first included (default 5). */
  attempts: number;
  /** The wait before the first retry; doubled for each next one (default 250 ms). */
  baseDelayMs: number;
  /** The longest single wait (default 4 s). */
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 5, baseDelayMs: 250, maxDelayMs: 4000 };

/** True for a connection the server closed or reset before the SSH handshake began. */
export function isDroppedBeforeHandshake(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ECONNRESET' || code === 'EPIPE') return true;
  return /Connection lost before handshake|kex_exchange_identification/.test(error.message);
}

/**
 * The wait before retry number `retry` (1-based): exponential, capped, with full jitter between
 * half and all of it, so hosts dropped together do not come back together.
 */
export function retryDelayMs(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * Runs `attempt` until it succeeds, fails with something other than a drop, or the attempts are used
 * up; `onRetry` is told of each retry (counted in the recap). The last error is thrown, its message
 * saying how many attempts were made.
 */
export async function withConnectRetries<T>(
  attempt: () => Promise<T>,
  onRetry: (retry: number, error: Error) => void,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
): Promise<T> {
  for (let tried = 1; ; tried++) {
    try {
      return await attempt();
    } catch (error) {
      if (!isDroppedBeforeHandshake(error)) throw error;
      if (tried >= policy.attempts) {
        const last = error as Error;
        last.message = `${last.message} (the server dropped all ${tried} attempts: sshd's MaxStartups?)`;
        throw last;
      }
      onRetry(tried, error as Error);
      await new Promise((resolve) => setTimeout(resolve, retryDelayMs(tried, policy)));
    }
  }
}
