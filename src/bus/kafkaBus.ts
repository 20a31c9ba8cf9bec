// The Kafka bus (kafkajs): the Bus over four parts that share one BrokerLink (state, backoff, counters) —
// kafka/connection.ts (client, probe, up/down), kafka/publisher.ts (ordered, bounded, resending pipeline),
// kafka/consumer.ts (a consumer group per subscription, start offsets, de-duplication) and kafka/admin.ts (topics).
// A broker that stops and comes back loses nothing: unsent batches wait and are resent, consumers resume from their
// committed offsets, and a bounded message-id window drops the copies at-least-once delivery brings.

import { readEnv } from '../protocol/envOptions';
import { randomBytes } from 'node:crypto';
import type { Envelope } from '../protocol/schemas';
import { silentLogger, type Logger } from '../protocol/logger';
import type { Bus, BusCapabilities, BusHandler, SubscribeOptions, Unsubscribe } from './bus';
import { BrokerBusBase } from './brokerBusBase';
import { DEFAULT_TOPIC_PREFIX, kafkaBrokersFromEnv, kafkaNamesFromEnv, type KafkaNames } from './kafkaConfig';
import { KafkaConnection, type KafkaRetry } from './kafka/connection';
import { KafkaTopics } from './kafka/admin';
import { KafkaPublisher } from './kafka/publisher';
import { KafkaConsumers, type KafkaSubscription } from './kafka/consumer';

export interface KafkaBusOptions {
  /** Bootstrap brokers (host:port). Default: SWITCHBOARD_KAFKA_BROKERS, else KAFKA_BOOTSTRAP_SERVERS, else localhost:9092. */
  brokers?: string[];
  /** Shown in the broker's logs and quotas. Default `switchboard-<8 hex>`. */
  clientId?: string;
  /** Prepended to every topic except the seed 002 ones (see kafkaConfig.ts). Default `switchboard.`. */
  topicPrefix?: string;
  /** Prepended to every consumer group. Default KAFKA_CONSUMER_GROUP_PREFIX, else `switchboard`. */
  groupPrefix?: string;
  /** Seed 002 names (which channels map verbatim). Default from the environment. */
  names?: KafkaNames;
  /** Partitions of a new chat/event/queue topic (presence is always 1). Default 3. */
  partitions?: number;
  /** Replicas of a new topic; -1 = the broker's default.replication.factor. Default -1. */
  replicationFactor?: number;
  /** The bus's backoff when the broker is away, beyond kafkajs's own retrier (see kafka/connection.ts). */
  reconnect?: { initialMs?: number; maxMs?: number; jitter?: number };
  /** Retries kafkajs makes by itself per request (100 ms doubling to 2 s) before our own loop takes over. Default 6. */
  clientRetries?: number;
  /** Publishes held (unsent + unacknowledged) while the broker is away; beyond it publish() rejects. Default 50,000. */
  maxBuffered?: number;
  /** Messages per produce request. Default 500. */
  maxBatch?: number;
  /** Message ids remembered per subscription for de-duplication. Default 10,000. */
  dedupWindow?: number;
  /** How often an idle bus checks the broker is still there. Default 5,000 ms. */
  probeIntervalMs?: number;
  /** Consumer session timeout (a dead member is noticed within it). Default 10,000 ms. */
  sessionTimeoutMs?: number;
  /** Longest a fetch waits for data (also bounds how long a consumer takes to stop). Default 1,000 ms. */
  maxWaitMs?: number;
  /** subscribe() waits this long for the consumer to start, then resolves and keeps trying. Default 15,000 ms. */
  subscribeWaitMs?: number;
  /** close() waits this long for unacknowledged publishes. Default 2,000 ms. */
  closeGraceMs?: number;
  logger?: Logger;
}

export class KafkaBus extends BrokerBusBase<KafkaSubscription> implements Bus {
  readonly kind = 'kafka' as const;
  readonly capabilities: BusCapabilities = Object.freeze({ shared: true, durableQueues: false });
  protected readonly label = 'Kafka';
  protected readonly unreachableHint = 'Is the broker running (tools/kafka/kafka.sh start) and is the bootstrap list right?';
  readonly brokers: string[];
  private readonly connection: KafkaConnection;
  private readonly topics: KafkaTopics;
  private readonly publisher: KafkaPublisher;
  private readonly consumers: KafkaConsumers;
  private readonly closeGraceMs: number;
  private readonly starting: Promise<void>;

  constructor(opts: KafkaBusOptions = {}) {
    const log = (opts.logger ?? silentLogger).child('kafka');
    super('kafka', log, opts.reconnect);
    const names: KafkaNames = opts.names ?? kafkaNamesFromEnv();
    this.brokers = opts.brokers ?? kafkaBrokersFromEnv();
    const clientId = opts.clientId ?? `switchboard-${randomBytes(4).toString('hex')}`;
    this.closeGraceMs = opts.closeGraceMs ?? 2_000;
    // kafkajs's retrier rides out short blips by itself (about 6 s here); longer outages fall to the bus's loops.
    const retry: KafkaRetry = { initialRetryTime: 100, maxRetryTime: Math.min(this.link.reconnect.maxMs, 2_000), retries: Math.max(0, opts.clientRetries ?? 6) };
    this.connection = new KafkaConnection(this.link, {
      brokers: this.brokers,
      clientId,
      retry,
      probeIntervalMs: opts.probeIntervalMs ?? 5_000,
      held: () => this.publisher.unconfirmed,
      onUp: () => this.publisher.kick(),
    });
    this.topics = new KafkaTopics(this.connection.admin, log, {
      topicPrefix: opts.topicPrefix ?? DEFAULT_TOPIC_PREFIX,
      names,
      partitions: Math.max(1, Math.min(opts.partitions ?? 3, 64)),
      replicationFactor: opts.replicationFactor ?? -1,
    });
    this.publisher = new KafkaPublisher(this.link, this.connection, this.topics, {
      retry,
      maxBuffered: opts.maxBuffered ?? 50_000,
      maxBatch: opts.maxBatch ?? 500,
    });
    this.consumers = new KafkaConsumers(this.link, this.connection, this.topics, this.subs, {
      clientId,
      groupPrefix: opts.groupPrefix ?? (readEnv(process.env, ['kafkaConsumerGroupPrefix']).kafkaConsumerGroupPrefix?.trim() || 'switchboard'),
      retry,
      dedupSize: opts.dedupWindow ?? 10_000,
      sessionTimeoutMs: opts.sessionTimeoutMs ?? 10_000,
      maxWaitMs: opts.maxWaitMs ?? 1_000,
      subscribeWaitMs: opts.subscribeWaitMs ?? 15_000,
    });
    this.starting = this.connection.start(() => this.publisher.connectMain());
  }

  protected displayUrl(): string {
    return `kafka://${this.brokers.join(',')}`;
  }

  protected override address(): string {
    return this.brokers.join(',');
  }

  /** The topic a channel is carried on (see kafkaConfig.ts). */
  topicFor(channel: string): string {
    return this.topics.planFor(channel).topic;
  }

  /** Messages accepted by publish() and not yet acknowledged by the broker. */
  get unconfirmed(): number {
    return this.publisher.unconfirmed;
  }

  /** Produce attempts that failed and were retried by the bus (after kafkajs's own retries gave up). */
  get sendRetries(): number {
    return this.publisher.sendRetries;
  }

  publish(channel: string, message: Envelope): Promise<void> {
    return this.publisher.publish(this.topics.planFor(channel), message);
  }

  /** Waits (up to timeoutMs) until every accepted publish is acknowledged; false when some are still waiting. */
  flush(timeoutMs = 10_000): Promise<boolean> {
    return this.publisher.flush(timeoutMs);
  }

  subscribe(channel: string, handler: BusHandler, opts: SubscribeOptions = {}): Promise<Unsubscribe> {
    return this.consumers.subscribe(channel, handler, opts);
  }

  /** Ends our subscriptions to the channel, then deletes its topic (Bus.releaseChannel). */
  async releaseChannel(channel: string): Promise<void> {
    const topic = this.topicFor(channel);
    await Promise.all([...this.subs].filter((s) => s.plan.topic === topic).map((s) => this.consumers.unsubscribe(s)));
    await this.topics.release([topic], this.link.state === 'up' && !this.link.closed);
  }

  /** Deletes the topics of these channels (test cleanup). Subscriptions to them should be closed first. */
  async deleteTopics(channels: string[]): Promise<void> {
    await this.topics.delete([...new Set(channels.map((c) => this.topicFor(c)))]);
  }

  async close(): Promise<void> {
    if (this.link.closed) return;
    if (this.link.state === 'up') await this.publisher.flush(this.closeGraceMs);
    this.link.close();
    this.connection.stopProbing();
    this.publisher.rejectPending();
    this.link.idleWaiters.wake();
    const wasUp = this.link.state === 'up';
    await this.consumers.closeAll(wasUp);
    await this.starting.catch(() => undefined);
    // The producers first: a send still retrying against an absent broker then fails at once and the pipeline ends.
    await this.publisher.disconnect();
    await this.connection.disconnect();
    await this.publisher.stopped();
    this.link.finish();
  }
}
