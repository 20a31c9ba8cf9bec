// Publishing on the RabbitMQ bus: confirmed, persistent publishes through one ordered pipeline with a window of
// unconfirmed messages; flow control respected ('drain', connection.blocked). Whatever is not confirmed when the
// connection goes is held (bounded) and republished first, in order, after the reconnect: a broker restart loses nothing.

import { randomBytes } from 'node:crypto';
import type { Options } from 'amqplib';
import type { Envelope } from '../../protocol/schemas';
import { SwitchboardError, errorMessage } from '../../protocol/errors';
import { QUEUE_CHANNEL_PREFIX, isQueueChannel, parseContextChannel } from '../bus';
import type { BrokerLink } from '../brokerBusBase';
import type { RabbitConnection } from './connection';
import type { RabbitAdmin } from './admin';

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

const MAX_NACK_RETRIES = 5;

export interface RabbitPublisherOptions {
  /** The topic exchange of publish/subscribe channels. */
  exchange: string;
  /** Publishes held (unsent + unconfirmed) while the broker is away; beyond it publish() rejects. */
  maxBuffered: number;
  /** Publishes on the wire awaiting a confirm at once. */
  maxInflight: number;
}

export class RabbitPublisher {
  private readonly pending: Outgoing[] = [];
  private readonly inflight = new Set<Outgoing>();
  private pumping = false;
  private waitingDrain = false;
  private blocked = false;
  private drainWaits = 0;

  constructor(
    private readonly link: BrokerLink,
    private readonly connection: RabbitConnection,
    private readonly admin: RabbitAdmin,
    private readonly opts: RabbitPublisherOptions,
  ) {}

  /** Messages accepted by publish() and not yet confirmed by the broker. */
  get unconfirmed(): number {
    return this.pending.length + this.inflight.size;
  }

  /** How often publishing paused because amqplib's buffer was full (publish() returned false) until 'drain'. */
  get backpressureWaits(): number {
    return this.drainWaits;
  }

  publish(channel: string, message: Envelope): Promise<void> {
    if (this.link.closed) return Promise.reject(new SwitchboardError('shutdown', 'The RabbitMQ bus is closed.'));
    if (this.pending.length + this.inflight.size >= this.opts.maxBuffered) {
      return Promise.reject(
        new SwitchboardError(
          'bus_down',
          `RabbitMQ bus: ${this.opts.maxBuffered} messages are already waiting for the broker (state ${this.link.state}); this one was refused.`,
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
        exchange: context?.role === 'request' ? context.name : queue !== undefined || context ? '' : this.opts.exchange,
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

  async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.pending.length > 0 && !this.waitingDrain && !this.blocked && this.inflight.size < this.opts.maxInflight) {
        const ch = this.connection.pub;
        if (!ch || this.link.state !== 'up') break;
        const item = this.pending[0]!;
        if (item.queue !== undefined && !this.admin.isDeclaredQueue(item.queue)) {
          try {
            await this.connection.bounded(() => this.admin.declareQueueOn(item.queue!), 'queue.declare');
          } catch (err) {
            this.link.noteError(err);
            break; // the channel died; reconnect takes over and the item stays first in line
          }
          continue;
        }
        if (item.fanout !== undefined && !this.admin.isDeclaredExchange(item.fanout)) {
          try {
            await this.connection.bounded(() => this.admin.declareFanoutOn(item.fanout!), 'exchange.declare');
          } catch (err) {
            this.link.noteError(err);
            break;
          }
          continue;
        }
        this.pending.shift();
        this.inflight.add(item);
        const gen = this.connection.generation;
        let ok: boolean;
        try {
          ok = ch.publish(item.exchange, item.routingKey, item.body, item.props, (err) => this.onConfirm(item, gen, err));
        } catch (err) {
          // A channel closing under us: put it back first in line; the reconnect republishes it.
          this.inflight.delete(item);
          this.pending.unshift(item);
          this.link.noteError(err);
          break;
        }
        if (!ok) {
          // amqplib's write buffer is full: respect it and continue on 'drain' (or on reconnect).
          this.waitingDrain = true;
          this.drainWaits++;
          ch.once('drain', () => {
            if (gen !== this.connection.generation) return;
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
    if (gen !== this.connection.generation || !this.inflight.has(item)) return;
    if (!err) {
      this.inflight.delete(item);
      this.link.published++;
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
    this.connection.restart(gen, err);
  }

  private notifyIdle(): void {
    if (this.pending.length === 0 && this.inflight.size === 0) this.link.idleWaiters.wake();
  }

  /** The connection is up (again): publish what waits. */
  resume(): void {
    this.waitingDrain = false;
    void this.pump();
  }

  setBlocked(on: boolean): void {
    this.blocked = on;
    if (!on) void this.pump();
  }

  /** The connection is gone: everything unconfirmed goes back in front, in its original order (republished first). */
  requeueInflight(): number {
    this.waitingDrain = false;
    this.blocked = false;
    const back = [...this.inflight];
    this.inflight.clear();
    this.pending.unshift(...back);
    return this.pending.length;
  }

  /** Waits (up to timeoutMs) until every accepted publish is confirmed. */
  flush(timeoutMs = 10_000): Promise<boolean> {
    if (this.pending.length === 0 && this.inflight.size === 0) return Promise.resolve(true);
    return this.link.idleWaiters.wait(timeoutMs);
  }

  /** The bus closed: whatever was not confirmed is rejected. */
  rejectAll(): void {
    const left = [...this.inflight, ...this.pending.splice(0)];
    this.inflight.clear();
    for (const item of left) {
      item.reject(new SwitchboardError('shutdown', 'The RabbitMQ bus closed before the broker confirmed this message.'));
    }
  }
}
