// The embedded default bus: in-process, no broker. Delivery is asynchronous (a microtask later), as on a real broker,
// so code above never comes to rely on synchronous delivery.

import type { Envelope } from '../protocol/schemas';
import type { Bus, BusCapabilities, BusHandler, BusStatus, SubscribeOptions, Unsubscribe } from './bus';

interface Sub {
  handler: BusHandler;
  group?: string;
}

export interface MemoryBusOptions {
  /**
   * Whether other hubs in this process may be given the same bus (tests, embedding): then hubs integrate with it as
   * with a broker. A hub's own default bus is private: it has no one to share it with. Default true.
   */
  shared?: boolean;
}

export class MemoryBus implements Bus {
  readonly kind = 'memory' as const;
  readonly capabilities: BusCapabilities;
  private readonly channels = new Map<string, Sub[]>();
  private readonly roundRobin = new Map<string, number>();
  private readonly listeners = new Set<(s: BusStatus) => void>();
  private closed = false;
  private published = 0;
  private received = 0;

  constructor(opts: MemoryBusOptions = {}) {
    // messages published to a queue nobody consumes are not kept: not a durable queue
    this.capabilities = Object.freeze({ shared: opts.shared ?? true, durableQueues: false });
  }

  get state(): 'up' | 'down' {
    return this.closed ? 'down' : 'up';
  }

  status(): BusStatus {
    return { kind: 'memory', state: this.state, url: 'memory://', reconnectAttempt: 0, published: this.published, received: this.received };
  }

  async publish(channel: string, message: Envelope): Promise<void> {
    if (this.closed) throw new Error('memory bus is closed');
    this.published++;
    const subs = this.channels.get(channel);
    if (!subs || subs.length === 0) return;
    const targets: Sub[] = [];
    const groups = new Map<string, Sub[]>();
    for (const s of subs) {
      if (s.group === undefined) targets.push(s);
      else {
        const g = groups.get(s.group);
        if (g) g.push(s);
        else groups.set(s.group, [s]);
      }
    }
    for (const [group, members] of groups) {
      const key = channel + '\u0000' + group;
      const i = (this.roundRobin.get(key) ?? 0) % members.length;
      this.roundRobin.set(key, i + 1);
      targets.push(members[i]!);
    }
    queueMicrotask(() => {
      for (const t of targets) {
        this.received++;
        try {
          const r = t.handler(message);
          if (r && typeof (r as Promise<void>).catch === 'function') (r as Promise<void>).catch(() => undefined);
        } catch {
          // a subscriber's exception must not stop delivery to the others
        }
      }
    });
  }

  async subscribe(channel: string, handler: BusHandler, opts: SubscribeOptions = {}): Promise<Unsubscribe> {
    const sub: Sub = { handler, group: opts.group };
    const list = this.channels.get(channel) ?? [];
    list.push(sub);
    this.channels.set(channel, list);
    return async () => {
      const l = this.channels.get(channel);
      if (!l) return;
      const i = l.indexOf(sub);
      if (i >= 0) l.splice(i, 1);
      if (l.length === 0) this.channels.delete(channel);
    };
  }

  /** Ends the subscriptions to the channel (nothing carries it but them). */
  async releaseChannel(channel: string): Promise<void> {
    this.channels.delete(channel);
    for (const key of [...this.roundRobin.keys()]) if (key.startsWith(channel + '\u0000')) this.roundRobin.delete(key);
  }

  onStatus(listener: (status: BusStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.channels.clear();
    const s = this.status();
    for (const l of this.listeners) l(s);
  }
}
