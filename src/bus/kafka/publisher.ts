// Publishing on the Kafka bus: an idempotent producer (acks all) fed by one ordered, bounded send pipeline. Unsent
// batches wait while the broker is away and are resent, oldest first, so order per sender holds across failures.
// A hub's own channel (`hubs.direct.<hubId>`, kafkaConfig.ts) goes through a producer of its own: its topic is deleted
// when its owner leaves, and a deleted topic must never break the metadata of the producer everything else uses.

import { randomBytes } from 'node:crypto';
import { Partitioners, type IHeaders, type Producer, type TopicMessages } from 'kafkajs';
import type { Envelope } from '../../protocol/schemas';
import { SwitchboardError, errorMessage } from '../../protocol/errors';
import { envelopeId, withTimeout } from '../busSupport';
import type { BrokerLink } from '../brokerBusBase';
import type { TopicPlan } from '../kafkaConfig';
import type { KafkaTopics } from './admin';
import type { KafkaConnection, KafkaRetry } from './connection';
import { errorText, isUnknownTopic, needsNewProducer, refusalOf } from './kafkaErrors';

/** Header carrying a bus-made id for envelopes without `message_id`, so their redeliveries are dropped too. */
export const BUS_ID_HEADER = 'sb-id';
/** kafkajs's retries in the instance lane: an unknown (deleted) topic surfaces in ~0.3 s, not after ~6 s. */
const INSTANCE_LANE_RETRIES = 2;

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

export interface KafkaPublisherOptions {
  retry: KafkaRetry;
  /** Publishes held (unsent + unacknowledged) while the broker is away; beyond it publish() rejects. */
  maxBuffered: number;
  /** Messages per produce request. */
  maxBatch: number;
}

export class KafkaPublisher {
  private main: Lane;
  /** Made on the first publish to an instance channel (see Lane). */
  private instanceLane: Lane | undefined;
  private readonly pending: Outgoing[] = [];
  private pumping: Promise<void> | undefined;
  private failedSends = 0;

  constructor(
    private readonly link: BrokerLink,
    private readonly connection: KafkaConnection,
    private readonly topics: KafkaTopics,
    private readonly opts: KafkaPublisherOptions,
  ) {
    this.main = { producer: this.newProducer(false), connected: false, instance: false };
  }

  /** Connects the main producer (part of the bus's first connect, which the pipeline waits for). */
  async connectMain(): Promise<void> {
    await this.main.producer.connect();
    this.main.connected = true;
  }

  /** Messages accepted by publish() and not yet acknowledged by the broker. */
  get unconfirmed(): number {
    return this.pending.length;
  }

  /** Produce attempts that failed and were retried by the bus (after kafkajs's own retries gave up). */
  get sendRetries(): number {
    return this.failedSends;
  }

  publish(plan: TopicPlan, message: Envelope): Promise<void> {
    if (this.link.closed) return Promise.reject(new SwitchboardError('shutdown', 'The Kafka bus is closed.'));
    if (this.pending.length >= this.opts.maxBuffered) {
      return Promise.reject(
        new SwitchboardError(
          'bus_down',
          `Kafka bus: ${this.opts.maxBuffered} messages are already waiting for the broker (state ${this.link.state}); this one was refused.`,
          { retriable: true },
        ),
      );
    }
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

  /** Starts the pipeline when there is something to send and it is not running. */
  kick(): void {
    if (this.pending.length === 0) return;
    this.pumping ??= this.pump().finally(() => {
      this.pumping = undefined;
      if (this.pending.length > 0 && !this.link.closed) this.kick();
    });
  }

  /**
   * One batch on the wire at a time, always the oldest first: order per sender holds across failures and resends.
   * A batch the broker refuses outright (too large, no key on a compacted topic, not authorised) is resent one
   * message at a time to find the refused one, which is rejected; the messages behind it go on.
   */
  private async pump(): Promise<void> {
    await this.connection.started;
    let failures = 0;
    let isolate = 0;
    while (this.pending.length > 0 && !this.link.closed) {
      const batch = this.nextBatch(isolate > 0 ? 1 : this.opts.maxBatch);
      const lane = batch[0]!.plan.kind === 'instance' ? this.laneForInstances() : this.main;
      try {
        if (lane.instance) {
          // Never created here (their owner makes them): check they exist; messages for one that is gone are refused.
          if (await this.refuseGoneInstanceTopics(batch)) continue;
        } else {
          await this.topics.ensure(batch.map((b) => b.plan));
        }
        if (!lane.connected) {
          await lane.producer.connect();
          lane.connected = true;
        }
        await lane.producer.sendBatch({ acks: -1, topicMessages: toTopicMessages(batch) });
      } catch (err) {
        if (this.link.closed) break;
        if (lane.instance && isUnknownTopic(err)) {
          // Its owner deleted a topic since we last sent to it (that hub stopped). kafkajs keeps every topic a
          // producer used in its metadata requests, which now fail: a new producer forgets it; the next round checks
          // which topics still exist and refuses the messages for the gone one.
          for (const b of batch) this.topics.ensured.delete(b.plan.topic);
          await this.replaceProducer(lane, err, 'a topic it sent to was deleted');
          await this.link.sleep(this.link.backoff(++failures));
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
          this.link.log.warn(`Kafka refused a message for ${batch[0]!.plan.topic}: ${errorText(err)}; it is dropped`);
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
        this.connection.markDown(err, `publish of ${batch.length} message(s) failed`);
        if (/producer is disconnected/i.test(errorMessage(err))) lane.connected = false;
        if (needsNewProducer(err)) await this.replaceProducer(lane, err);
        await this.link.sleep(this.link.backoff(failures));
        continue;
      }
      failures = 0;
      isolate = Math.max(0, isolate - batch.length);
      // close() may have rejected and dropped everything meanwhile; only settle what is still ours.
      if (this.pending[0] === batch[0]) this.pending.splice(0, batch.length);
      for (const item of batch) {
        this.link.published++;
        item.resolve();
      }
      this.connection.markUp();
    }
    if (this.pending.length === 0) this.link.idleWaiters.wake();
  }

  private newProducer(instance: boolean): Producer {
    const retry = instance ? { ...this.opts.retry, retries: Math.min(this.opts.retry.retries, INSTANCE_LANE_RETRIES) } : this.opts.retry;
    return this.connection.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
      retry,
    });
  }

  private laneForInstances(): Lane {
    this.instanceLane ??= { producer: this.newProducer(true), connected: false, instance: true };
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
   * Messages of this batch for an instance topic that does not exist are refused and taken out of the pipeline; true
   * when that happened (the caller builds its batch again).
   */
  private async refuseGoneInstanceTopics(batch: Outgoing[]): Promise<boolean> {
    const gone = await this.topics.gone(new Set(batch.map((b) => b.plan.topic)));
    if (gone.size === 0) return false;
    // close() may have rejected and dropped everything meanwhile; only settle what is still ours.
    if (this.link.closed || this.pending[0] !== batch[0]) return true;
    const kept = batch.filter((b) => !gone.has(b.plan.topic));
    this.pending.splice(0, batch.length, ...kept);
    this.link.log.info(`no subscriber owns ${[...gone].join(', ')} (that hub is gone); ${batch.length - kept.length} message(s) for it dropped`);
    for (const b of batch) {
      if (!gone.has(b.plan.topic)) continue;
      b.reject(new SwitchboardError('unknown_receiver', `Nobody listens on ${b.plan.topic} any more (its topic is gone); the message was dropped.`));
    }
    if (this.pending.length === 0) this.link.idleWaiters.wake();
    return true;
  }

  /**
   * A producer whose id or sequence the broker refuses is replaced (resent messages may then be duplicated on the
   * wire; the receiver drops them), and so is an instance-lane producer that sent to a topic since deleted.
   */
  private async replaceProducer(lane: Lane, cause: unknown, why = 'an error it cannot recover from'): Promise<void> {
    const old = lane.producer;
    lane.producer = this.newProducer(lane.instance);
    lane.connected = false; // connected by the next send attempt
    const line = `replacing the Kafka producer${lane.instance ? ' of hub-to-hub topics' : ''} after ${why}: ${errorText(cause)}`;
    if (lane.instance && isUnknownTopic(cause)) this.link.log.info(line);
    else this.link.log.warn(line);
    await withTimeout(old.disconnect(), 5_000).catch(() => undefined);
  }

  /** Waits (up to timeoutMs) until every accepted publish is acknowledged; false when some are still waiting. */
  async flush(timeoutMs = 10_000): Promise<boolean> {
    if (this.pending.length > 0) await this.link.idleWaiters.wait(timeoutMs);
    return this.pending.length === 0;
  }

  /** The bus closed: whatever was not acknowledged is rejected. */
  rejectPending(): void {
    for (const item of this.pending.splice(0)) {
      item.reject(new SwitchboardError('shutdown', 'The Kafka bus closed before the broker acknowledged this message.'));
    }
  }

  /** Disconnects the producers (first of all: a send still retrying against an absent broker then fails at once), then waits for the pipeline to end. */
  async disconnect(): Promise<void> {
    for (const p of [this.main.producer, ...(this.instanceLane ? [this.instanceLane.producer] : [])]) {
      await withTimeout(p.disconnect(), 5_000).catch(() => undefined);
    }
  }

  async stopped(): Promise<void> {
    await this.pumping?.catch(() => undefined);
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
