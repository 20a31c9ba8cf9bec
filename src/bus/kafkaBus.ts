// The Kafka bus (kafkajs): an idempotent producer (acks all) fed by one ordered, bounded, retrying send pipeline; a
// consumer group per subscription (a named group competes, no group = a group of its own); topics created before use.
// A broker that stops and comes back loses nothing: unsent batches wait and are resent, consumers resume from their
// committed offsets, and a bounded message-id window drops the copies at-least-once delivery brings.
// A hub's own channel (`hubs.direct.<hubId>`, kafkaConfig.ts) has a topic that lives as long as its subscriber: made
// by it, deleted when it leaves; publishers never create one and send to them through a producer of their own, so a
// deleted topic can never break the metadata of the producer everything else goes through.

import { randomBytes } from 'node:crypto';
import {
  Kafka,
  Partitioners,
  logLevel as KafkaLogLevel,
  type Admin,
  type Consumer,
  type EachMessagePayload,
  type IHeaders,
  type LogEntry,
  type Producer,
  type TopicMessages,
} from 'kafkajs';
import type { Envelope } from '../protocol/schemas';
import { SwitchboardError, errorMessage } from '../protocol/errors';
import { silentLogger, type Logger } from '../protocol/logger';
import type { Bus, BusCapabilities, BusHandler, BusState, BusStatus, SubscribeOptions, Unsubscribe } from './bus';
import { DedupWindow } from './dedup';
import { envelopeId, parseEnvelope, reportUndecodable, withTimeout } from './busSupport';
import { BrokerBusBase } from './brokerBusBase';
import {
  DEFAULT_TOPIC_PREFIX,
  kafkaBrokersFromEnv,
  kafkaNamesFromEnv,
  kafkaSafeName,
  planTopic,
  type KafkaNames,
  type TopicPlan,
} from './kafkaConfig';

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
  /** Our backoff when the broker is away (on top of kafkajs's own retrier): initialMs doubling up to maxMs, ±jitter. */
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

/** A kafkajs producer and whether it is connected (the send pipeline connects it on demand). */
interface Lane {
  producer: Producer;
  connected: boolean;
  /** Instance topics (another hub's direct channel) only: it may have to forget a topic its owner deleted. */
  instance: boolean;
}

interface Outgoing {
  plan: TopicPlan;
  key: string | null;
  value: Buffer;
  headers: IHeaders | undefined;
  resolve: () => void;
  reject: (err: Error) => void;
}

interface Subscription {
  channel: string;
  plan: TopicPlan;
  groupId: string;
  /** A group of its own: deleted again when the subscription ends. */
  ephemeral: boolean;
  handler: BusHandler;
  /** Logs a handler's exception or rejection (it never stops the consumer). */
  onHandlerError: (err: unknown) => void;
  onUndecodable: SubscribeOptions['onUndecodable'];
  dedup: DedupWindow;
  consumer: Consumer | undefined;
  active: boolean;
  /**
   * Start positions (partition → offset) of partitions that had no committed offset, until the group is seen to have
   * committed exactly that offset (see confirmStarts).
   */
  startAt: Map<number, string>;
  /** When subscribe() was called, and whether it has returned (its caller may be publishing). */
  subscribedAt: number;
  handedBack: boolean;
  /** The start loop (first start and restarts after a crash kafkajs gave up on). */
  starting: Promise<void> | undefined;
}

/** Header carrying a bus-made id for envelopes without `message_id`, so their redeliveries are dropped too. */
const BUS_ID_HEADER = 'sb-id';
const PRESENCE_SEGMENT_MS = '600000';
/** How long deleting an instance topic may take (the broker's own timeout; our wait is a second longer). */
const TOPIC_DELETE_MS = 5_000;
/** kafkajs's retries in the instance lane: an unknown (deleted) topic surfaces in ~0.3 s, not after ~6 s. */
const INSTANCE_LANE_RETRIES = 2;
const MAX_PLANS = 10_000;
/** What eachMessage answers for a message handled synchronously (kafkajs awaits it). */
const SETTLED: Promise<void> = Promise.resolve();

export class KafkaBus extends BrokerBusBase<Subscription> implements Bus {
  readonly kind = 'kafka' as const;
  readonly capabilities: BusCapabilities = Object.freeze({ shared: true, durableQueues: false });
  protected readonly label = 'Kafka';
  protected readonly unreachableHint = 'Is the broker running (tools/kafka/kafka.sh start) and is the bootstrap list right?';
  readonly brokers: string[];
  private readonly kafka: Kafka;
  private readonly admin: Admin;
  /** Checks reachability without kafkajs's retries, so an outage is noticed in one attempt. */
  private readonly probeAdmin: Admin;
  private main: Lane;
  /** Made on the first publish to an instance channel (see Lane). */
  private instanceLane: Lane | undefined;
  protected readonly log: Logger;
  private readonly topicPrefix: string;
  private readonly groupPrefix: string;
  private readonly names: KafkaNames;
  private readonly partitions: number;
  private readonly replicationFactor: number;
  private readonly maxBuffered: number;
  private readonly maxBatch: number;
  private readonly dedupSize: number;
  private readonly probeIntervalMs: number;
  private readonly sessionTimeoutMs: number;
  private readonly maxWaitMs: number;
  private readonly subscribeWaitMs: number;
  private readonly closeGraceMs: number;
  private readonly clientId: string;
  private readonly kafkaRetry: { initialRetryTime: number; maxRetryTime: number; retries: number };

  private subCounter = 0;
  private failedSends = 0;

  private readonly pending: Outgoing[] = [];
  private pumping: Promise<void> | undefined;
  private readonly ensured = new Set<string>();
  private readonly plans = new Map<string, TopicPlan>();
  private readonly creating = new Map<string, Promise<void>>();
  private readonly sleepers = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();
  private probeTimer: NodeJS.Timeout | undefined;
  private readonly starting: Promise<void>;

  constructor(opts: KafkaBusOptions = {}) {
    super(opts.reconnect);
    this.names = opts.names ?? kafkaNamesFromEnv();
    this.brokers = opts.brokers ?? kafkaBrokersFromEnv();
    this.clientId = opts.clientId ?? `switchboard-${randomBytes(4).toString('hex')}`;
    this.topicPrefix = opts.topicPrefix ?? DEFAULT_TOPIC_PREFIX;
    this.groupPrefix = opts.groupPrefix ?? (process.env.KAFKA_CONSUMER_GROUP_PREFIX?.trim() || 'switchboard');
    this.partitions = Math.max(1, Math.min(opts.partitions ?? 3, 64));
    this.replicationFactor = opts.replicationFactor ?? -1;
    this.maxBuffered = opts.maxBuffered ?? 50_000;
    this.maxBatch = opts.maxBatch ?? 500;
    this.dedupSize = opts.dedupWindow ?? 10_000;
    this.probeIntervalMs = opts.probeIntervalMs ?? 5_000;
    this.sessionTimeoutMs = opts.sessionTimeoutMs ?? 10_000;
    this.maxWaitMs = opts.maxWaitMs ?? 1_000;
    this.subscribeWaitMs = opts.subscribeWaitMs ?? 15_000;
    this.closeGraceMs = opts.closeGraceMs ?? 2_000;
    this.log = (opts.logger ?? silentLogger).child('kafka');
    this.kafkaRetry = { initialRetryTime: 100, maxRetryTime: Math.min(this.maxMs, 2_000), retries: Math.max(0, opts.clientRetries ?? 6) };
    this.kafka = new Kafka({
      clientId: this.clientId,
      brokers: this.brokers,
      connectionTimeout: 3_000,
      requestTimeout: 30_000,
      // kafkajs's retrier rides out short blips by itself (about 6 s here); longer outages fall to our loop below.
      retry: this.kafkaRetry,
      logLevel: KafkaLogLevel.INFO,
      logCreator: () => (entry) => this.onKafkaLog(entry),
    });
    this.admin = this.kafka.admin();
    this.probeAdmin = this.kafka.admin({ retry: { retries: 0 } });
    this.main = { producer: this.newProducer(this.kafkaRetry), connected: false, instance: false };
    this.starting = this.start();
  }

  protected displayUrl(): string {
    return `kafka://${this.brokers.join(',')}`;
  }

  protected override address(): string {
    return this.brokers.join(',');
  }

  /** The topic a channel is carried on (see kafkaConfig.ts). */
  topicFor(channel: string): string {
    return this.planFor(channel).topic;
  }

  /** planTopic, remembered per channel (a publish should not rebuild and re-sanitise the name every time); bounded. */
  private planFor(channel: string): TopicPlan {
    let plan = this.plans.get(channel);
    if (!plan) {
      plan = planTopic(channel, this.topicPrefix, this.names);
      if (this.plans.size >= MAX_PLANS) this.plans.clear();
      this.plans.set(channel, plan);
    }
    return plan;
  }

  /** Messages accepted by publish() and not yet acknowledged by the broker. */
  get unconfirmed(): number {
    return this.pending.length;
  }

  /** Produce attempts that failed and were retried by the bus (after kafkajs's own retries gave up). */
  get sendRetries(): number {
    return this.failedSends;
  }

  // --- publishing ---------------------------------------------------------------------------------------------

  publish(channel: string, message: Envelope): Promise<void> {
    if (this.closed) return Promise.reject(new SwitchboardError('shutdown', 'The Kafka bus is closed.'));
    if (this.pending.length >= this.maxBuffered) {
      return Promise.reject(
        new SwitchboardError(
          'bus_down',
          `Kafka bus: ${this.maxBuffered} messages are already waiting for the broker (state ${this.current}); this one was refused.`,
          { retriable: true },
        ),
      );
    }
    const plan = this.planFor(channel);
    // A bus-made id only where the envelope has none (most have one: no header object to allocate and encode).
    const headers: IHeaders | undefined = envelopeId(message) === undefined ? { [BUS_ID_HEADER]: 'bus_' + randomBytes(8).toString('hex') } : undefined;
    let value: Buffer;
    try {
      value = Buffer.from(JSON.stringify(message), 'utf8');
    } catch (err) {
      // A cycle or a BigInt: the caller's mistake, reported as a rejection like every other publish failure.
      return Promise.reject(new SwitchboardError('invalid_message', `The message cannot be written as JSON: ${errorMessage(err)}`, { cause: err }));
    }
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ plan, key: partitionKey(plan, message), value, headers, resolve, reject });
      this.kick();
    });
  }

  private kick(): void {
    this.pumping ??= this.pump().finally(() => {
      this.pumping = undefined;
      if (this.pending.length > 0 && !this.closed) this.kick();
    });
  }

  /**
   * One batch on the wire at a time, always the oldest first: order per sender holds across failures and resends.
   * A batch the broker refuses outright (too large, no key on a compacted topic, not authorised) is resent one
   * message at a time to find the refused one, which is rejected; the messages behind it go on.
   */
  private async pump(): Promise<void> {
    await this.starting;
    let failures = 0;
    let isolate = 0;
    while (this.pending.length > 0 && !this.closed) {
      const batch = this.nextBatch(isolate > 0 ? 1 : this.maxBatch);
      const lane = batch[0]!.plan.kind === 'instance' ? this.laneForInstances() : this.main;
      try {
        if (lane.instance) {
          // Never created here (their owner makes them): check they exist; messages for one that is gone are refused.
          if (await this.refuseGoneInstanceTopics(batch)) continue;
        } else {
          await this.ensureTopics(batch.map((b) => b.plan));
        }
        if (!lane.connected) {
          await lane.producer.connect();
          lane.connected = true;
        }
        await lane.producer.sendBatch({ acks: -1, topicMessages: toTopicMessages(batch) });
      } catch (err) {
        if (this.closed) break;
        if (lane.instance && isUnknownTopic(err)) {
          // Its owner deleted a topic since we last sent to it (that hub stopped). kafkajs keeps every topic a
          // producer used in its metadata requests, which now fail: a new producer forgets it; the next round checks
          // which topics still exist and refuses the messages for the gone one.
          for (const b of batch) this.ensured.delete(b.plan.topic);
          await this.replaceProducer(lane, err, 'a topic it sent to was deleted');
          await this.sleep(this.backoff(++failures));
          continue;
        }
        const refused = refusalOf(err);
        if (refused !== undefined && !needsNewProducer(err)) {
          if (batch.length > 1) {
            isolate = batch.length;
            continue;
          }
          if (this.pending[0] === batch[0]) this.pending.shift();
          isolate = Math.max(0, isolate - 1);
          this.log.warn(`Kafka refused a message for ${batch[0]!.plan.topic}: ${errorText(err)}; it is dropped`);
          batch[0]!.reject(
            new SwitchboardError(
              refused === 'MESSAGE_TOO_LARGE' || refused === 'RECORD_LIST_TOO_LARGE' ? 'frame_too_large' : 'invalid_message',
              `Kafka refused the message for ${batch[0]!.plan.topic} (${refused}).`,
              { cause: err },
            ),
          );
          continue;
        }
        failures++;
        this.failedSends++;
        this.markDown(err, `publish of ${batch.length} message(s) failed`);
        if (/producer is disconnected/i.test(errorMessage(err))) lane.connected = false;
        if (needsNewProducer(err)) await this.replaceProducer(lane, err);
        await this.sleep(this.backoff(failures));
        continue;
      }
      failures = 0;
      isolate = Math.max(0, isolate - batch.length);
      // close() may have rejected and dropped everything meanwhile; only settle what is still ours.
      if (this.pending[0] === batch[0]) this.pending.splice(0, batch.length);
      for (const item of batch) {
        this.published++;
        item.resolve();
      }
      this.markUp();
    }
    if (this.pending.length === 0) this.idleWaiters.wake();
  }

  private newProducer(retry: KafkaBus['kafkaRetry']): Producer {
    return this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
      retry,
    });
  }

  private laneForInstances(): Lane {
    this.instanceLane ??= {
      producer: this.newProducer({ ...this.kafkaRetry, retries: Math.min(this.kafkaRetry.retries, INSTANCE_LANE_RETRIES) }),
      connected: false,
      instance: true,
    };
    return this.instanceLane;
  }

  /** The oldest pending messages (at most max) that go through one lane: order across lanes is kept by sending one batch at a time. */
  private nextBatch(max: number): Outgoing[] {
    const instance = this.pending[0]!.plan.kind === 'instance';
    const limit = Math.min(max, this.pending.length);
    let n = 1;
    while (n < limit && (this.pending[n]!.plan.kind === 'instance') === instance) n++;
    return this.pending.slice(0, n);
  }

  /**
   * Instance topics of this batch not yet known to exist are looked up (listTopics: asking for the topic by name would
   * make the admin client track it, and fail, once it is deleted). Messages for one that does not exist are refused
   * and taken out of the pipeline; true when that happened (the caller builds its batch again).
   */
  private async refuseGoneInstanceTopics(batch: Outgoing[]): Promise<boolean> {
    const unknown = new Set<string>();
    for (const b of batch) if (!this.ensured.has(b.plan.topic)) unknown.add(b.plan.topic);
    if (unknown.size === 0) return false;
    const existing = new Set(await this.admin.listTopics());
    const gone = new Set<string>();
    for (const t of unknown) {
      if (existing.has(t)) this.ensured.add(t);
      else gone.add(t);
    }
    if (gone.size === 0) return false;
    // close() may have rejected and dropped everything meanwhile; only settle what is still ours.
    if (this.closed || this.pending[0] !== batch[0]) return true;
    const kept = batch.filter((b) => !gone.has(b.plan.topic));
    this.pending.splice(0, batch.length, ...kept);
    this.log.info(`no subscriber owns ${[...gone].join(', ')} (that hub is gone); ${batch.length - kept.length} message(s) for it dropped`);
    for (const b of batch) {
      if (!gone.has(b.plan.topic)) continue;
      b.reject(new SwitchboardError('unknown_receiver', `Nobody listens on ${b.plan.topic} any more (its topic is gone); the message was dropped.`));
    }
    if (this.pending.length === 0) this.idleWaiters.wake();
    return true;
  }

  /**
   * A producer whose id or sequence the broker refuses is replaced (resent messages may then be duplicated on the
   * wire; the receiver drops them), and so is an instance-lane producer that sent to a topic since deleted.
   */
  private async replaceProducer(lane: Lane, cause: unknown, why = 'an error it cannot recover from'): Promise<void> {
    const old = lane.producer;
    lane.producer = this.newProducer(lane.instance ? { ...this.kafkaRetry, retries: Math.min(this.kafkaRetry.retries, INSTANCE_LANE_RETRIES) } : this.kafkaRetry);
    lane.connected = false; // connected by the next send attempt
    const line = `replacing the Kafka producer${lane.instance ? ' of hub-to-hub topics' : ''} after ${why}: ${errorText(cause)}`;
    if (lane.instance && isUnknownTopic(cause)) this.log.info(line);
    else this.log.warn(line);
    await withTimeout(old.disconnect(), 5_000).catch(() => undefined);
  }

  private async ensureTopics(plans: TopicPlan[]): Promise<void> {
    for (const plan of plans) {
      if (this.ensured.has(plan.topic)) continue;
      let p = this.creating.get(plan.topic);
      if (!p) {
        p = this.createTopic(plan).finally(() => this.creating.delete(plan.topic));
        this.creating.set(plan.topic, p);
      }
      await p;
    }
  }

  private async createTopic(plan: TopicPlan): Promise<void> {
    const configEntries =
      plan.kind === 'presence'
        ? [
            { name: 'cleanup.policy', value: 'compact' },
            // Compaction never touches the active segment: roll it so old presence is actually cleaned.
            { name: 'segment.ms', value: PRESENCE_SEGMENT_MS },
            { name: 'min.cleanable.dirty.ratio', value: '0.1' },
          ]
        : [];
    const numPartitions = plan.kind === 'presence' ? 1 : plan.kind === 'context' ? 1 : this.partitions;
    await this.admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: plan.topic, numPartitions, replicationFactor: this.replicationFactor, configEntries }],
    });
    // false (already there) is as good as created.
    this.ensured.add(plan.topic);
  }

  /** Waits (up to timeoutMs) until every accepted publish is acknowledged; false when some are still waiting. */
  async flush(timeoutMs = 10_000): Promise<boolean> {
    if (this.pending.length > 0) await this.idleWaiters.wait(timeoutMs);
    return this.pending.length === 0;
  }

  // --- subscribing --------------------------------------------------------------------------------------------

  async subscribe(channel: string, handler: BusHandler, opts: SubscribeOptions = {}): Promise<Unsubscribe> {
    if (this.closed) throw new SwitchboardError('shutdown', 'The Kafka bus is closed.');
    const plan = this.planFor(channel);
    // Group ids include the topic: kafkajs assigns every topic of a group to its members whatever they subscribed to.
    let group = opts.group;
    if (group === undefined && plan.kind === 'queue') group = 'queue';
    const ephemeral = group === undefined;
    const member = ephemeral ? `sub-${this.clientId}-${++this.subCounter}-${randomBytes(3).toString('hex')}` : group!;
    const sub: Subscription = {
      channel,
      plan,
      // On a seed 002 topic a named group is the peer's own consumer group, exactly as a seed peer names it.
      groupId: plan.kind === 'context' && !ephemeral ? kafkaSafeName(member) : kafkaSafeName(`${this.groupPrefix}.${plan.topic}.${member}`),
      ephemeral,
      handler,
      onHandlerError: (err) => this.log.warn(`handler for ${channel} threw: ${errorMessage(err)}`),
      onUndecodable: opts.onUndecodable,
      dedup: new DedupWindow(this.dedupSize),
      consumer: undefined,
      active: true,
      startAt: new Map(),
      subscribedAt: Date.now(),
      handedBack: false,
      starting: undefined,
    };
    this.subs.add(sub);
    sub.starting = this.startSubscription(sub, true);
    const wait = this.delay(this.subscribeWaitMs);
    // A broker known to be away (the first connect failed) is not waited for: a hub starting without its Kafka
    // comes up at once and its subscriptions start when the broker does, as on RabbitMQ.
    await Promise.race([this.starting, wait.promise]);
    const started =
      this.current === 'down' ? false : await Promise.race([sub.starting.then(() => true), wait.promise.then(() => false)]);
    wait.cancel();
    if (!started && sub.active) {
      this.log.warn(`subscription to ${channel} is not running yet (${this.lastError ?? 'broker unreachable'}); it keeps trying`);
    }
    sub.handedBack = true;
    return () => this.unsubscribe(sub);
  }

  /** Until the consumer runs (or the subscription ends): topic, start position, consumer; backoff between tries. */
  private async startSubscription(sub: Subscription, first: boolean): Promise<void> {
    await this.starting;
    let positioned = !first || sub.plan.fromBeginning;
    for (let tries = 1; sub.active && !this.closed; tries++) {
      let consumer: Consumer | undefined;
      try {
        await this.ensureTopics([sub.plan]);
        // Where a group without committed offsets starts: the end of the topic as of the first try, or what was
        // published since subscribe() once it returned (see startOffsets), however long the join then takes; the
        // beginning for queues/presence.
        if (!positioned) {
          const lateAlready = sub.handedBack;
          let starts = await this.startOffsets(sub, lateAlready);
          if (!lateAlready && sub.handedBack) starts = await this.startOffsets(sub, true); // subscribe() returned meanwhile
          sub.startAt = new Map(starts.map((e) => [e.partition, e.offset]));
          positioned = true;
        }
        consumer = this.kafka.consumer({
          groupId: sub.groupId,
          sessionTimeout: this.sessionTimeoutMs,
          heartbeatInterval: Math.max(500, Math.floor(this.sessionTimeoutMs / 5)),
          rebalanceTimeout: Math.max(this.sessionTimeoutMs, 10_000),
          maxWaitTimeInMs: this.maxWaitMs,
          allowAutoTopicCreation: false,
          // kafkajs restarts a crashed consumer by itself, also one that disconnect() (close with the broker away)
          // did not reach in time: only while it is still this subscription's, or its retries outlive close().
          retry: { ...this.kafkaRetry, restartOnFailure: async () => sub.active && !this.closed && sub.consumer === consumer },
        });
        this.watchConsumer(sub, consumer);
        sub.consumer = consumer;
        await consumer.connect();
        await consumer.subscribe({ topics: [sub.plan.topic], fromBeginning: sub.plan.fromBeginning });
        // Resolves once the group is joined (the seeks are in place before the first fetch: see watchConsumer).
        await consumer.run({ eachMessage: (p) => this.deliver(sub, p) ?? SETTLED });
        if (!sub.active || this.closed) await this.stopConsumer(sub, consumer, false);
        return;
      } catch (err) {
        if (!sub.active || this.closed) return;
        this.markDown(err, `starting the consumer of ${sub.channel} failed`);
        if (consumer) {
          if (sub.consumer === consumer) sub.consumer = undefined;
          await withTimeout(consumer.disconnect(), 5_000).catch(() => undefined);
        }
        await this.sleep(this.backoff(tries));
      }
    }
  }

  /**
   * Partitions of the group that have no committed offset, each with where it starts: the topic's end — or, once
   * subscribe() has returned without the subscription running (the broker was away), the first message published
   * since subscribe() was called (by the producers' timestamps: exact on one machine, as good as the clocks across
   * machines), since its caller and others may have published in between.
   */
  private async startOffsets(sub: Subscription, sinceSubscribe: boolean): Promise<Array<{ partition: number; offset: string }>> {
    const ends = sinceSubscribe
      ? await this.admin.fetchTopicOffsetsByTimestamp(sub.plan.topic, sub.subscribedAt)
      : (await this.admin.fetchTopicOffsets(sub.plan.topic)).map((e) => ({ partition: e.partition, offset: e.high }));
    if (sub.ephemeral) return ends;
    const committed = await this.admin.fetchOffsets({ groupId: sub.groupId, topics: [sub.plan.topic] });
    const have = new Set<number>();
    for (const t of committed) for (const p of t.partitions) if (Number(p.offset) >= 0) have.add(p.partition);
    return ends.filter((e) => !have.has(e.partition));
  }

  private watchConsumer(sub: Subscription, consumer: Consumer): void {
    const ev = consumer.events;
    consumer.on(ev.GROUP_JOIN, (e) => {
      this.markUp();
      // Emitted inside the join, before the first fetch: the start positions apply to that fetch. kafkajs applies a
      // seek by committing it and forgets it when that commit fails (a group coordinator still loading after a broker
      // start answers NOT_COORDINATOR; kafkajs 2.2.4 pops the seek before committing), and the partition then starts
      // at the topic's end, skipping everything published since subscribe(). So such partitions stay paused until the
      // group shows the start offset committed; a lost seek is made again.
      const mine = (e.payload.memberAssignment[sub.plan.topic] ?? []).filter((p) => sub.startAt.has(p));
      if (mine.length === 0) return;
      consumer.pause([{ topic: sub.plan.topic, partitions: mine }]);
      for (const p of mine) consumer.seek({ topic: sub.plan.topic, partition: p, offset: sub.startAt.get(p)! });
      void this.confirmStarts(sub, consumer, mine);
    });
    consumer.on(ev.FETCH, () => {
      if (this.current !== 'up') this.markUp();
    });
    consumer.on(ev.CRASH, (e) => {
      if (!sub.active || this.closed) return;
      this.markDown(e.payload.error, `consumer of ${sub.channel} crashed`);
      // kafkajs restarts after retriable errors by itself; after any other error the subscription starts afresh.
      if (!e.payload.restart && sub.consumer === consumer) {
        sub.consumer = undefined;
        void withTimeout(consumer.disconnect(), 5_000).catch(() => undefined);
        sub.starting = this.startSubscription(sub, false);
      }
    });
  }

  /**
   * Resumes the paused partitions whose start offset the group has committed (a seek kafkajs applied); seeks again
   * where it has not after a while (the seek was lost). Ends with the consumer (a new join starts another round).
   */
  private async confirmStarts(sub: Subscription, consumer: Consumer, partitions: number[]): Promise<void> {
    const topic = sub.plan.topic;
    let waiting = partitions;
    const current = (): boolean => sub.active && !this.closed && sub.consumer === consumer;
    for (let round = 1; waiting.length > 0; round++) {
      await this.sleep(Math.min(50 * round, 1_000));
      if (!current()) return;
      let committed: Map<number, string>;
      try {
        const offsets = await this.admin.fetchOffsets({ groupId: sub.groupId, topics: [topic] });
        committed = new Map(offsets.flatMap((t) => t.partitions.map((p) => [p.partition, p.offset] as const)));
      } catch (err) {
        this.log.debug(`checking the start offsets of ${sub.channel}: ${errorText(err)}`);
        continue;
      }
      if (!current()) return;
      const confirmed = waiting.filter((p) => committed.get(p) === sub.startAt.get(p));
      try {
        // (kafkajs throws between a crash and its restart: the next join pauses and seeks again and starts a new round)
        if (confirmed.length > 0) consumer.resume([{ topic, partitions: confirmed }]);
        for (const p of confirmed) sub.startAt.delete(p);
        waiting = waiting.filter((p) => sub.startAt.has(p));
        if (waiting.length > 0 && round % 5 === 0) {
          this.log.info(`the start offsets of ${sub.channel} (partitions ${waiting.join(', ')}) were not taken yet; seeking again`);
          for (const p of waiting) consumer.seek({ topic, partition: p, offset: sub.startAt.get(p)! });
        }
      } catch (err) {
        this.log.debug(`start offsets of ${sub.channel}: ${errorText(err)}`);
        return;
      }
    }
  }

  /**
   * Handlers run one message at a time per subscription (order kept); the offset is committed after the handler.
   * Not `async`: a synchronous handler costs kafkajs no promise per message; an async one is awaited through the
   * promise returned here (its rejection logged like a throw).
   */
  private deliver(sub: Subscription, { message, topic, partition }: EachMessagePayload): Promise<void> | undefined {
    if (!sub.active) return undefined;
    const envelope = parseEnvelope(message.value);
    if (!envelope) {
      this.log.warn(`dropped a message on ${topic}[${partition}] @${message.offset} that is not a JSON object with a message_type`);
      if (sub.onUndecodable) reportUndecodable(sub.onUndecodable, sub.channel, message.value, this.log);
      return undefined;
    }
    let id = envelopeId(envelope);
    if (id === undefined) {
      const header = message.headers?.[BUS_ID_HEADER];
      if (header !== undefined) id = String(header);
    }
    if (sub.dedup.isDuplicate(id)) return undefined;
    this.received++;
    try {
      const result = sub.handler(envelope);
      // (No closure made per message: under tsx every named arrow costs a defineProperty.)
      return result instanceof Promise ? result.catch(sub.onHandlerError) : undefined;
    } catch (err) {
      sub.onHandlerError(err);
      return undefined;
    }
  }

  private async unsubscribe(sub: Subscription): Promise<void> {
    if (!sub.active) return;
    sub.active = false;
    this.subs.delete(sub);
    await sub.starting?.catch(() => undefined);
    const consumer = sub.consumer;
    sub.consumer = undefined;
    if (consumer) await this.stopConsumer(sub, consumer, sub.ephemeral);
    await this.releaseOwnTopics([sub], this.current === 'up');
  }

  /**
   * Like a group of our own, the topic of an instance channel (a hub's `hubs.direct.<id>`) is garbage once its
   * subscriber leaves: it is deleted when a subscription with a group of its own ends, the topic was made or seen by
   * this bus, and no other subscription here reads it. Skipped when the broker is away (stop() must not wait for it);
   * at most TOPIC_DELETE_MS + 1 s otherwise; a failure is logged, never thrown.
   */
  private async releaseOwnTopics(ended: Subscription[], up: boolean): Promise<void> {
    const topics = new Set<string>();
    for (const s of ended) if (s.plan.kind === 'instance' && s.ephemeral && this.ensured.has(s.plan.topic)) topics.add(s.plan.topic);
    for (const s of this.subs) topics.delete(s.plan.topic);
    if (topics.size === 0) return;
    const list = [...topics];
    for (const t of list) this.ensured.delete(t);
    if (!up) {
      this.log.info(`topic ${list.join(', ')} left in place: the broker is unreachable`);
      return;
    }
    try {
      await withTimeout(this.admin.deleteTopics({ topics: list, timeout: TOPIC_DELETE_MS }), TOPIC_DELETE_MS + 1_000);
      this.log.debug(`deleted topic ${list.join(', ')}`);
    } catch (err) {
      this.log.warn(`could not delete topic ${list.join(', ')}: ${errorText(err)}`);
    }
  }

  private async stopConsumer(sub: Subscription, consumer: Consumer, deleteGroup: boolean): Promise<void> {
    await withTimeout(consumer.disconnect(), 10_000).catch((err: unknown) => this.noteError(err));
    // A group of our own is garbage once we leave it (its offsets would linger for days).
    if (deleteGroup && this.current === 'up') {
      await withTimeout(this.admin.deleteGroups([sub.groupId]), 5_000).catch((err: unknown) =>
        this.log.debug(`could not delete group ${sub.groupId}: ${errorMessage(err)}`),
      );
    }
  }

  // --- administration (tests, reset) --------------------------------------------------------------------------

  /** Ends our subscriptions to the channel, then deletes its topic (Bus.releaseChannel). */
  async releaseChannel(channel: string): Promise<void> {
    const plan = this.planFor(channel);
    await Promise.all([...this.subs].filter((s) => s.plan.topic === plan.topic).map((s) => this.unsubscribe(s)));
    this.ensured.delete(plan.topic);
    if (this.current !== 'up' || this.closed) {
      this.log.info(`topic ${plan.topic} left in place: the broker is unreachable`);
      return;
    }
    try {
      await withTimeout(this.admin.deleteTopics({ topics: [plan.topic], timeout: TOPIC_DELETE_MS }), TOPIC_DELETE_MS + 1_000);
    } catch (err) {
      if (!isUnknownTopic(err)) this.log.warn(`could not delete topic ${plan.topic}: ${errorText(err)}`);
    }
  }

  /** Deletes the topics of these channels (test cleanup). Subscriptions to them should be closed first. */
  async deleteTopics(channels: string[]): Promise<void> {
    const topics = [...new Set(channels.map((c) => this.topicFor(c)))];
    for (const t of topics) this.ensured.delete(t);
    if (topics.length > 0) await this.admin.deleteTopics({ topics, timeout: 10_000 });
  }

  // --- connection state ---------------------------------------------------------------------------------------

  private async start(): Promise<void> {
    try {
      await this.admin.connect();
      await this.main.producer.connect();
      this.main.connected = true;
      await this.probeAdmin.connect();
      this.markUp();
    } catch (err) {
      this.markDown(err, `cannot reach ${this.brokers.join(',')}`);
    }
    this.scheduleProbe();
  }

  private scheduleProbe(): void {
    if (this.closed) return;
    const delay = this.current === 'up' ? this.probeIntervalMs : this.backoff(this.attempt);
    this.probeTimer = setTimeout(() => {
      this.probeTimer = undefined;
      void this.probe().finally(() => this.scheduleProbe());
    }, delay);
    this.probeTimer.unref();
  }

  private async probe(): Promise<void> {
    try {
      await withTimeout(this.probeAdmin.describeCluster(), 5_000);
      this.markUp();
    } catch (err) {
      if (this.closed) return;
      this.attempt++;
      this.markDown(err, 'broker check failed', true);
    }
  }

  private markUp(): void {
    if (this.closed || this.current === 'up') return;
    const was = this.attempt;
    this.attempt = 0;
    if (this.current === 'down') this.log.info(`Kafka at ${this.brokers.join(',')} is back${was ? ` after ${was} check(s)` : ''}`);
    this.setState('up');
    this.readyWaiters.wake();
    if (this.pending.length > 0) this.kick();
  }

  private markDown(err: unknown, what: string, always = false): void {
    this.noteError(err);
    if (this.closed) return;
    if (this.current !== 'down') {
      this.log.warn(`${what}: ${errorText(err)}; retrying (${this.pending.length} message(s) held)`);
      this.setState('down');
      // Check again soon rather than at the idle interval: 'up' comes back as soon as the broker does.
      if (this.probeTimer && !always) {
        clearTimeout(this.probeTimer);
        this.probeTimer = undefined;
        this.scheduleProbe();
      }
    } else if (always) {
      this.setState('down'); // the attempt count changed: listeners see it
    }
  }

  private setState(state: BusState): void {
    this.current = state;
    this.listeners.emit(this.status(), this.log);
  }

  /** A delay that close() cuts short. */
  private sleep(ms: number): Promise<void> {
    return this.delay(ms).promise;
  }

  private delay(ms: number): { promise: Promise<void>; cancel: () => void } {
    if (this.closed) return { promise: Promise.resolve(), cancel: () => undefined };
    let entry: { timer: NodeJS.Timeout; wake: () => void } | undefined;
    const promise = new Promise<void>((resolve) => {
      const e = {
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

  /** kafkajs's own log lines, into ours: chatter at debug; errors once per outage as warnings, then at debug. */
  private onKafkaLog({ namespace, level, log }: LogEntry): void {
    const { message, timestamp: _t, logger: _l, stack: _s, ...extra } = log;
    const line = `${namespace}: ${message}${Object.keys(extra).length ? ' ' + safeJson(extra) : ''}`;
    if (level <= KafkaLogLevel.WARN && this.current === 'up' && !this.closed && !message.startsWith('Limiting retries')) {
      this.log.warn(line);
    } else {
      this.log.debug(line);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.current === 'up') await this.flush(this.closeGraceMs);
    this.closed = true;
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    for (const s of this.sleepers) {
      clearTimeout(s.timer);
      s.wake();
    }
    this.sleepers.clear();
    for (const item of this.pending.splice(0)) {
      item.reject(new SwitchboardError('shutdown', 'The Kafka bus closed before the broker acknowledged this message.'));
    }
    this.idleWaiters.wake();
    this.readyWaiters.wake();
    const subs = [...this.subs];
    this.subs.clear();
    const wasUp = this.current === 'up';
    await Promise.all(
      subs.map(async (sub) => {
        sub.active = false;
        await sub.starting?.catch(() => undefined);
        const consumer = sub.consumer;
        sub.consumer = undefined;
        if (consumer) await this.stopConsumer(sub, consumer, sub.ephemeral && wasUp);
      }),
    );
    await this.releaseOwnTopics(subs, wasUp && this.current === 'up');
    await this.starting.catch(() => undefined);
    // The producer first: a send still retrying against an absent broker then fails at once and the pump ends.
    for (const client of [this.main.producer, ...(this.instanceLane ? [this.instanceLane.producer] : []), this.admin, this.probeAdmin]) {
      await withTimeout(client.disconnect(), 5_000).catch(() => undefined);
    }
    await this.pumping?.catch(() => undefined);
    this.setState('down');
    this.listeners.clear();
  }
}

/** Presence is keyed by the agent it describes (compaction keeps its latest state); everything else by its sender. */
function partitionKey(plan: TopicPlan, m: Envelope): string | null {
  const agent = m.agent_id;
  if (plan.kind === 'presence' && typeof agent === 'string' && agent) return agent;
  for (const k of ['sender_id', '_client_id', 'requester_id', 'responder_id'] as const) {
    const v = m[k];
    if (typeof v === 'string' && v) return v;
  }
  // A compacted topic refuses records without a key.
  return plan.kind === 'presence' ? (envelopeId(m) ?? 'presence') : null;
}

function toTopicMessages(batch: Outgoing[]): TopicMessages[] {
  const byTopic = new Map<string, TopicMessages>();
  for (const item of batch) {
    let t = byTopic.get(item.plan.topic);
    if (!t) {
      t = { topic: item.plan.topic, messages: [] };
      byTopic.set(item.plan.topic, t);
    }
    t.messages.push(item.headers ? { key: item.key, value: item.value, headers: item.headers } : { key: item.key, value: item.value });
  }
  return [...byTopic.values()];
}

/** Errors after which the idempotent producer's id/sequence state is useless: start with a new producer. */
function needsNewProducer(err: unknown): boolean {
  return /OUT_OF_ORDER_SEQUENCE|UNKNOWN_PRODUCER_ID|INVALID_PRODUCER_EPOCH|PRODUCER_FENCED|out of order sequence|producer id|producer epoch|fenced/i.test(
    errorText(err),
  );
}

/** A send that failed because a topic is not there (deleted under the producer), kafkajs's retries included. */
function isUnknownTopic(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; e && depth < 5; depth++) {
    if ((e as { type?: unknown }).type === 'UNKNOWN_TOPIC_OR_PARTITION') return true;
    e = (e as { cause?: unknown }).cause;
  }
  return /UNKNOWN_TOPIC_OR_PARTITION|does not host this topic-partition/i.test(errorText(err));
}

/** The broker's error type when it refused the request for good (a non-retriable protocol error), else undefined. */
function refusalOf(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; e && depth < 5; depth++) {
    const x = e as { name?: unknown; type?: unknown; retriable?: unknown; cause?: unknown };
    if (x.name === 'KafkaJSProtocolError' && x.retriable === false && typeof x.type === 'string') return x.type;
    e = x.cause;
  }
  return undefined;
}

/** An error with its kafkajs type (code) and cause, for logs and for recognising it. */
function errorText(err: unknown): string {
  const e = err as { name?: unknown; type?: unknown; cause?: unknown } | undefined;
  const cause = e?.cause === undefined ? '' : ` (cause: ${errorMessage(e.cause)}${typeof (e.cause as { type?: unknown }).type === 'string' ? ` ${(e.cause as { type: string }).type}` : ''})`;
  return `${typeof e?.name === 'string' ? e.name + ': ' : ''}${errorMessage(err)}${typeof e?.type === 'string' ? ` [${e.type}]` : ''}${cause}`;
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v);
  } catch {
    return '';
  }
}
