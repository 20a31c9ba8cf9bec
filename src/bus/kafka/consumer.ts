// Consuming on the Kafka bus: a consumer group per subscription (a named group competes, no group = a group of its
// own, deleted when it ends; on a seed 002 topic a named group is that exact group), starting at the topic's end (or
// where subscribe() was called, when the broker was away) or its beginning for queues and presence; committed offsets
// after the handler; a bounded message-id window drops the copies at-least-once delivery brings.

import { randomBytes } from 'node:crypto';
import type { Admin, Consumer, EachMessagePayload } from 'kafkajs';
import { SwitchboardError, errorMessage } from '../../protocol/errors';
import type { BusHandler, SubscribeOptions, Unsubscribe } from '../bus';
import { DedupWindow } from '../dedup';
import { envelopeId, parseEnvelope, reportUndecodable, withTimeout } from '../busSupport';
import type { BrokerLink } from '../brokerBusBase';
import { kafkaSafeName, type TopicPlan } from '../kafkaConfig';
import type { KafkaTopics } from './admin';
import type { KafkaConnection, KafkaRetry } from './connection';
import { BUS_ID_HEADER } from './publisher';
import { errorText } from './kafkaErrors';

export interface KafkaSubscription {
  channel: string;
  plan: TopicPlan;
  groupId: string;
  /** A group of its own: deleted again when the subscription ends. */
  ephemeral: boolean;
  /** Its group is deleted when it ends: a group of the bus's own (no group given), or one the subscriber called transient. */
  ownGroup: boolean;
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

export interface KafkaConsumerOptions {
  clientId: string;
  groupPrefix: string;
  retry: KafkaRetry;
  dedupSize: number;
  sessionTimeoutMs: number;
  maxWaitMs: number;
  subscribeWaitMs: number;
}

/** What eachMessage answers for a message handled synchronously (kafkajs awaits it). */
const SETTLED: Promise<void> = Promise.resolve();

export class KafkaConsumers {
  private subCounter = 0;
  private readonly admin: Admin;

  constructor(
    private readonly link: BrokerLink,
    private readonly connection: KafkaConnection,
    private readonly topics: KafkaTopics,
    /** The bus's subscriptions (the base class counts their duplicates). */
    private readonly subs: Set<KafkaSubscription>,
    private readonly opts: KafkaConsumerOptions,
  ) {
    this.admin = connection.admin;
  }

  async subscribe(channel: string, handler: BusHandler, opts: SubscribeOptions = {}): Promise<Unsubscribe> {
    if (this.link.closed) throw new SwitchboardError('shutdown', 'The Kafka bus is closed.');
    const plan = this.topics.planFor(channel);
    // Group ids include the topic: kafkajs assigns every topic of a group to its members whatever they subscribed to.
    let group = opts.group;
    if (group === undefined && plan.kind === 'queue') group = 'queue';
    const ephemeral = group === undefined;
    const member = ephemeral ? `sub-${this.opts.clientId}-${++this.subCounter}-${randomBytes(3).toString('hex')}` : group!;
    const sub: KafkaSubscription = {
      channel,
      plan,
      // On a seed 002 topic a named group is the peer's own consumer group, exactly as a seed peer names it.
      groupId: plan.kind === 'context' && !ephemeral ? kafkaSafeName(member) : kafkaSafeName(`${this.opts.groupPrefix}.${plan.topic}.${member}`),
      ephemeral,
      ownGroup: ephemeral || opts.transientGroup === true,
      handler,
      onHandlerError: (err) => this.link.log.warn(`handler for ${channel} threw: ${errorMessage(err)}`),
      onUndecodable: opts.onUndecodable,
      dedup: new DedupWindow(this.opts.dedupSize),
      consumer: undefined,
      active: true,
      startAt: new Map(),
      subscribedAt: Date.now(),
      handedBack: false,
      starting: undefined,
    };
    this.subs.add(sub);
    sub.starting = this.startSubscription(sub, true);
    const wait = this.link.delay(this.opts.subscribeWaitMs);
    // A broker known to be away (the first connect failed) is not waited for: a hub starting without its Kafka
    // comes up at once and its subscriptions start when the broker does, as on RabbitMQ.
    await Promise.race([this.connection.started, wait.promise]);
    const started = this.link.state === 'down' ? false : await Promise.race([sub.starting.then(() => true), wait.promise.then(() => false)]);
    wait.cancel();
    if (!started && sub.active) {
      this.link.log.warn(`subscription to ${channel} is not running yet (${this.link.lastError ?? 'broker unreachable'}); it keeps trying`);
    }
    sub.handedBack = true;
    return () => this.unsubscribe(sub);
  }

  /** Until the consumer runs (or the subscription ends): topic, start position, consumer; backoff between tries. */
  private async startSubscription(sub: KafkaSubscription, first: boolean): Promise<void> {
    await this.connection.started;
    let positioned = !first || sub.plan.fromBeginning;
    for (let tries = 1; sub.active && !this.link.closed; tries++) {
      let consumer: Consumer | undefined;
      try {
        await this.topics.ensure([sub.plan]);
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
        consumer = this.connection.kafka.consumer({
          groupId: sub.groupId,
          sessionTimeout: this.opts.sessionTimeoutMs,
          heartbeatInterval: Math.max(500, Math.floor(this.opts.sessionTimeoutMs / 5)),
          rebalanceTimeout: Math.max(this.opts.sessionTimeoutMs, 10_000),
          maxWaitTimeInMs: this.opts.maxWaitMs,
          allowAutoTopicCreation: false,
          // kafkajs restarts a crashed consumer by itself, also one that disconnect() (close with the broker away)
          // did not reach in time: only while it is still this subscription's, or its retries outlive close().
          retry: { ...this.opts.retry, restartOnFailure: async () => sub.active && !this.link.closed && sub.consumer === consumer },
        });
        this.watchConsumer(sub, consumer);
        sub.consumer = consumer;
        await consumer.connect();
        await consumer.subscribe({ topics: [sub.plan.topic], fromBeginning: sub.plan.fromBeginning });
        // Resolves once the group is joined (the seeks are in place before the first fetch: see watchConsumer).
        await consumer.run({ eachMessage: (p) => this.deliver(sub, p) ?? SETTLED });
        if (!sub.active || this.link.closed) await this.stopConsumer(sub, consumer, false);
        return;
      } catch (err) {
        if (!sub.active || this.link.closed) return;
        this.connection.markDown(err, `starting the consumer of ${sub.channel} failed`);
        if (consumer) {
          if (sub.consumer === consumer) sub.consumer = undefined;
          await withTimeout(consumer.disconnect(), 5_000).catch(() => undefined);
        }
        await this.link.sleep(this.link.backoff(tries));
      }
    }
  }

  /**
   * Partitions of the group that have no committed offset, each with where it starts: the topic's end — or, once
   * subscribe() has returned without the subscription running (the broker was away), the first message published
   * since subscribe() was called (by the producers' timestamps: exact on one machine, as good as the clocks across
   * machines), since its caller and others may have published in between.
   */
  private async startOffsets(sub: KafkaSubscription, sinceSubscribe: boolean): Promise<Array<{ partition: number; offset: string }>> {
    const ends = sinceSubscribe
      ? await this.admin.fetchTopicOffsetsByTimestamp(sub.plan.topic, sub.subscribedAt)
      : (await this.admin.fetchTopicOffsets(sub.plan.topic)).map((e) => ({ partition: e.partition, offset: e.high }));
    if (sub.ephemeral) return ends;
    const committed = await this.admin.fetchOffsets({ groupId: sub.groupId, topics: [sub.plan.topic] });
    const have = new Set<number>();
    for (const t of committed) for (const p of t.partitions) if (Number(p.offset) >= 0) have.add(p.partition);
    return ends.filter((e) => !have.has(e.partition));
  }

  private watchConsumer(sub: KafkaSubscription, consumer: Consumer): void {
    const ev = consumer.events;
    consumer.on(ev.GROUP_JOIN, (e) => {
      this.connection.markUp();
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
      if (this.link.state !== 'up') this.connection.markUp();
    });
    consumer.on(ev.CRASH, (e) => {
      if (!sub.active || this.link.closed) return;
      this.connection.markDown(e.payload.error, `consumer of ${sub.channel} crashed`);
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
  private async confirmStarts(sub: KafkaSubscription, consumer: Consumer, partitions: number[]): Promise<void> {
    const topic = sub.plan.topic;
    let waiting = partitions;
    const current = (): boolean => sub.active && !this.link.closed && sub.consumer === consumer;
    for (let round = 1; waiting.length > 0; round++) {
      await this.link.sleep(Math.min(50 * round, 1_000));
      if (!current()) return;
      let committed: Map<number, string>;
      try {
        const offsets = await this.admin.fetchOffsets({ groupId: sub.groupId, topics: [topic] });
        committed = new Map(offsets.flatMap((t) => t.partitions.map((p) => [p.partition, p.offset] as const)));
      } catch (err) {
        this.link.log.debug(`checking the start offsets of ${sub.channel}: ${errorText(err)}`);
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
          this.link.log.info(`the start offsets of ${sub.channel} (partitions ${waiting.join(', ')}) were not taken yet; seeking again`);
          for (const p of waiting) consumer.seek({ topic, partition: p, offset: sub.startAt.get(p)! });
        }
      } catch (err) {
        this.link.log.debug(`start offsets of ${sub.channel}: ${errorText(err)}`);
        return;
      }
    }
  }

  /**
   * Handlers run one message at a time per subscription (order kept); the offset is committed after the handler.
   * Not `async`: a synchronous handler costs kafkajs no promise per message; an async one is awaited through the
   * promise returned here (its rejection logged like a throw).
   */
  private deliver(sub: KafkaSubscription, { message, topic, partition }: EachMessagePayload): Promise<void> | undefined {
    if (!sub.active) return undefined;
    const envelope = parseEnvelope(message.value);
    if (!envelope) {
      this.link.log.warn(`dropped a message on ${topic}[${partition}] @${message.offset} that is not a JSON object with a message_type`);
      if (sub.onUndecodable) reportUndecodable(sub.onUndecodable, sub.channel, message.value, this.link.log);
      return undefined;
    }
    let id = envelopeId(envelope);
    if (id === undefined) {
      const header = message.headers?.[BUS_ID_HEADER];
      if (header !== undefined) id = String(header);
    }
    if (sub.dedup.isDuplicate(id)) return undefined;
    this.link.received++;
    try {
      const result = sub.handler(envelope);
      // (No closure made per message: under tsx every named arrow costs a defineProperty.)
      return result instanceof Promise ? result.catch(sub.onHandlerError) : undefined;
    } catch (err) {
      sub.onHandlerError(err);
      return undefined;
    }
  }

  async unsubscribe(sub: KafkaSubscription): Promise<void> {
    if (!sub.active) return;
    sub.active = false;
    this.subs.delete(sub);
    await sub.starting?.catch(() => undefined);
    const consumer = sub.consumer;
    sub.consumer = undefined;
    if (consumer) await this.stopConsumer(sub, consumer, sub.ownGroup);
    await this.releaseOwnTopics([sub], this.link.state === 'up');
  }

  /** Ends every subscription (the bus closes); their groups of their own are deleted when the broker was up. */
  async closeAll(wasUp: boolean): Promise<void> {
    const subs = [...this.subs];
    this.subs.clear();
    await Promise.all(
      subs.map(async (sub) => {
        sub.active = false;
        await sub.starting?.catch(() => undefined);
        const consumer = sub.consumer;
        sub.consumer = undefined;
        if (consumer) await this.stopConsumer(sub, consumer, sub.ownGroup && wasUp);
      }),
    );
    await this.releaseOwnTopics(subs, wasUp && this.link.state === 'up');
  }

  /**
   * Like a group of our own, the topic of an instance channel (a hub's `hubs.direct.<id>`) is garbage once its
   * subscriber leaves: it is deleted when a subscription with a group of its own ends, the topic was made or seen by
   * this bus, and no other subscription here reads it.
   */
  private async releaseOwnTopics(ended: KafkaSubscription[], up: boolean): Promise<void> {
    const topics = new Set<string>();
    for (const s of ended) if (s.plan.kind === 'instance' && s.ephemeral && this.topics.ensured.has(s.plan.topic)) topics.add(s.plan.topic);
    for (const s of this.subs) topics.delete(s.plan.topic);
    await this.topics.release([...topics], up);
  }

  private async stopConsumer(sub: KafkaSubscription, consumer: Consumer, deleteGroup: boolean): Promise<void> {
    await withTimeout(consumer.disconnect(), 10_000).catch((err: unknown) => this.link.noteError(err));
    // A group of our own is garbage once we leave it (its offsets would linger for days).
    if (deleteGroup && this.link.state === 'up') {
      await withTimeout(this.admin.deleteGroups([sub.groupId]), 5_000).catch((err: unknown) =>
        this.link.log.debug(`could not delete group ${sub.groupId}: ${errorMessage(err)}`),
      );
    }
  }
}
