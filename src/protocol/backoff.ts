// Retry delays, written once for every layer (bus reconnects, SDK clients, the CLI's broker link): capped exponential
// backoff with jitter, so a restarted hub or broker is not met by every client retrying in the same millisecond.

export interface BackoffOptions {
  /** Delay before the first retry (attempt 0). */
  initialMs: number;
  /** Ceiling of any single delay. */
  maxMs: number;
  /**
   * Share of each delay left to chance, 0 to 1: the delay lies in [d·(1 − jitter), d] for the capped exponential d.
   * Default 0.5 ("equal jitter": spread out, yet never near zero).
   */
  jitter?: number;
}

export const DEFAULT_JITTER = 0.5;

/**
 * The delay before retry number `attempt` (0-based): d = min(maxMs, initialMs · 2^attempt), then a random point in
 * [d·(1 − jitter), d], rounded to whole milliseconds. `random` is injectable for tests (1 gives d itself).
 */
export function backoffDelay(attempt: number, opts: BackoffOptions, random: () => number = Math.random): number {
  const exp = Math.min(opts.maxMs, opts.initialMs * 2 ** Math.min(Math.max(Math.floor(attempt), 0), 30));
  const jitter = Math.min(1, Math.max(0, opts.jitter ?? DEFAULT_JITTER));
  return Math.max(0, Math.round(exp * (1 - jitter + jitter * random())));
}
