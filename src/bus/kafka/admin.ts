// Topics of the Kafka bus: which topic a channel is carried on (kafkaConfig.ts's plan, remembered), creating topics
// before use (compacted presence, one partition for seed 002), finding out which instance topics still exist, and
// deleting topics that belonged to one owner when it leaves.

import type { Admin } from 'kafkajs';
import type { Logger } from '../../protocol/logger';
import { withTimeout } from '../busSupport';
import { planTopic, type KafkaNames, type TopicPlan } from '../kafkaConfig';
import { errorText, isUnknownTopic } from './kafkaErrors';

const PRESENCE_SEGMENT_MS = '600000';
/** How long deleting a topic may take (the broker's own timeout; our wait is a second longer). */
export const TOPIC_DELETE_MS = 5_000;
const MAX_PLANS = 10_000;

export interface KafkaTopicsOptions {
  topicPrefix: string;
  names: KafkaNames;
  /** Partitions of a new chat/event/queue topic (presence and seed 002 topics have 1). */
  partitions: number;
  replicationFactor: number;
}

export class KafkaTopics {
  /** Topics known to exist (made or seen by this bus). */
  readonly ensured = new Set<string>();
  private readonly plans = new Map<string, TopicPlan>();
  private readonly creating = new Map<string, Promise<void>>();

  constructor(
    private readonly admin: Admin,
    private readonly log: Logger,
    private readonly opts: KafkaTopicsOptions,
  ) {}

  /** planTopic, remembered per channel (a publish should not rebuild and re-sanitise the name every time); bounded. */
  planFor(channel: string): TopicPlan {
    let plan = this.plans.get(channel);
    if (!plan) {
      plan = planTopic(channel, this.opts.topicPrefix, this.opts.names);
      if (this.plans.size >= MAX_PLANS) this.plans.clear();
      this.plans.set(channel, plan);
    }
    return plan;
  }

  async ensure(plans: TopicPlan[]): Promise<void> {
    for (const plan of plans) {
      if (this.ensured.has(plan.topic)) continue;
      let p = this.creating.get(plan.topic);
      if (!p) {
        p = this.create(plan).finally(() => this.creating.delete(plan.topic));
        this.creating.set(plan.topic, p);
      }
      await p;
    }
  }

  private async create(plan: TopicPlan): Promise<void> {
    const configEntries =
      plan.kind === 'presence'
        ? [
            { name: 'cleanup.policy', value: 'compact' },
            // Compaction never touches the active segment: roll it so old presence is actually cleaned.
            { name: 'segment.ms', value: PRESENCE_SEGMENT_MS },
            { name: 'min.cleanable.dirty.ratio', value: '0.1' },
          ]
        : [];
    const numPartitions = plan.kind === 'presence' || plan.kind === 'context' ? 1 : this.opts.partitions;
    await this.admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: plan.topic, numPartitions, replicationFactor: this.opts.replicationFactor, configEntries }],
    });
    // false (already there) is as good as created.
    this.ensured.add(plan.topic);
  }

  /**
   * Which of these topics not yet known to exist are gone (listTopics: asking for a topic by name would make the admin
   * client track it, and fail, once it is deleted); the others are remembered as existing.
   */
  async gone(topics: Iterable<string>): Promise<Set<string>> {
    const unknown = [...topics].filter((t) => !this.ensured.has(t));
    const gone = new Set<string>();
    if (unknown.length === 0) return gone;
    const existing = new Set(await this.admin.listTopics());
    for (const t of unknown) {
      if (existing.has(t)) this.ensured.add(t);
      else gone.add(t);
    }
    return gone;
  }

  /**
   * Deletes topics (forgotten as ensured at once). Skipped when the broker is away (a stop must not wait for it); at
   * most TOPIC_DELETE_MS + 1 s otherwise; a failure is logged, never thrown, and a topic already gone is no failure.
   */
  async release(topics: string[], up: boolean): Promise<void> {
    if (topics.length === 0) return;
    for (const t of topics) this.ensured.delete(t);
    if (!up) {
      this.log.info(`topic ${topics.join(', ')} left in place: the broker is unreachable`);
      return;
    }
    try {
      await withTimeout(this.admin.deleteTopics({ topics, timeout: TOPIC_DELETE_MS }), TOPIC_DELETE_MS + 1_000);
      this.log.debug(`deleted topic ${topics.join(', ')}`);
    } catch (err) {
      if (!isUnknownTopic(err)) this.log.warn(`could not delete topic ${topics.join(', ')}: ${errorText(err)}`);
    }
  }

  /** Deletes topics and lets errors through (test cleanup). */
  async delete(topics: string[]): Promise<void> {
    for (const t of topics) this.ensured.delete(t);
    if (topics.length > 0) await this.admin.deleteTopics({ topics, timeout: 10_000 });
  }
}
