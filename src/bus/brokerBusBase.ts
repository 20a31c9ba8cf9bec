// What the RabbitMQ and Kafka buses share: the connection state machine (connecting/up/down, the reconnect attempt,
// the last error, the counters the UI shows) with its status listeners and waiters, the reconnect backoff, delays that
// close() cuts short, and the de-duplication count over subscriptions. Each bus keeps its own wire; its parts
// (connection, publisher, consumer, admin) all read and drive the one BrokerLink.

import type { Logger } from '../protocol/logger';
import { SwitchboardError, errorMessage } from '../protocol/errors';
import { backoffDelay, type BackoffOptions } from '../protocol/backoff';
import type { BusKind, BusState, BusStatus } from './bus';
import type { DedupWindow } from './dedup';
import { StatusListeners, Waiters } from './busSupport';

export interface ReconnectOptions {
  initialMs?: number;
  maxMs?: number;
  /** Share of each delay left to chance (see protocol/backoff.ts). */
  jitter?: number;
}

/** Defaults: 200 ms doubling up to 5 s, the last 30 % left to chance. */
const DEFAULT_RECONNECT: BackoffOptions = { initialMs: 200, maxMs: 5_000, jitter: 0.3 };

interface Sleeper {
  timer: NodeJS.Timeout;
  wake: () => void;
}

/** The state of one broker connection, shared by the parts of a bus. */
export class BrokerLink {
  private current: BusState = 'connecting';
  lastError: string | undefined;
  /** Reconnect attempts since the link was last up (0 while up). */
  attempt = 0;
  published = 0;
  received = 0;
  private isClosed = false;
  readonly readyWaiters = new Waiters();
  /** Woken when nothing is left to publish or confirm. */
  readonly idleWaiters = new Waiters();
  private readonly listeners = new StatusListeners();
  private readonly sleepers = new Set<Sleeper>();
  readonly reconnect: BackoffOptions;

  constructor(
    private readonly kind: BusKind,
    private readonly displayUrl: () => string,
    readonly log: Logger,
    reconnect: ReconnectOptions | undefined,
  ) {
    this.reconnect = {
      initialMs: reconnect?.initialMs ?? DEFAULT_RECONNECT.initialMs,
      maxMs: reconnect?.maxMs ?? DEFAULT_RECONNECT.maxMs,
      jitter: reconnect?.jitter ?? DEFAULT_RECONNECT.jitter,
    };
  }

  get state(): BusState {
    return this.current;
  }

  get closed(): boolean {
    return this.isClosed;
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

  onStatus(listener: (status: BusStatus) => void): () => void {
    return this.listeners.add(listener);
  }

  /** Moves to `state` and tells the listeners; `force` tells them even when the state is the same (the attempt changed). */
  setState(state: BusState, force = false): void {
    if (this.current === state && !force) return;
    this.current = state;
    if (state === 'up') this.readyWaiters.wake();
    this.listeners.emit(this.status(), this.log);
  }

  /** Up again: the attempt count resets. Returns the attempts it took, or undefined when it was up already. */
  markUp(): number | undefined {
    if (this.isClosed || this.current === 'up') return undefined;
    const was = this.attempt;
    this.attempt = 0;
    this.setState('up');
    return was;
  }

  /** One more reconnect attempt; its delay (the listeners hear the new count). */
  nextAttempt(): number {
    this.attempt++;
    this.setState('down', true);
    return this.backoff(this.attempt);
  }

  noteError(err: unknown): void {
    this.lastError = errorMessage(err);
  }

  /** The delay before reconnect attempt n (1-based): the shared backoff (protocol/backoff.ts). */
  backoff(n: number): number {
    return backoffDelay(n - 1, this.reconnect);
  }

  /** A delay that close() cuts short. */
  sleep(ms: number): Promise<void> {
    return this.delay(ms).promise;
  }

  delay(ms: number): { promise: Promise<void>; cancel: () => void } {
    if (this.isClosed) return { promise: Promise.resolve(), cancel: () => undefined };
    let entry: Sleeper | undefined;
    const promise = new Promise<void>((resolve) => {
      const e: Sleeper = {
        timer: setTimeout(() => {
          this.sleepers.delete(e);
          resolve();
        }, ms),
        wake: resolve,
      };
      entry = e;
      this.sleepers.add(e);
    });
    const cancel = (): void => {
      if (!entry) return;
      clearTimeout(entry.timer);
      this.sleepers.delete(entry);
      entry.wake();
    };
    return { promise, cancel };
  }

  /** From now on the bus is closed: delays end at once, waiters wake (ready() callers hear it closed). */
  close(): void {
    this.isClosed = true;
    for (const s of this.sleepers) {
      clearTimeout(s.timer);
      s.wake();
    }
    this.sleepers.clear();
    this.idleWaiters.wake();
    this.readyWaiters.wake();
  }

  /** The last word to the listeners (state down), then none is kept. */
  finish(): void {
    this.current = 'down';
    this.listeners.emit(this.status(), this.log);
    this.listeners.clear();
  }
}

export abstract class BrokerBusBase<Sub extends { dedup: DedupWindow }> {
  abstract readonly kind: BusKind;
  protected readonly link: BrokerLink;
  protected readonly subs = new Set<Sub>();

  protected constructor(kind: BusKind, logger: Logger, reconnect: ReconnectOptions | undefined) {
    this.link = new BrokerLink(kind, () => this.displayUrl(), logger, reconnect);
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
    return this.link.state;
  }

  status(): BusStatus {
    return this.link.status();
  }

  /** Duplicates dropped by de-duplication, over all subscriptions. */
  get duplicatesDropped(): number {
    let n = 0;
    for (const s of this.subs) n += s.dedup.dropped;
    return n;
  }

  onStatus(listener: (status: BusStatus) => void): () => void {
    return this.link.onStatus(listener);
  }

  /** Resolves once the bus is up (immediately if it is); rejects after timeoutMs or when the bus closes. */
  async ready(timeoutMs = 10_000): Promise<void> {
    if (this.link.state !== 'up' && !this.link.closed) await this.link.readyWaiters.wait(timeoutMs);
    if (this.link.closed) throw new SwitchboardError('shutdown', `The ${this.label} bus is closed.`);
    if (this.link.state === 'up') return;
    const lastError = this.link.lastError;
    throw new SwitchboardError(
      'bus_down',
      `${this.label} at ${this.address()} did not answer within ${timeoutMs} ms` + (lastError ? ` (${lastError})` : '') + `. ${this.unreachableHint}`,
      { retriable: true },
    );
  }
}
