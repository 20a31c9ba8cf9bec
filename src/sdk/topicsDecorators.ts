// Client decorators for topic handlers (seed 004's clients), as composable middleware: each takes the next handler
// and returns one. composeTopicHandler(h, a, b) runs a, then b, then h. Timers and clocks are injectable for tests.

import type { Logger } from '../protocol/logger';
import type { StoredTopicMessageT } from '../protocol/topics';
import { backoffDelay, type BackoffOptions } from '../protocol/backoff';
import { compareTopicIds } from '../protocol/ids';

export type TopicHandler = (m: StoredTopicMessageT) => void | Promise<void>;
export type TopicMiddleware = (next: TopicHandler) => TopicHandler;

export function composeTopicHandler(handler: TopicHandler, ...decorators: TopicMiddleware[]): TopicHandler {
  return decorators.reduceRight<TopicHandler>((next, d) => d(next), handler);
}

type Sleep = (ms: number) => Promise<void>;
const realSleep: Sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export interface OrderingOptions {
  /** Ids remembered for de-duplication; beyond it the oldest are forgotten. Default 10,000. */
  window?: number;
  /**
   * Hold each message this long for earlier ones that may still arrive (another hub's, over the bus), then hand out
   * what is held in id order. 0 (default): no holding — handled in arrival order, one at a time, duplicates dropped.
   */
  holdMs?: number;
  /** Injected timer (tests). */
  setTimer?: (fn: () => void, ms: number) => void;
}

/**
 * Seed 004's message-tracking client: each id handled once (a copy from a second path is dropped), one message at a
 * time, in id order within the hold window. A message older than one already handled is still handled (not lost);
 * `late` counts them.
 */
export function ordering(opts: OrderingOptions = {}): TopicMiddleware & { stats: { duplicates: number; late: number } } {
  const window = opts.window ?? 10_000;
  const holdMs = opts.holdMs ?? 0;
  const setTimer = opts.setTimer ?? ((fn, ms) => void setTimeout(fn, ms));
  const stats = { duplicates: 0, late: 0 };
  const middleware = (next: TopicHandler): TopicHandler => {
    const seen = new Set<string>();
    const held: StoredTopicMessageT[] = [];
    let last: string | undefined;
    let chain: Promise<void> = Promise.resolve();
    const run = (m: StoredTopicMessageT): Promise<void> => {
      if (last !== undefined && compareTopicIds(m.id, last) < 0) stats.late++;
      else last = m.id;
      const p = chain.then(() => next(m));
      chain = p.catch(() => undefined);
      return p;
    };
    const release = (): void => {
      held.sort((a, b) => compareTopicIds(a.id, b.id));
      for (const m of held.splice(0)) void run(m).catch(() => undefined);
    };
    return (m) => {
      if (seen.has(m.id)) {
        stats.duplicates++;
        return;
      }
      seen.add(m.id);
      if (seen.size > window) seen.delete(seen.values().next().value as string);
      if (holdMs <= 0) return run(m);
      held.push(m);
      if (held.length === 1) setTimer(release, holdMs);
      return;
    };
  };
  return Object.assign(middleware, { stats });
}

/** Only messages for which `keep` is true reach the handler. */
export function filtering(keep: (m: StoredTopicMessageT) => boolean): TopicMiddleware {
  return (next) => (m) => (keep(m) ? next(m) : undefined);
}

export interface ThrottleOptions {
  /** Messages handled per second at most (a token bucket, burst = perSecond). */
  perSecond: number;
  now?: () => number;
  sleep?: Sleep;
}

/** At most perSecond messages a second; the rest wait their turn (none is dropped). */
export function throttling(opts: ThrottleOptions): TopicMiddleware {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? realSleep;
  return (next) => {
    let tokens = opts.perSecond;
    let refilled = now();
    let chain: Promise<void> = Promise.resolve();
    return (m) => {
      const p = chain.then(async () => {
        for (;;) {
          const t = now();
          tokens = Math.min(opts.perSecond, tokens + ((t - refilled) / 1000) * opts.perSecond);
          refilled = t;
          if (tokens >= 1) break;
          await sleep(Math.ceil(((1 - tokens) / opts.perSecond) * 1000));
        }
        tokens -= 1;
        await next(m);
      });
      chain = p.catch(() => undefined);
      return p;
    };
  };
}

export interface RetryOptions {
  /** Tries in all (the first included). Default 3. */
  attempts?: number;
  backoff?: BackoffOptions;
  sleep?: Sleep;
  /** Whether an error is worth another try (default: every error). */
  retriable?: (err: unknown) => boolean;
}

/** A handler that throws is called again with backoff, up to `attempts` tries; the last error goes on. */
export function retrying(opts: RetryOptions = {}): TopicMiddleware {
  const attempts = opts.attempts ?? 3;
  const backoff = opts.backoff ?? { initialMs: 100, maxMs: 5_000 };
  const sleep = opts.sleep ?? realSleep;
  return (next) => async (m) => {
    for (let attempt = 0; ; attempt++) {
      try {
        await next(m);
        return;
      } catch (err) {
        if (attempt + 1 >= attempts || (opts.retriable && !opts.retriable(err))) throw err;
        await sleep(backoffDelay(attempt, backoff));
      }
    }
  };
}

/** Each message (id, topic, sender) at debug, a handler's error at warn; the error goes on. */
export function logging(logger: Logger): TopicMiddleware {
  return (next) => async (m) => {
    logger.debug(`topic ${m.namespace}:${m.topic_published_to} message ${m.id} from ${m.sender.id ?? '?'}`);
    try {
      await next(m);
    } catch (err) {
      logger.warn(`topic message ${m.id} on ${m.topic_published_to}: handler failed: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
  };
}
