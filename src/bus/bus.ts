// The one transport interface. The hub publishes and subscribes on channels; memory, RabbitMQ and Kafka carry them.
// Nothing above bus/ knows which implementation is live.

import type { Envelope } from '../protocol/schemas';

export type BusKind = 'memory' | 'rabbitmq' | 'kafka';
export type BusState = 'connecting' | 'up' | 'down';

export interface BusStatus {
  kind: BusKind;
  state: BusState;
  /** Where it connects, never with credentials. */
  url: string;
  lastError?: string;
  reconnectAttempt: number;
  published: number;
  received: number;
}

export type Unsubscribe = () => Promise<void>;
export type BusHandler = (message: Envelope) => void | Promise<void>;

/** A body a bus dropped: what a subscriber learns of it (the codec's words: invalid_json, or JSON that is no message). */
export interface UndecodableInfo {
  channel: string;
  bytes: number;
  /** The first 200 characters. */
  preview: string;
  /** 'invalid_json': not JSON at all; 'not_a_message': JSON, but not an object with a string message_type. */
  reason: 'invalid_json' | 'not_a_message';
}

export interface SubscribeOptions {
  /**
   * Subscribers sharing a group compete for messages (each goes to one of them); without a group every subscriber
   * gets every message. On a Kafka context channel the group is a consumer group of exactly this name.
   */
  group?: string;
  /**
   * The named group is this subscriber's alone (a hub's peer id is new on every start): delete what the broker keeps
   * for it (a Kafka consumer group and its offsets) when the subscription ends, as a group of the bus's own is.
   */
  transientGroup?: boolean;
  /**
   * Told about a message on this channel that is not a JSON object with a string `message_type` (the bus drops it and
   * logs it either way): for callers that count or report what peers sent wrong. `preview` is its first 200 bytes.
   */
  onUndecodable?: (info: UndecodableInfo) => void;
}

/**
 * Point-to-point channels: `queue:<name>` addresses one durable queue of exactly that name (on RabbitMQ the default
 * exchange with routing key = queue name, as seed 001 does). Its subscribers always compete for messages, and
 * messages wait in the queue while nobody consumes. Every other channel is a publish/subscribe channel.
 */
export const QUEUE_CHANNEL_PREFIX = 'queue:';

export function queueChannel(queueName: string): string {
  return QUEUE_CHANNEL_PREFIX + queueName;
}

export function isQueueChannel(channel: string): boolean {
  return channel.startsWith(QUEUE_CHANNEL_PREFIX);
}

/**
 * Seed 002 (peer context) channels under the seed's exact broker names; build them with contextChannels.ts, which
 * says how each bus carries them. The part after the prefix is the exact topic / exchange / queue name.
 */
export const CONTEXT_REQUEST_PREFIX = 'context-request:';
export const CONTEXT_RESPONSE_PREFIX = 'context-response:';

export interface ContextChannel {
  role: 'request' | 'response';
  /** The exact broker name: Kafka topic; RabbitMQ fanout exchange (request) or queue (response). */
  name: string;
}

/** What a context channel carries, or undefined for any other channel. */
export function parseContextChannel(channel: string): ContextChannel | undefined {
  if (channel.startsWith(CONTEXT_REQUEST_PREFIX)) return { role: 'request', name: channel.slice(CONTEXT_REQUEST_PREFIX.length) };
  if (channel.startsWith(CONTEXT_RESPONSE_PREFIX)) return { role: 'response', name: channel.slice(CONTEXT_RESPONSE_PREFIX.length) };
  return undefined;
}

/**
 * What a bus can do, so that code above bus/ chooses by ability, never by kind or URL.
 */
export interface BusCapabilities {
  /** Other hubs (on this or other machines) may share this bus: presence and hub-to-hub forwarding make sense. */
  readonly shared: boolean;
  /**
   * `queue:` channels are durable broker queues under their exact names that keep messages while nobody consumes:
   * the seed 001 topology (`broker_input_queue`, `agent_queue_<id>`) can be served on it.
   */
  readonly durableQueues: boolean;
}

export interface Bus {
  readonly kind: BusKind;
  readonly capabilities: BusCapabilities;
  readonly state: BusState;
  status(): BusStatus;
  /** Resolves once the bus has accepted the message (a broker confirm for RabbitMQ, an ack for Kafka). */
  publish(channel: string, message: Envelope): Promise<void>;
  /**
   * Handlers are called in delivery order, one call per message. A bus need not wait for an async handler's promise
   * before calling it with the next message (RabbitMQ runs up to `prefetch` at once; the message is acknowledged
   * when its own promise settles): what must happen in order belongs before the handler's first `await`.
   */
  subscribe(channel: string, handler: BusHandler, opts?: SubscribeOptions): Promise<Unsubscribe>;
  /** Called on every state change; returns a function that removes the listener. */
  onStatus(listener: (status: BusStatus) => void): () => void;
  close(): Promise<void>;
  /** Optional (queue-based buses): declare these `queue:` channels now and again after every reconnect. */
  declareQueues?(queueNames: string[]): Promise<void>;
  /** Optional (queue-based buses): delete queues (tests, reset); resolves with how many messages they held. */
  deleteQueues?(queueNames: string[]): Promise<number>;
  /** Optional (queue-based buses): drop every message waiting in a queue; resolves with how many. */
  purgeQueue?(queueName: string): Promise<number>;
  /**
   * Optional: ends this bus's subscriptions to the channel, then deletes what carries it on the broker (Kafka: its
   * topic; RabbitMQ: the queue of a `queue:` or context response channel, the fanout exchange of a context request
   * channel). For a channel that belongs to one owner, such as a requester's context response channel, when that
   * owner closes. Skipped when the broker is away; never throws for a channel already gone.
   */
  releaseChannel?(channel: string): Promise<void>;
}
