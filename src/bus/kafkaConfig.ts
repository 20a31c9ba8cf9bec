// Kafka names and settings in one place: the seed 002 topic and group names with their environment variables, the
// bootstrap list, and how a bus channel becomes a topic (and which topics are compacted).
//
// Channel → topic (KafkaBus):
//   `queue:<name>`                      → `<topicPrefix>queue.<name>`   point-to-point: one consumer group, competing
//   `context-request:<name>`,           → `<name>` verbatim, 1 partition (seed 002, see contextChannels.ts): a group
//   `context-response:<name>`              given to subscribe() is a consumer group of exactly that name
//   `agent.context.request`,            → verbatim too (the seed names from the environment as bare channels, kept
//   `agent.context.response.<id>`          for callers that use them so)
//   a presence channel (`presence`,     → `<topicPrefix><channel>`, cleanup.policy=compact, 1 partition, keyed by
//   `presence.<ns>`, `<x>.presence`)       agent (agent_id, else sender_id): the latest state per key survives
//   a hub's own channel                 → `<topicPrefix><channel>`, 3 partitions like a stream, but owned by one bus
//   (`[<prefix>]hubs.direct.<hubId>`)      instance: only its subscriber creates the topic and deletes it when the
//                                          subscription ends; a publisher never creates it (see isInstanceChannel)
//   anything else (`chat.<ns>`,         → `<topicPrefix><channel>`, 3 partitions, keyed by sender_id so each sender's
//   `events.<ns>`, `agent.events`, …)      messages stay in order
// topicPrefix defaults to `switchboard.`. Characters Kafka refuses (anything but A-Z a-z 0-9 . _ -) become `_`.

import { ENV_VARS, readEnv } from '../protocol/envOptions';
import { parseContextChannel } from './bus';

/** Seed 002 defaults (the seed's kafka_config): what a seed agent expects when no variable is set. */
export const DEFAULT_KAFKA_BOOTSTRAP_SERVERS = ENV_VARS.kafkaBootstrapServers.default[0]!;
export const DEFAULT_CONTEXT_REQUEST_TOPIC = ENV_VARS.kafkaContextRequestTopic.default;
export const DEFAULT_CONTEXT_RESPONSE_TOPIC_PREFIX = ENV_VARS.kafkaContextResponseTopicPrefix.default;
export const DEFAULT_CONSUMER_GROUP_PREFIX = ENV_VARS.kafkaConsumerGroupPrefix.default;
/** Where tools/kafka/kafka.sh runs the project's own test broker. */
export const SWITCHBOARD_TEST_KAFKA = '127.0.0.1:19092';
export const DEFAULT_TOPIC_PREFIX = 'switchboard.';

export interface KafkaNames {
  /** KAFKA_BOOTSTRAP_SERVERS (or SWITCHBOARD_KAFKA_BROKERS), comma-separated host:port. */
  brokers: string[];
  /** KAFKA_CONTEXT_REQUEST_TOPIC */
  contextRequestTopic: string;
  /** KAFKA_CONTEXT_RESPONSE_TOPIC_PREFIX; a requester's answers go to `<prefix>.<requester_id>`. */
  contextResponseTopicPrefix: string;
  /** KAFKA_CONSUMER_GROUP_PREFIX; a peer's group is `<prefix>-<agent_id>`. */
  consumerGroupPrefix: string;
}

/**
 * The bootstrap list: SWITCHBOARD_KAFKA_BROKERS (ours, what CI exports) wins over the seed's KAFKA_BOOTSTRAP_SERVERS,
 * then the seed default `localhost:9092`.
 */
export function kafkaBrokersFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  const v = readEnv(env, ['kafkaBrokers', 'kafkaBootstrapServers']);
  if (v.kafkaBrokers?.length) return v.kafkaBrokers;
  if (v.kafkaBootstrapServers?.length) return v.kafkaBootstrapServers;
  return [DEFAULT_KAFKA_BOOTSTRAP_SERVERS];
}

/** Seed 002's settings from the environment, with the seed's defaults. */
export function kafkaNamesFromEnv(env: NodeJS.ProcessEnv = process.env): KafkaNames {
  const v = readEnv(env, ['kafkaContextRequestTopic', 'kafkaContextResponseTopicPrefix', 'kafkaConsumerGroupPrefix']);
  return {
    brokers: kafkaBrokersFromEnv(env),
    contextRequestTopic: v.kafkaContextRequestTopic?.trim() || DEFAULT_CONTEXT_REQUEST_TOPIC,
    contextResponseTopicPrefix: v.kafkaContextResponseTopicPrefix?.trim() || DEFAULT_CONTEXT_RESPONSE_TOPIC_PREFIX,
    consumerGroupPrefix: v.kafkaConsumerGroupPrefix?.trim() || DEFAULT_CONSUMER_GROUP_PREFIX,
  };
}

/** Kafka topic and group names allow [A-Za-z0-9._-] and at most 249 characters; anything else becomes `_`. */
export function kafkaSafeName(name: string, max = 249): string {
  const s = name.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, max);
  return s === '' || s === '.' || s === '..' ? `_${s}` : s;
}

/** `agent.context.request` (or KAFKA_CONTEXT_REQUEST_TOPIC). */
export function contextRequestTopic(names: KafkaNames = kafkaNamesFromEnv()): string {
  return names.contextRequestTopic;
}

/** `agent.context.response.<requester_id>` (prefix from KAFKA_CONTEXT_RESPONSE_TOPIC_PREFIX). */
export function contextResponseTopic(requesterId: string, names: KafkaNames = kafkaNamesFromEnv()): string {
  return kafkaSafeName(`${names.contextResponseTopicPrefix}.${requesterId}`);
}

/** `<KAFKA_CONSUMER_GROUP_PREFIX>-<member>`: the seed gives every peer its own group so each sees every request. */
export function consumerGroupId(member: string, names: KafkaNames = kafkaNamesFromEnv()): string {
  return kafkaSafeName(`${names.consumerGroupPrefix}-${member}`);
}

/** True for the seed 002 topics, which the bus maps verbatim (no prefix) so seed agents share them. */
export function isContextTopic(channel: string, names: KafkaNames = kafkaNamesFromEnv()): boolean {
  return channel === names.contextRequestTopic || channel.startsWith(`${names.contextResponseTopicPrefix}.`);
}

/** Presence channels live on compacted topics: `presence`, `presence.<ns>`, `<anything>.presence`. */
export function isPresenceChannel(channel: string): boolean {
  return channel === 'presence' || channel.startsWith('presence.') || channel.endsWith('.presence');
}

/** What names a hub's own channel: `hubs.direct.<hubId>`, after any prefix (the bus bridge's naming). */
export const INSTANCE_CHANNEL_MARK = 'hubs.direct.';

/**
 * A channel one hub instance alone consumes (its `hubs.direct.<hubId>`, ids new on every start): on Kafka its topic
 * lives only as long as that consumer. The subscriber (a group of its own) creates it and deletes it when it leaves;
 * a publisher never creates it, so a message for a hub that is gone is refused rather than left in a new topic.
 */
export function isInstanceChannel(channel: string): boolean {
  const at = channel.lastIndexOf(INSTANCE_CHANNEL_MARK);
  return at >= 0 && at + INSTANCE_CHANNEL_MARK.length < channel.length && !channel.startsWith('queue:');
}

export type TopicKind = 'queue' | 'context' | 'presence' | 'instance' | 'stream';

export interface TopicPlan {
  topic: string;
  kind: TopicKind;
  /** New groups start at the earliest offset (queues wait for their consumer; presence replays the latest state). */
  fromBeginning: boolean;
}

/** How KafkaBus maps a channel (see the table at the top of this file). */
export function planTopic(channel: string, topicPrefix: string, names: KafkaNames): TopicPlan {
  const context = parseContextChannel(channel);
  if (context) return { topic: kafkaSafeName(context.name), kind: 'context', fromBeginning: false };
  if (channel.startsWith('queue:')) {
    return { topic: kafkaSafeName(`${topicPrefix}queue.${channel.slice('queue:'.length)}`), kind: 'queue', fromBeginning: true };
  }
  if (isContextTopic(channel, names)) return { topic: kafkaSafeName(channel), kind: 'context', fromBeginning: false };
  if (isPresenceChannel(channel)) return { topic: kafkaSafeName(topicPrefix + channel), kind: 'presence', fromBeginning: true };
  if (isInstanceChannel(channel)) return { topic: kafkaSafeName(topicPrefix + channel), kind: 'instance', fromBeginning: false };
  return { topic: kafkaSafeName(topicPrefix + channel), kind: 'stream', fromBeginning: false };
}
