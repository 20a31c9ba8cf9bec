// What the RabbitMQ and Kafka buses share: connection state and the status the UI shows, waiting for 'up', status
// listeners, the reconnect backoff, and the de-duplication count over subscriptions. Each bus keeps its own wire.

import type { Logger } from '../protocol/logger';
import { SwitchboardError, errorMessage } from '../protocol/errors';
import type { BusKind, BusState, BusStatus } from './bus';
import type { DedupWindow } from './dedup';
import { StatusListeners, Waiters } from './busSupport';

export interface ReconnectOptions {
  initialMs?: number;
  maxMs?: number;
  jitter?: number;
}

export abstract class BrokerBusBase<Sub extends { dedup: DedupWindow }> {
  abstract readonly kind: BusKind;
  protected abstract readonly log: Logger;

  protected current: BusState = 'connecting';
  protected lastError: string | undefined;
  /** Reconnect attempts since the bus was last up (0 while up). */
  protected attempt = 0;
  protected published = 0;
  protected received = 0;
  protected closed = false;
  protected readonly subs = new Set<Sub>();
  protected readonly readyWaiters = new Waiters();
  /** Woken when nothing is left to publish or confirm. */
  protected readonly idleWaiters = new Waiters();
  protected readonly listeners = new StatusListeners();
  protected readonly initialMs: number;
  protected readonly maxMs: number;
  protected readonly jitter: number;

  /** Defaults: 200 ms doubling up to 5 s, ±30 % jitter. */
  protected constructor(reconnect: ReconnectOptions | undefined) {
    this.initialMs = reconnect?.initialMs ?? 200;
    this.maxMs = reconnect?.maxMs ?? 5_000;
    this.jitter = reconnect?.jitter ?? 0.3;
  }

  /** 'RabbitMQ', 'Kafka': how messages name the broker. */
  protected abstract readonly label: string;
  /** What to check when the broker does not answer (ends a sentence). */
  protected abstract readonly unreachableHint: string;
  /** The broker's URL as the UI shows it (never with credentials). */
  protected abstract displayUrl(): string;
  /** The broker's address in messages ("RabbitMQ at …"), never with credentials. */
  protected address(): string {
    return this.displayUrl();
  }

  get state(): BusState {
    return this.current;
  }

  status(): BusStatus {
    const s: BusStatus = {
      kind: this.kind,
      state: this.current,
      url: this.displayUrl(),
      reconnectAttempt: this.attempt,
      published: this.published,
      received: this.received,
    };
    if (this.lastError !== undefined) s.lastError = this.lastError;
    return s;
  }

  /** Duplicates dropped by de-duplication, over all subscriptions. */
  get duplicatesDropped(): number {
    let n = 0;
    for (const s of this.subs) n += s.dedup.dropped;
    return n;
  }

  onStatus(listener: (status: BusStatus) => void): () => void {
    return this.listeners.add(listener);
  }

  /** Resolves once the bus is up (immediately if it is); rejects after timeoutMs or when the bus closes. */
  async ready(timeoutMs = 10_000): Promise<void> {
    if (this.current !== 'up' && !this.closed) await this.readyWaiters.wait(timeoutMs);
    if (this.closed) throw new SwitchboardError('shutdown', `The ${this.label} bus is closed.`);
    if (this.current === 'up') return;
    throw new SwitchboardError(
      'bus_down',
      `${this.label} at ${this.address()} did not answer within ${timeoutMs} ms` +
        (this.lastError ? ` (${this.lastError})` : '') +
        `. ${this.unreachableHint}`,
      { retriable: true },
    );
  }

  protected noteError(err: unknown): void {
    this.lastError = errorMessage(err);
  }

  /** The delay before reconnect attempt n (1-based): initialMs doubling up to maxMs, ±jitter. */
  protected backoff(n: number): number {
    const base = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(Math.max(n, 1) - 1, 30));
    return Math.max(0, Math.min(this.maxMs, base * (1 + this.jitter * (Math.random() * 2 - 1))));
  }
}
