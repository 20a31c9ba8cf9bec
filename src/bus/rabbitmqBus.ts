// The RabbitMQ bus (amqplib promise API): one long-lived connection, a confirm channel for publishes and a consume
// channel with prefetch and manual acks; reconnects with capped backoff + jitter, re-declares its topology, and
// holds (bounded) and republishes in order whatever was not confirmed, so a broker restart loses nothing.

import { connect, type ChannelModel, type ConfirmChannel, type Channel, type ConsumeMessage, type Options } from 'amqplib';
import { randomBytes } from 'node:crypto';
import type { Envelope } from '../protocol/schemas';
import { SwitchboardError, errorMessage } from '../protocol/errors';
import { silentLogger, type Logger } from '../protocol/logger';
import {
  QUEUE_CHANNEL_PREFIX,
  isQueueChannel,
  parseContextChannel,
  type Bus,
  type BusCapabilities,
  type BusHandler,
  type BusState,
  type BusStatus,
  type SubscribeOptions,
  type Unsubscribe,
} from './bus';
import { DedupWindow } from './dedup';
import { parseEnvelope, reportUndecodable, withTimeout } from './busSupport';
import { BrokerBusBase } from './brokerBusBase';
import { AckBatcher } from './rabbitAcks';

export interface RabbitMqBusOptions {
  /** amqp://user:pass@host:port/vhost */
  url: string;
  /** Prepended to the exchange and to group queue names (not to `queue:` channels, whose names are exact). */
  prefix?: string;
  /** Topic exchange that carries publish/subscribe channels (routing key = channel). Default `switchboard.bus`. */
  exchange?: string;
  /** Unacknowledged deliveries per consumer. Default 100. */
  prefetch?: number;
  /** Reconnect delay: initialMs doubling up to maxMs, each with ±jitter (fraction). Defaults 200 ms, 5 s, 0.3. */
  reconnect?: { initialMs?: number; maxMs?: number; jitter?: number };
  /** Publishes held (unsent + unconfirmed) while the broker is away; beyond it publish() rejects. Default 50,000. */
  maxBuffered?: number;
  /** Publishes on the wire awaiting a confirm at once. Default 1,000. */
  maxInflight?: number;
  /** Message ids remembered per subscription for de-duplication. Default 10,000. */
  dedupWindow?: number;
  /** AMQP heartbeat in seconds (dead TCP connections are noticed within ~2×). Default 10. */
  heartbeatSeconds?: number;
  /** Shown in the RabbitMQ management UI. */
  connectionName?: string;
  /** close() waits this long for unconfirmed publishes before giving up on them. Default 2,000 ms. */
  closeGraceMs?: number;
  /**
   * Deadline of a request to the broker on a live connection (declare, delete or purge a queue, start a consumer;
   * the whole setup after a connect gets this + 5 s): a broker that keeps the socket but stops answering has the
   * socket destroyed and is reconnected to. Default 15,000 ms.
   */
  requestTimeoutMs?: number;
  logger?: Logger;
}

interface Outgoing {
  exchange: string;
  routingKey: string;
  /** Set for `queue:` channels: the queue must exist before the publish (so the message is not unroutable). */
  queue?: string;
  /** Set for a context request channel: its fanout exchange must exist before the publish (else a 404 closes the channel). */
  fanout?: string;
  body: Buffer;
  props: Options.Publish;
  resolve: () => void;
  reject: (err: Error) => void;
  nacks: number;
}

interface Delivery {
  msg: ConsumeMessage;
  acks: AckBatcher;
  generation: number;
}

interface Subscription {
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

const MAX_NACK_RETRIES = 5;
/** A context reply queue (and a peer group's request queue): not durable, deleted when its last consumer leaves. */
const REPLY_QUEUE: Options.AssertQueue = { durable: false, autoDelete: true };
/** Queues remembered for re-declaration after a reconnect (and declared on this connection). */
const MAX_KNOWN_QUEUES = 10_000;

/** `amqp://guest:***@host:5672/` → `amqp://host:5672/`: what the UI may show. */
export function redactAmqpUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    return u.toString();
  } catch {
    return 'amqp://(invalid url)';
  }
}

export class RabbitMqBus extends BrokerBusBase<Subscription> implements Bus {
  readonly kind = 'rabbitmq' as const;
  readonly capabilities: BusCapabilities = Object.freeze({ shared: true, durableQueues: true });
  protected readonly label = 'RabbitMQ';
  protected readonly unreachableHint = 'Is the broker running and are the URL and credentials right?';
  private readonly url: string;
  private readonly prefix: string;
  private readonly exchange: string;
  private readonly prefetch: number;
  private readonly maxBuffered: number;
  private readonly maxInflight: number;
  private readonly dedupSize: number;
  private readonly closeGraceMs: number;
  protected readonly log: Logger;

  private generation = 0;

  private conn: ChannelModel | undefined;
  private pub: ConfirmChannel | undefined;
  private sub: Channel | undefined;
  /** Acks of the current consume channel. */
  private subAcks: AckBatcher | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private connecting: Promise<void> | undefined;

  private readonly pending: Outgoing[] = [];
  private readonly inflight = new Set<Outgoing>();
  private pumping = false;
  private waitingDrain = false;
  private blocked = false;
  private drainWaits = 0;

  /** `queue:` channels declared on the current connection; cleared on reconnect. */
  private readonly declaredQueues = new Set<string>();
  /** Fanout exchanges of context request channels declared on the current connection; cleared on reconnect. */
  private readonly declaredExchanges = new Set<string>();
  /** Queues to declare after every reconnect (declareQueues()). */
  private readonly knownQueues = new Set<string>();

  constructor(opts: RabbitMqBusOptions) {
    super(opts.reconnect);
    this.url = withHeartbeat(opts.url, opts.heartbeatSeconds ?? 10);
    this.prefix = opts.prefix ?? '';
    this.exchange = this.prefix + (opts.exchange ?? 'switchboard.bus');
    this.prefetch = opts.prefetch ?? 100;
    this.maxBuffered = opts.maxBuffered ?? 50_000;
    this.maxInflight = opts.maxInflight ?? 1_000;
    this.dedupSize = opts.dedupWindow ?? 10_000;
    this.closeGraceMs = opts.closeGraceMs ?? 2_000;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 15_000;
    this.log = (opts.logger ?? silentLogger).child('rabbitmq');
    this.connectionName = opts.connectionName ?? 'agent-switchboard';
    this.connecting = this.connectOnce();
  }

  private readonly connectionName: string;
  private readonly requestTimeoutMs: number;

  protected displayUrl(): string {
    return redactAmqpUrl(this.url);
  }

  /** Messages accepted by publish() and not yet confirmed by the broker. */
  get unconfirmed(): number {
    return this.pending.length + this.inflight.size;
  }

  /** How often publishing paused because amqplib's buffer was full (publish() returned false) until 'drain'. */
  get backpressureWaits(): number {
    return this.drainWaits;
  }

  // --- publishing ---------------------------------------------------------------------------------------------

  publish(channel: string, message: Envelope): Promise<void> {
    if (this.closed) return Promise.reject(new SwitchboardError('shutdown', 'The RabbitMQ bus is closed.'));
    if (this.pending.length + this.inflight.size >= this.maxBuffered) {
      return Promise.reject(
        new SwitchboardError(
          'bus_down',
          `RabbitMQ bus: ${this.maxBuffered} messages are already waiting for the broker (state ${this.current}); this one was refused.`,
          { retriable: true },
        ),
      );
    }
    const queue = isQueueChannel(channel) ? channel.slice(QUEUE_CHANNEL_PREFIX.length) : undefined;
    const context = queue === undefined ? parseContextChannel(channel) : undefined;
    const mid = message.message_id;
    const messageId = typeof mid === 'string' || typeof mid === 'number' ? String(mid) : 'bus_' + randomBytes(8).toString('hex');
    const props: Options.Publish = {
      persistent: true,
      contentType: 'application/json',
      messageId,
      timestamp: Math.floor(Date.now() / 1000),
      type: message.message_type,
    };
    if (context) {
      // What a seed 002 peer answers through (pika: props.reply_to or the body's reply_to) and matches answers by.
      if (typeof message.reply_to === 'string' && message.reply_to) props.replyTo = message.reply_to;
      if (typeof message.request_id === 'string' && message.request_id) props.correlationId = message.request_id;
    }
    const body = Buffer.from(JSON.stringify(message), 'utf8');
    return new Promise<void>((resolve, reject) => {
      this.pending.push({
        // request: the seed's fanout exchange; response: the requester's queue through the default exchange
        exchange: context?.role === 'request' ? context.name : queue !== undefined || context ? '' : this.exchange,
        routingKey: context?.role === 'request' ? '' : (queue ?? context?.name ?? channel),
        queue,
        fanout: context?.role === 'request' ? context.name : undefined,
        body,
        props,
        resolve, // counted in onConfirm: no closure per message
        reject,
        nacks: 0,
      });
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.pending.length > 0 && !this.waitingDrain && !this.blocked && this.inflight.size < this.maxInflight) {
        const ch = this.pub;
        if (!ch || this.current !== 'up') break;
        const item = this.pending[0]!;
        if (item.queue !== undefined && !this.declaredQueues.has(item.queue)) {
          try {
            await this.bounded(() => this.declareQueueOn(item.queue!), 'queue.declare');
          } catch (err) {
            this.noteError(err);
            break; // the channel died; reconnect takes over and the item stays first in line
          }
          continue;
        }
        if (item.fanout !== undefined && !this.declaredExchanges.has(item.fanout)) {
          try {
            await this.bounded(() => this.declareFanoutOn(item.fanout!), 'exchange.declare');
          } catch (err) {
            this.noteError(err);
            break;
          }
          continue;
        }
        this.pending.shift();
        this.inflight.add(item);
        const gen = this.generation;
        let ok: boolean;
        try {
          ok = ch.publish(item.exchange, item.routingKey, item.body, item.props, (err) => this.onConfirm(item, gen, err));
        } catch (err) {
          // A channel closing under us: put it back first in line; the reconnect republishes it.
          this.inflight.delete(item);
          this.pending.unshift(item);
          this.noteError(err);
          break;
        }
        if (!ok) {
          // amqplib's write buffer is full: respect it and continue on 'drain' (or on reconnect).
          this.waitingDrain = true;
          this.drainWaits++;
          ch.once('drain', () => {
            if (gen !== this.generation) return;
            this.waitingDrain = false;
            void this.pump();
          });
          break;
        }
      }
    } finally {
      this.pumping = false;
      this.notifyIdle();
    }
  }

  private onConfirm(item: Outgoing, gen: number, err: unknown): void {
    // After a connection loss every unconfirmed item was already put back in line: late callbacks are stale.
    if (gen !== this.generation || !this.inflight.has(item)) return;
    if (!err) {
      this.inflight.delete(item);
      this.published++;
      item.resolve();
      void this.pump();
      return;
    }
    // A nack, or the channel closing under us. Requeueing items one by one as their callbacks come would reverse
    // their order; instead the connection starts over and republishes everything unconfirmed, in order.
    if (errorMessage(err) === 'message nacked' && ++item.nacks > MAX_NACK_RETRIES) {
      this.inflight.delete(item);
      item.reject(new SwitchboardError('bus_down', `RabbitMQ refused the message ${MAX_NACK_RETRIES} times (nack).`, { retriable: true }));
    }
    this.restartConnection(gen, err);
  }

  /** Stops publishing on this connection at once and closes it; the 'close' handler requeues and reconnects. */
  private restartConnection(gen: number, err: unknown): void {
    if (gen !== this.generation || this.closed || !this.pub) return;
    this.noteError(err);
    this.log.warn(`publishing failed (${errorMessage(err)}); reconnecting to republish in order`);
    this.pub = undefined;
    const conn = this.conn;
    if (conn) void closeConnection(conn);
  }

  private notifyIdle(): void {
    if (this.pending.length === 0 && this.inflight.size === 0) this.idleWaiters.wake();
  }

  // --- subscribing --------------------------------------------------------------------------------------------

  async subscribe(channel: string, handler: BusHandler, opts: SubscribeOptions = {}): Promise<Unsubscribe> {
    if (this.closed) throw new SwitchboardError('shutdown', 'The RabbitMQ bus is closed.');
    const s: Subscription = {
      channel,
      group: opts.group,
      handler,
      onUndecodable: opts.onUndecodable,
      dedup: new DedupWindow(this.dedupSize),
      backlog: [],
      running: 0,
      active: true,
    };
    this.subs.add(s);
    const ch = this.sub;
    if (ch && this.current === 'up') {
      try {
        const gen = this.generation;
        await this.bounded(() => this.startConsumer(ch, s, gen), 'basic.consume');
      } catch (err) {
        // A refused declaration (e.g. a queue of that name with other arguments) is the caller's to see.
        this.subs.delete(s);
        this.noteError(err);
        throw new SwitchboardError('bus_down', `RabbitMQ refused the subscription to ${channel}: ${errorMessage(err)}`, { cause: err });
      }
    }
    // Otherwise the consumer starts when the connection comes (back) up.
    return () => this.unsubscribe(s);
  }

  private async unsubscribe(s: Subscription): Promise<void> {
    if (!s.active) return;
    s.active = false;
    this.subs.delete(s);
    // Delivered to us but never handled: back to the queue at once rather than unacked until the connection ends.
    for (const d of s.backlog.splice(0)) if (d.generation === this.generation) d.acks.release(d.msg);
    const tag = s.consumerTag;
    s.consumerTag = undefined;
    if (tag && this.sub && this.current === 'up') {
      try {
        await withTimeout(this.sub.cancel(tag), RPC_TIMEOUT_MS, 'RabbitMQ (basic.cancel)');
      } catch (err) {
        this.noteError(err);
      }
    }
  }

  private groupQueueName(channel: string, group: string): string {
    return `${this.prefix}sb.${channel}::${group}`;
  }

  private async startConsumer(ch: Channel, s: Subscription, gen: number): Promise<void> {
    let queue: string;
    const context = parseContextChannel(s.channel);
    if (isQueueChannel(s.channel)) {
      queue = s.channel.slice(QUEUE_CHANNEL_PREFIX.length);
      await this.declareQueueOn(queue);
    } else if (context?.role === 'response') {
      // The requester's reply queue under its exact name; it goes when its consumer does (as the seed's did).
      queue = context.name;
      await this.declareQueueOn(queue, REPLY_QUEUE);
    } else if (context?.role === 'request') {
      // Every group (a peer) its own queue on the seed's fanout exchange, gone when its last consumer leaves: a peer
      // sees the requests made while it listens, not those from before it joined.
      await this.declareFanoutOn(context.name);
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
      await ch.bindQueue(queue, this.exchange, s.channel);
    } else {
      // Every subscriber its own copy: a server-named exclusive queue that disappears with the connection.
      const q = await ch.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
      queue = q.queue;
      await ch.bindQueue(queue, this.exchange, s.channel);
    }
    if (!s.active || gen !== this.generation) return;
    s.queueName = queue;
    const ok = await ch.consume(
      queue,
      (msg) => {
        if (msg === null) {
          // The broker cancelled the consumer (queue deleted): start it again on a fresh declaration.
          if (s.active && gen === this.generation && this.sub === ch) {
            s.consumerTag = undefined;
            this.startConsumer(ch, s, gen).catch((err) => this.noteError(err));
          }
          return;
        }
        const acks = this.subAcks;
        if (!acks || gen !== this.generation) return; // a late delivery on a channel being replaced: redelivered
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
  private drainSubscription(s: Subscription): void {
    while (s.backlog.length > 0 && s.running < this.prefetch) {
      const d = s.backlog.shift()!;
      if (d.generation !== this.generation) continue; // its channel is gone; the broker redelivers it
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
        this.log.warn(`dropped a message on ${s.channel} that is not a JSON object with a message_type`);
        if (s.onUndecodable) reportUndecodable(s.onUndecodable, s.channel, d.msg.content, this.log);
        d.acks.settle(d.msg);
        continue;
      }
      this.received++;
      let result: void | Promise<void>;
      try {
        result = s.handler(envelope);
      } catch (err) {
        // A handler's exception must not kill the consumer or loop the message forever.
        this.log.warn(`handler for ${s.channel} threw: ${errorMessage(err)}`);
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
          this.log.warn(`handler for ${s.channel} threw: ${errorMessage(err)}`);
          this.handlerSettled(s, d);
        },
      );
    }
  }

  private handlerSettled(s: Subscription, d: Delivery): void {
    s.running--;
    d.acks.settle(d.msg);
    if (s.backlog.length > 0) this.drainSubscription(s);
  }

  // --- queue administration (optional Bus members) ------------------------------------------------------------

  /**
   * Declares a `queue:` channel's queue exactly as seed 001 does (durable, no arguments), or a context reply queue.
   */
  private async declareQueueOn(queue: string, options: Options.AssertQueue = { durable: true }): Promise<void> {
    await this.declareAside(`queue ${queue}`, (ch) => ch.assertQueue(queue, options));
    remember(this.declaredQueues, queue);
  }

  /** A context request channel's fanout exchange, as the seed declares it. */
  private async declareFanoutOn(exchange: string): Promise<void> {
    if (this.declaredExchanges.has(exchange)) return;
    await this.declareAside(`exchange ${exchange}`, (ch) => ch.assertExchange(exchange, 'fanout', { durable: true, autoDelete: false }));
    remember(this.declaredExchanges, exchange);
  }

  /**
   * A declaration on a channel of its own: one someone made with other arguments makes the broker refuse (406) and
   * close the channel it was asked on. That must neither take the traffic channels down nor loop reconnecting: such
   * a queue or exchange is used as it is.
   */
  private async declareAside(what: string, declare: (ch: Channel) => Promise<unknown>): Promise<void> {
    const conn = this.conn;
    if (!conn) throw new SwitchboardError('bus_down', 'RabbitMQ is not connected.', { retriable: true });
    const ch = await conn.createChannel();
    ch.on('error', () => undefined);
    try {
      await declare(ch);
    } catch (err) {
      if ((err as { code?: unknown }).code !== 406) throw err;
      this.log.warn(`${what} exists with other arguments; using it as it is (${errorMessage(err)})`);
    } finally {
      await closeChannel(ch);
    }
  }

  async declareQueues(queueNames: string[]): Promise<void> {
    for (const q of queueNames) {
      this.knownQueues.delete(q); // re-inserted last: the most recently asked-for survive the bound
      this.knownQueues.add(q);
    }
    while (this.knownQueues.size > MAX_KNOWN_QUEUES) this.knownQueues.delete(this.knownQueues.values().next().value as string);
    if (!this.pub || this.current !== 'up') return; // declared on (re)connect
    await this.bounded(async () => {
      for (const q of queueNames) await this.declareQueueOn(q);
    }, 'queue.declare');
  }

  /**
   * An administrative round trip on the live connection, with a deadline: a broker that stops answering has its
   * socket destroyed (so the bus reconnects, and the traffic channels with it) and the caller gets the error.
   */
  private async bounded(fn: () => Promise<void>, what: string): Promise<void> {
    const conn = this.conn;
    try {
      await withTimeout(fn(), this.requestTimeoutMs, `RabbitMQ (${what})`);
    } catch (err) {
      if (err instanceof SwitchboardError && err.code === 'timeout' && conn && this.conn === conn) {
        this.log.warn(`${errorMessage(err)}; reconnecting`);
        destroyConnection(conn, errorMessage(err));
      }
      throw err;
    }
  }

  async deleteQueues(queueNames: string[]): Promise<number> {
    // Deleting a queue ends our own consumers of it (otherwise a cancelled consumer re-declares it).
    const names = new Set(queueNames);
    for (const s of [...this.subs]) {
      if (isQueueChannel(s.channel) && names.has(s.channel.slice(QUEUE_CHANNEL_PREFIX.length))) {
        s.active = false;
        this.subs.delete(s);
      }
    }
    let messages = 0;
    await this.withAdminChannel(async (ch) => {
      for (const q of queueNames) {
        this.knownQueues.delete(q);
        this.declaredQueues.delete(q);
        const r = await ch.deleteQueue(q);
        messages += r.messageCount;
      }
    });
    return messages;
  }

  /** Ends our subscriptions to the channel, then deletes its queue or fanout exchange (Bus.releaseChannel). */
  async releaseChannel(channel: string): Promise<void> {
    await Promise.all([...this.subs].filter((s) => s.channel === channel).map((s) => this.unsubscribe(s)));
    const context = parseContextChannel(channel);
    const queue = isQueueChannel(channel) ? channel.slice(QUEUE_CHANNEL_PREFIX.length) : context?.role === 'response' ? context.name : undefined;
    const exchange = context?.role === 'request' ? context.name : undefined;
    if (queue !== undefined) {
      this.knownQueues.delete(queue);
      this.declaredQueues.delete(queue);
    }
    if (exchange !== undefined) this.declaredExchanges.delete(exchange);
    if ((queue === undefined && exchange === undefined) || this.closed) return;
    if (this.current !== 'up') {
      this.log.info(`${queue ?? exchange} left in place: the broker is unreachable`);
      return;
    }
    try {
      await this.withAdminChannel(async (ch) => {
        if (queue !== undefined) await ch.deleteQueue(queue);
        if (exchange !== undefined) await ch.deleteExchange(exchange);
      });
    } catch (err) {
      this.log.warn(`could not delete ${queue ?? exchange}: ${errorMessage(err)}`);
    }
  }

  async purgeQueue(queueName: string): Promise<number> {
    let n = 0;
    await this.withAdminChannel(async (ch) => {
      await ch.assertQueue(queueName, { durable: true });
      n = (await ch.purgeQueue(queueName)).messageCount;
    });
    return n;
  }

  /** A short-lived channel, so that an admin error (404, 406) never closes the channels traffic flows on. */
  private async withAdminChannel(fn: (ch: Channel) => Promise<void>): Promise<void> {
    const conn = this.conn;
    if (!conn || this.current !== 'up') throw new SwitchboardError('bus_down', 'RabbitMQ is not connected.', { retriable: true });
    await this.bounded(async () => {
      const ch = await conn.createChannel();
      ch.on('error', () => undefined);
      try {
        await fn(ch);
      } finally {
        await closeChannel(ch);
      }
    }, 'an administrative request');
  }

  // --- connection lifecycle -----------------------------------------------------------------------------------

  private setState(state: BusState): void {
    if (this.current === state && state !== 'connecting') return;
    this.current = state;
    if (state === 'up') this.readyWaiters.wake();
    this.listeners.emit(this.status(), this.log);
  }

  private async connectOnce(): Promise<void> {
    if (this.closed) return;
    this.setState('connecting');
    let conn: ChannelModel | undefined;
    let setupTimer: NodeJS.Timeout | undefined;
    try {
      // noDelay (TCP_NODELAY): without it Nagle holds a small publish back until the previous segment is ACKed, and
      // the peer's delayed ACK makes that ~40 ms per request/confirm round trip on an otherwise idle connection.
      // amqplib's `timeout` is the socket's idle time during the handshake; the wall deadline bounds the whole of it.
      const opening = connect(this.url, { clientProperties: { connection_name: this.connectionName }, timeout: 5_000, noDelay: true });
      conn = await withTimeout(opening, this.requestTimeoutMs, 'RabbitMQ (connection handshake)').catch((err: unknown) => {
        opening.then((late) => closeConnection(late), () => undefined); // one that opens after all is closed again
        throw err;
      });
      if (this.closed) {
        await closeConnection(conn);
        return;
      }
      coalesceWrites(conn);
      const gen = ++this.generation;
      const c = conn;
      this.conn = c; // so that close() can end a setup in progress
      c.on('error', (err: Error) => this.noteError(err));
      c.on('close', (err?: Error) => this.onConnectionLost(c, gen, err));
      c.on('blocked', (reason: string) => {
        this.blocked = true;
        this.log.warn(`broker blocked publishing: ${reason}`);
      });
      c.on('unblocked', () => {
        this.blocked = false;
        void this.pump();
      });
      // A broker that took the socket but stalls (booting, recovering its queues) must not hold the setup for ever:
      // past the deadline the socket goes, every RPC below fails and the usual reconnect follows.
      const setupMs = this.requestTimeoutMs + 5_000;
      setupTimer = setTimeout(() => {
        const why = `RabbitMQ did not finish the channel setup within ${setupMs} ms`;
        this.log.warn(`${why}; reconnecting`);
        destroyConnection(c, why);
      }, setupMs);
      const pub = await c.createConfirmChannel();
      const sub = await c.createChannel();
      for (const ch of [pub, sub]) {
        ch.on('error', (err: Error) => this.noteError(err));
        // A channel closed by the broker (e.g. a refused declaration) leaves the connection half-working: start over.
        ch.on('close', () => {
          if (gen === this.generation && !this.closed) c.close().catch(() => undefined);
        });
      }
      await sub.prefetch(this.prefetch);
      await pub.assertExchange(this.exchange, 'topic', { durable: true });
      this.declaredQueues.clear();
      this.declaredExchanges.clear();
      for (const q of this.knownQueues) await this.declareQueueOn(q);
      if (this.closed || gen !== this.generation) return;
      this.pub = pub;
      this.sub = sub;
      this.subAcks?.close();
      this.subAcks = new AckBatcher(sub);
      for (const s of this.subs) await this.startConsumer(sub, s, gen);
      clearTimeout(setupTimer);
      if (gen !== this.generation) return;
      const wasAttempt = this.attempt;
      this.attempt = 0;
      this.waitingDrain = false;
      this.setState('up');
      if (wasAttempt > 0) this.log.info(`reconnected to ${redactAmqpUrl(this.url)} after ${wasAttempt} attempt(s)`);
      void this.pump();
    } catch (err) {
      clearTimeout(setupTimer);
      this.noteError(err);
      this.log.debug(`connect failed: ${errorMessage(err)}`);
      if (conn) await closeConnection(conn);
      if (this.conn === conn) {
        this.conn = undefined;
        this.pub = undefined;
        this.sub = undefined;
        this.subAcks?.close();
        this.subAcks = undefined;
      }
      if (!this.closed) {
        this.setState('down');
        this.scheduleReconnect();
      }
    }
  }

  private onConnectionLost(conn: ChannelModel, gen: number, err?: Error): void {
    if (gen !== this.generation || this.closed) return;
    if (err) this.noteError(err);
    this.generation++;
    if (this.conn === conn) {
      this.conn = undefined;
      this.pub = undefined;
      this.sub = undefined;
      this.subAcks?.close();
      this.subAcks = undefined;
    }
    this.waitingDrain = false;
    this.blocked = false;
    // Everything unconfirmed goes back in front, in its original order: republished first after reconnect.
    const back = [...this.inflight];
    this.inflight.clear();
    this.pending.unshift(...back);
    for (const s of this.subs) {
      s.consumerTag = undefined;
      s.queueName = undefined;
      s.backlog.length = 0;
    }
    this.log.warn(`connection lost${err ? `: ${err.message}` : ''}; ${this.pending.length} message(s) held for republishing`);
    this.setState('down');
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    this.attempt++;
    const delay = this.backoff(this.attempt);
    this.setState('down');
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connecting = this.connectOnce();
    }, delay);
  }

  /** Waits (up to timeoutMs) until every accepted publish is confirmed. */
  flush(timeoutMs = 10_000): Promise<boolean> {
    if (this.pending.length === 0 && this.inflight.size === 0) return Promise.resolve(true);
    return this.idleWaiters.wait(timeoutMs);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.current === 'up') await this.flush(this.closeGraceMs);
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.generation++;
    const left = [...this.inflight, ...this.pending.splice(0)];
    this.inflight.clear();
    for (const item of left) {
      item.reject(new SwitchboardError('shutdown', 'The RabbitMQ bus closed before the broker confirmed this message.'));
    }
    for (const s of this.subs) {
      s.active = false;
      s.backlog.length = 0;
    }
    this.subs.clear();
    const conn = this.conn;
    this.conn = undefined;
    this.pub = undefined;
    this.sub = undefined;
    this.subAcks?.close();
    this.subAcks = undefined;
    if (conn) await closeConnection(conn);
    // A setup that was in flight sees `closed` (or its failed RPCs, the socket being gone) and ends without reconnecting.
    // Every step of it has a deadline; this one only makes sure that close() itself cannot outlive them.
    await withTimeout(this.connecting ?? Promise.resolve(), this.requestTimeoutMs + 10_000, 'RabbitMQ (connection setup)').catch((err: unknown) =>
      this.log.warn(`close: ${errorMessage(err)}; closed anyway`),
    );
    this.idleWaiters.wake();
    this.readyWaiters.wake(); // ready() callers hear that the bus closed
    this.current = 'down';
    this.listeners.emit(this.status(), this.log);
    this.listeners.clear();
  }
}

/** Deadline of a single broker round trip that has none of its own (cancel, connection close). */
const RPC_TIMEOUT_MS = 5_000;

/**
 * Ends a connection whose broker stopped answering by destroying the amqplib socket under it (internal; absent in a
 * future amqplib, then nothing happens). With an error: amqplib listens for the socket's 'error' and 'end', not
 * 'close', so only then does the connection close, its RPCs fail and the bus reconnect.
 */
function destroyConnection(model: ChannelModel, reason: string): void {
  const sock = (model as unknown as { connection?: { stream?: { destroy?: (err?: Error) => void } } }).connection?.stream;
  sock?.destroy?.(new SwitchboardError('timeout', reason));
}

/**
 * connection.close, or the socket destroyed when the broker does not answer close-ok in time. Also for callers
 * outside the bus (the context transport): amqplib never settles close() when the socket goes before close-ok.
 */
export async function closeConnection(model: ChannelModel): Promise<void> {
  try {
    await withTimeout(model.close(), RPC_TIMEOUT_MS, 'RabbitMQ (connection.close)');
  } catch (err) {
    destroyConnection(model, errorMessage(err));
  }
}

/**
 * channel.close that settles when the connection ends. amqplib (2.3) resolves it only on the broker's close-ok: when
 * the connection ends first (a broker restart, our own close() during a setup) the promise is left pending for ever —
 * and a connection setup awaiting it hung, and with it close() and every stop that waits for close() (a routing
 * broker stopped while its bus was still setting up did not return in CI). The channel's 'close' event comes either
 * way. A broker that never answers is not this function's business: the caller's deadline ends the connection (no
 * timer here: resolving on one would let a setup go on over a connection that no longer answers).
 */
export function closeChannel(ch: Channel): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      ch.removeListener('close', done);
      resolve();
    };
    ch.once('close', done);
    try {
      ch.close().then(done, done);
    } catch {
      done(); // already closed: amqplib throws from a closed channel's send
    }
  });
}

/**
 * amqplib queues every frame (publish, ack) on its channel's stream and a muxer copies them to the socket on the next
 * tick, one socket write each: with TCP_NODELAY that is a syscall and a TCP segment per frame, which RabbitMQ then
 * reads one by one. Corking the socket around the muxer's pass sends the whole pass with one writev. Internals of
 * amqplib 0.10–2.x (`connection.muxer._readIncoming`, `connection.stream`): when they are not there, nothing changes.
 */
function coalesceWrites(model: ChannelModel): void {
  type Muxer = { _readIncoming?: (...args: unknown[]) => unknown };
  type Sock = { cork?: () => void; uncork?: () => void };
  const c = (model as unknown as { connection?: { muxer?: Muxer; stream?: Sock } }).connection;
  const mux = c?.muxer;
  const sock = c?.stream;
  const pass = mux?._readIncoming;
  if (!mux || typeof pass !== 'function' || typeof sock?.cork !== 'function' || typeof sock.uncork !== 'function') return;
  mux._readIncoming = function corked(this: unknown, ...args: unknown[]): unknown {
    sock.cork!();
    try {
      return pass.apply(this, args);
    } finally {
      sock.uncork!();
    }
  };
}

/** A cache of declared names, bounded: forgetting an entry only costs one more (idempotent) declaration. */
function remember(set: Set<string>, name: string): void {
  if (set.size >= MAX_KNOWN_QUEUES) set.clear();
  set.add(name);
}

function isPromiseLike(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

function withHeartbeat(url: string, seconds: number): string {
  try {
    const u = new URL(url);
    if (!u.searchParams.has('heartbeat')) u.searchParams.set('heartbeat', String(seconds));
    return u.toString();
  } catch {
    return url;
  }
}
