// The RabbitMQ bus (amqplib promise API): the Bus over four parts that share one BrokerLink (state, backoff,
// counters) — rabbitmq/connection.ts (one long-lived connection, confirm + consume channels, reconnect),
// rabbitmq/publisher.ts (ordered confirmed publishes, held and republished across a reconnect), rabbitmq/consumer.ts
// (consumers, prefetch, manual acks, de-duplication) and rabbitmq/admin.ts (queues and exchanges). A broker restart
// loses nothing.

import type { Envelope } from '../protocol/schemas';
import { silentLogger, type Logger } from '../protocol/logger';
import type { Bus, BusCapabilities, BusHandler, SubscribeOptions, Unsubscribe } from './bus';
import { BrokerBusBase } from './brokerBusBase';
import { RabbitConnection } from './rabbitmq/connection';
import { RabbitAdmin } from './rabbitmq/admin';
import { RabbitPublisher } from './rabbitmq/publisher';
import { RabbitConsumers, type RabbitSubscription } from './rabbitmq/consumer';

// Only for src/reconstruction/rabbitmqContextTransport.ts, which goes when reconstruction runs on the Bus: drop this
// line with it. Anything new imports it from rabbitmq/connection.ts.

export interface RabbitMqBusOptions {
  /** amqp://user:pass@host:port/vhost */
  url: string;
  /** Prepended to the exchange and to group queue names (not to `queue:` channels, whose names are exact). */
  prefix?: string;
  /** Topic exchange that carries publish/subscribe channels (routing key = channel). Default `switchboard.bus`. */
  exchange?: string;
  /** Unacknowledged deliveries per consumer. Default 100. */
  prefetch?: number;
  /** Reconnect delay: initialMs doubling up to maxMs, the last `jitter` share left to chance. Defaults 200 ms, 5 s, 0.3. */
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

export class RabbitMqBus extends BrokerBusBase<RabbitSubscription> implements Bus {
  readonly kind = 'rabbitmq' as const;
  readonly capabilities: BusCapabilities = Object.freeze({ shared: true, durableQueues: true });
  protected readonly label = 'RabbitMQ';
  protected readonly unreachableHint = 'Is the broker running and are the URL and credentials right?';
  private readonly url: string;
  private readonly closeGraceMs: number;
  private readonly connection: RabbitConnection;
  private readonly admin: RabbitAdmin;
  private readonly publisher: RabbitPublisher;
  private readonly consumers: RabbitConsumers;

  constructor(opts: RabbitMqBusOptions) {
    super('rabbitmq', (opts.logger ?? silentLogger).child('rabbitmq'), opts.reconnect);
    this.url = withHeartbeat(opts.url, opts.heartbeatSeconds ?? 10);
    const prefix = opts.prefix ?? '';
    const exchange = prefix + (opts.exchange ?? 'switchboard.bus');
    const prefetch = opts.prefetch ?? 100;
    this.closeGraceMs = opts.closeGraceMs ?? 2_000;
    this.connection = new RabbitConnection(
      this.link,
      {
        url: this.url,
        displayUrl: redactAmqpUrl(this.url),
        connectionName: opts.connectionName ?? 'agent-switchboard',
        prefetch,
        requestTimeoutMs: opts.requestTimeoutMs ?? 15_000,
      },
      {
        declare: async (pub) => {
          await pub.assertExchange(exchange, 'topic', { durable: true });
          await this.admin.redeclare();
        },
        startConsumers: (sub, gen) => this.consumers.startAll(sub, gen),
        up: () => this.publisher.resume(),
        lost: () => {
          const held = this.publisher.requeueInflight();
          this.consumers.resetAll();
          this.link.log.warn(`connection lost${this.link.lastError ? `: ${this.link.lastError}` : ''}; ${held} message(s) held for republishing`);
        },
        blocked: (on) => this.publisher.setBlocked(on),
      },
    );
    this.admin = new RabbitAdmin(this.link, this.connection);
    this.publisher = new RabbitPublisher(this.link, this.connection, this.admin, {
      exchange,
      maxBuffered: opts.maxBuffered ?? 50_000,
      maxInflight: opts.maxInflight ?? 1_000,
    });
    this.consumers = new RabbitConsumers(this.link, this.connection, this.admin, this.subs, {
      exchange,
      prefix,
      prefetch,
      dedupSize: opts.dedupWindow ?? 10_000,
    });
    this.connection.start();
  }

  protected displayUrl(): string {
    return redactAmqpUrl(this.url);
  }

  /** Messages accepted by publish() and not yet confirmed by the broker. */
  get unconfirmed(): number {
    return this.publisher.unconfirmed;
  }

  /** How often publishing paused because amqplib's buffer was full (publish() returned false) until 'drain'. */
  get backpressureWaits(): number {
    return this.publisher.backpressureWaits;
  }

  publish(channel: string, message: Envelope): Promise<void> {
    return this.publisher.publish(channel, message);
  }

  /** Waits (up to timeoutMs) until every accepted publish is confirmed. */
  flush(timeoutMs = 10_000): Promise<boolean> {
    return this.publisher.flush(timeoutMs);
  }

  subscribe(channel: string, handler: BusHandler, opts: SubscribeOptions = {}): Promise<Unsubscribe> {
    return this.consumers.subscribe(channel, handler, opts);
  }

  declareQueues(queueNames: string[]): Promise<void> {
    return this.admin.declareQueues(queueNames);
  }

  deleteQueues(queueNames: string[]): Promise<number> {
    // Deleting a queue ends our own consumers of it (otherwise a cancelled consumer re-declares it).
    this.consumers.dropQueueSubscriptions(queueNames);
    return this.admin.deleteQueues(queueNames);
  }

  purgeQueue(queueName: string): Promise<number> {
    return this.admin.purgeQueue(queueName);
  }

  /** Ends our subscriptions to the channel, then deletes its queue or fanout exchange (Bus.releaseChannel). */
  async releaseChannel(channel: string): Promise<void> {
    await Promise.all([...this.subs].filter((s) => s.channel === channel).map((s) => this.consumers.unsubscribe(s)));
    await this.admin.releaseChannel(channel);
  }

  async close(): Promise<void> {
    if (this.link.closed) return;
    if (this.link.state === 'up') await this.publisher.flush(this.closeGraceMs);
    this.link.close();
    this.publisher.rejectAll();
    this.consumers.endAll();
    await this.connection.close();
    this.link.idleWaiters.wake();
    this.link.finish();
  }
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
