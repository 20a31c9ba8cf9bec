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

export interface SubscribeOptions {
  /** Subscribers sharing a group compete for messages (each goes to one of them); without a group every subscriber gets every message. */
  group?: string;
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
}
