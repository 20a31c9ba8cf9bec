// Reconnect delays for SDK clients: capped exponential backoff with jitter, so a hub restart is not met by every
// agent reconnecting in the same millisecond.

export interface BackoffOptions {
  /** Delay before the first retry. */
  initialMs: number;
  /** Ceiling for any single delay. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = Object.freeze({ initialMs: 500, maxMs: 10_000 });

/**
 * The delay before retry number `attempt` (0-based): min(maxMs, initialMs · 2^attempt), then "equal jitter" — a
 * random point in its upper half — so the delay never collapses to zero yet clients spread out.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions, random: () => number = Math.random): number {
  const exp = Math.min(opts.maxMs, opts.initialMs * 2 ** Math.min(Math.max(attempt, 0), 30));
  const half = exp / 2;
  return Math.round(half + random() * half);
}
