// Consuming on the RabbitMQ bus: a consumer per subscription on the shared consume channel — a `queue:` channel's own
// queue, a durable queue per (channel, group) on the topic exchange, an exclusive one per subscriber without a group,
// and the seed 002 fanout exchange and reply queues. Handlers start in delivery order, up to `prefetch` at once; each
// delivery is acked when its handler settles; message ids already seen are dropped.

import type { Channel, ConsumeMessage } from 'amqplib';
import { SwitchboardError, errorMessage } from '../../protocol/errors';
import { QUEUE_CHANNEL_PREFIX, isQueueChannel, parseContextChannel, type BusHandler, type SubscribeOptions, type Unsubscribe } from '../bus';
import { DedupWindow } from '../dedup';
import { parseEnvelope, reportUndecodable, withTimeout } from '../busSupport';
import type { BrokerLink } from '../brokerBusBase';
import type { AckBatcher } from './ackBatcher';
import { RPC_TIMEOUT_MS, type RabbitConnection } from './connection';
import { REPLY_QUEUE, type RabbitAdmin } from './admin';

interface Delivery {
  msg: ConsumeMessage;
  acks: AckBatcher;
  generation: number;
}

export interface RabbitSubscription {
  channel: string;
  group?: string;
  handler: BusHandler;
  onUndecodable: SubscribeOptions['onUndecodable'];
  dedup: DedupWindow;
  /** Queue consumed on the current connection (server-named for non-group subscriptions). */
  queueName?: string;
  consumerTag?: string;
  /** Deliveries waiting for a handler slot (at most `prefetch` handlers of one subscription run at once). */
  backlog: Delivery[];
  /** Async handlers of this subscription not yet settled. */
  running: number;
  active: boolean;
}

export interface RabbitConsumerOptions {
  /** The topic exchange of publish/subscribe channels. */
  exchange: string;
  /** Prepended to group queue names. */
  prefix: string;
  prefetch: number;
  dedupSize: number;
}

export class RabbitConsumers {
  constructor(
    private readonly link: BrokerLink,
    private readonly connection: RabbitConnection,
    private readonly admin: RabbitAdmin,
    /** The bus's subscriptions (the base class counts their duplicates). */
    private readonly subs: Set<RabbitSubscription>,
    private readonly opts: RabbitConsumerOptions,
  ) {}

  async subscribe(channel: string, handler: BusHandler, opts: SubscribeOptions = {}): Promise<Unsubscribe> {
    if (this.link.closed) throw new SwitchboardError('shutdown', 'The RabbitMQ bus is closed.');
    const s: RabbitSubscription = {
      channel,
      group: opts.group,
      handler,
      onUndecodable: opts.onUndecodable,
      dedup: new DedupWindow(this.opts.dedupSize),
      backlog: [],
      running: 0,
      active: true,
    };
    this.subs.add(s);
    const ch = this.connection.sub;
    if (ch && this.link.state === 'up') {
      try {
        const gen = this.connection.generation;
        await this.connection.bounded(() => this.startConsumer(ch, s, gen), 'basic.consume');
      } catch (err) {
        // A refused declaration (e.g. a queue of that name with other arguments) is the caller's to see.
        this.subs.delete(s);
        this.link.noteError(err);
        throw new SwitchboardError('bus_down', `RabbitMQ refused the subscription to ${channel}: ${errorMessage(err)}`, { cause: err });
      }
    }
    // Otherwise the consumer starts when the connection comes (back) up.
    return () => this.unsubscribe(s);
  }

  async unsubscribe(s: RabbitSubscription): Promise<void> {
    if (!s.active) return;
    s.active = false;
    this.subs.delete(s);
    // Delivered to us but never handled: back to the queue at once rather than unacked until the connection ends.
    for (const d of s.backlog.splice(0)) if (d.generation === this.connection.generation) d.acks.release(d.msg);
    const tag = s.consumerTag;
    s.consumerTag = undefined;
    const ch = this.connection.sub;
    if (tag && ch && this.link.state === 'up') {
      try {
        await withTimeout(ch.cancel(tag), RPC_TIMEOUT_MS, 'RabbitMQ (basic.cancel)');
      } catch (err) {
        this.link.noteError(err);
      }
    }
  }

  /** Every subscription's consumer, on a new connection. */
  async startAll(ch: Channel, gen: number): Promise<void> {
    for (const s of this.subs) await this.startConsumer(ch, s, gen);
  }

  /** The connection is gone: its consumers and undelivered backlog with it (the broker redelivers). */
  resetAll(): void {
    for (const s of this.subs) {
      s.consumerTag = undefined;
      s.queueName = undefined;
      s.backlog.length = 0;
    }
  }

  /** The bus closes: no handler starts again. */
  endAll(): void {
    for (const s of this.subs) {
      s.active = false;
      s.backlog.length = 0;
    }
    this.subs.clear();
  }

  /** Ends (without a broker round trip) the subscriptions of these `queue:` channels' queues, which are being deleted. */
  dropQueueSubscriptions(queueNames: string[]): void {
    const names = new Set(queueNames);
    for (const s of [...this.subs]) {
      if (isQueueChannel(s.channel) && names.has(s.channel.slice(QUEUE_CHANNEL_PREFIX.length))) {
        s.active = false;
        this.subs.delete(s);
      }
    }
  }

  private groupQueueName(channel: string, group: string): string {
    return `${this.opts.prefix}sb.${channel}::${group}`;
  }

  private async startConsumer(ch: Channel, s: RabbitSubscription, gen: number): Promise<void> {
    let queue: string;
    const context = parseContextChannel(s.channel);
    if (isQueueChannel(s.channel)) {
      queue = s.channel.slice(QUEUE_CHANNEL_PREFIX.length);
      await this.admin.declareQueueOn(queue);
    } else if (context?.role === 'response') {
      // The requester's reply queue under its exact name; it goes when its consumer does (as the seed's did).
      queue = context.name;
      await this.admin.declareQueueOn(queue, REPLY_QUEUE);
    } else if (context?.role === 'request') {
      // Every group (a peer) its own queue on the seed's fanout exchange, gone when its last consumer leaves: a peer
      // sees the requests made while it listens, not those from before it joined.
      await this.admin.declareFanoutOn(context.name);
      if (s.group !== undefined) {
        queue = this.groupQueueName(s.channel, s.group);
        await ch.assertQueue(queue, REPLY_QUEUE);
      } else {
        queue = (await ch.assertQueue('', { exclusive: true, autoDelete: true, durable: false })).queue;
      }
      await ch.bindQueue(queue, context.name, '');
    } else if (s.group !== undefined) {
      // Competing consumers: one durable queue per (channel, group) bound to the topic exchange.
      queue = this.groupQueueName(s.channel, s.group);
      await ch.assertQueue(queue, { durable: true });
      await ch.bindQueue(queue, this.opts.exchange, s.channel);
    } else {
      // Every subscriber its own copy: a server-named exclusive queue that disappears with the connection.
      const q = await ch.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
      queue = q.queue;
      await ch.bindQueue(queue, this.opts.exchange, s.channel);
    }
    if (!s.active || gen !== this.connection.generation) return;
    s.queueName = queue;
    const ok = await ch.consume(
      queue,
      (msg) => {
        if (msg === null) {
          // The broker cancelled the consumer (queue deleted): start it again on a fresh declaration.
          if (s.active && gen === this.connection.generation && this.connection.sub === ch) {
            s.consumerTag = undefined;
            this.startConsumer(ch, s, gen).catch((err) => this.link.noteError(err));
          }
          return;
        }
        const acks = this.connection.subAcks;
        if (!acks || gen !== this.connection.generation) return; // a late delivery on a channel being replaced: redelivered
        acks.received(msg);
        s.backlog.push({ msg, acks, generation: gen });
        this.drainSubscription(s);
      },
      { noAck: false },
    );
    s.consumerTag = ok.consumerTag;
  }

  /**
   * Handlers start in delivery order, synchronously on arrival, and up to `prefetch` of them run at once per
   * subscription (each acked when it settles). Everything a handler does before its first `await` therefore happens
   * in queue order (a synchronous handler sees the exact order; an async one that publishes before awaiting keeps
   * its publishes in order); only the completions of async handlers may interleave. Waiting for one handler's
   * promise before starting the next would cap a subscription at one message per round trip of whatever the
   * handler awaits (the routing broker awaits a publisher confirm for every message it routes).
   */
  private drainSubscription(s: RabbitSubscription): void {
    while (s.backlog.length > 0 && s.running < this.opts.prefetch) {
      const d = s.backlog.shift()!;
      if (d.generation !== this.connection.generation) continue; // its channel is gone; the broker redelivers it
      if (!s.active) {
        d.acks.release(d.msg);
        continue;
      }
      const id = d.msg.properties.messageId as string | undefined;
      if (s.dedup.isDuplicate(id)) {
        d.acks.settle(d.msg);
        continue;
      }
      const envelope = parseEnvelope(d.msg.content);
      if (!envelope) {
        this.link.log.warn(`dropped a message on ${s.channel} that is not a JSON object with a message_type`);
        if (s.onUndecodable) reportUndecodable(s.onUndecodable, s.channel, d.msg.content, this.link.log);
        d.acks.settle(d.msg);
        continue;
      }
      this.link.received++;
      let result: void | Promise<void>;
      try {
        result = s.handler(envelope);
      } catch (err) {
        // A handler's exception must not kill the consumer or loop the message forever.
        this.link.log.warn(`handler for ${s.channel} threw: ${errorMessage(err)}`);
        result = undefined;
      }
      if (!isPromiseLike(result)) {
        d.acks.settle(d.msg);
        continue;
      }
      s.running++;
      result.then(
        () => this.handlerSettled(s, d),
        (err: unknown) => {
          this.link.log.warn(`handler for ${s.channel} threw: ${errorMessage(err)}`);
          this.handlerSettled(s, d);
        },
      );
    }
  }

  private handlerSettled(s: RabbitSubscription, d: Delivery): void {
    s.running--;
    d.acks.settle(d.msg);
    if (s.backlog.length > 0) this.drainSubscription(s);
  }
}

function isPromiseLike(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}
