// Pieces every broker bus needs in the same way: reading an envelope off the wire, the id de-duplication keys on,
// status listeners that cannot break the bus, and deadline waits.

import type { Envelope } from '../protocol/schemas';
import type { Logger } from '../protocol/logger';
import { SwitchboardError, errorMessage } from '../protocol/errors';
import type { BusStatus, SubscribeOptions } from './bus';

/** A JSON object with a string `message_type`, or undefined (not JSON, an array, no type). */
export function parseEnvelope(body: Buffer | null | undefined): Envelope | undefined {
  if (!body) return undefined;
  try {
    const v: unknown = JSON.parse(body.toString('utf8'));
    if (typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as { message_type?: unknown }).message_type === 'string') {
      return v as Envelope;
    }
  } catch {
    // not JSON
  }
  return undefined;
}

/** Parsed a second time only for a body already dropped, so the good path pays nothing for the reason. */
function isJson(body: Buffer | null | undefined): boolean {
  if (!body) return false;
  try {
    JSON.parse(body.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

/** Tells a subscriber's onUndecodable about a dropped body; a listener that throws is logged, never the bus's end. */
export function reportUndecodable(
  listener: NonNullable<SubscribeOptions['onUndecodable']>,
  channel: string,
  body: Buffer | null | undefined,
  log: Logger,
): void {
  try {
    listener({ channel, bytes: body?.length ?? 0, preview: body ? body.toString('utf8', 0, Math.min(body.length, 200)) : '', reason: isJson(body) ? 'not_a_message' : 'invalid_json' });
  } catch (err) {
    log.warn(`onUndecodable listener for ${channel} threw: ${errorMessage(err)}`);
  }
}

/** The envelope's own `message_id` as a string, when it has one. */
export function envelopeId(m: Envelope): string | undefined {
  const id = m.message_id;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
}

/** onStatus() listeners; one that throws is logged and the others still hear. */
export class StatusListeners {
  private readonly set = new Set<(s: BusStatus) => void>();

  add(listener: (s: BusStatus) => void): () => void {
    this.set.add(listener);
    return () => this.set.delete(listener);
  }

  emit(status: BusStatus, log: Logger): void {
    for (const l of this.set) {
      try {
        l(status);
      } catch (err) {
        log.warn(`status listener threw: ${errorMessage(err)}`);
      }
    }
  }

  clear(): void {
    this.set.clear();
  }
}

/** Callers waiting for one condition (up, idle): wake() settles them all with true, a deadline with false. */
export class Waiters {
  private list: Array<() => void> = [];

  wait(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.list = this.list.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      this.list.push(done);
    });
  }

  wake(): void {
    for (const w of this.list.splice(0)) w();
  }
}

/**
 * `p`, or a `timeout` error after `ms`. For broker round trips that have no deadline of their own (a disconnect, a
 * channel close, a consumer cancel): a broker that accepted the socket but stopped answering must not hold close()
 * or a reconnect forever.
 */
export function withTimeout<T>(p: Promise<T>, ms: number, what = 'the broker'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SwitchboardError('timeout', `${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
