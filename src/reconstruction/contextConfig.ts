// Settings of peer-context reconstruction and their defaults in one place, with the seed 002 environment variables
// (KAFKA_BOOTSTRAP_SERVERS, KAFKA_CONTEXT_REQUEST_TOPIC, KAFKA_CONTEXT_RESPONSE_TOPIC_PREFIX,
// KAFKA_CONSUMER_GROUP_PREFIX, PEER_CONTEXT_ENABLED, PEER_CONTEXT_TIMEOUT_SECONDS) mapped onto them. The Kafka names
// are read by the bus's kafkaConfig.ts, so the bus and reconstruction never disagree about them.

import { kafkaNamesFromEnv } from '../bus/kafkaConfig';

export interface ContextSettings {
  /** PEER_CONTEXT_ENABLED: when false the reconstructor asks no peers and merges the hub's log only. */
  peerContextEnabled: boolean;
  /** PEER_CONTEXT_TIMEOUT_SECONDS × 1000: how long answers are collected at most. */
  timeoutMs: number;
  /** Window of history asked for when the caller names none (seconds). */
  windowSeconds: number;
  /** One answer larger than this (bytes of JSON) is rejected. */
  maxAnswerBytes: number;
  /** Answers kept per request. */
  maxAnswers: number;
  /** Timeline entries kept (newest). */
  maxTimelineEntries: number;
  /** Hub event-log entries read per reconstruction. */
  maxLogEntries: number;
  kafka: {
    brokers: string[];
    requestTopic: string;
    responseTopicPrefix: string;
    groupPrefix: string;
  };
  rabbitmq: {
    url: string;
    /** Fanout exchange for requests; reply queues are `<responseQueuePrefix>.<requester_id>`. */
    requestExchange: string;
    responseQueuePrefix: string;
  };
}

export const DEFAULT_CONTEXT_SETTINGS: Readonly<ContextSettings> = Object.freeze({
  peerContextEnabled: true,
  timeoutMs: 5000,
  windowSeconds: 3600,
  maxAnswerBytes: 512 * 1024,
  maxAnswers: 1000,
  maxTimelineEntries: 5000,
  maxLogEntries: 10_000,
  kafka: Object.freeze({
    brokers: ['localhost:9092'],
    requestTopic: 'agent.context.request',
    responseTopicPrefix: 'agent.context.response',
    groupPrefix: 'paas-agent',
  }),
  rabbitmq: Object.freeze({
    url: 'amqp://guest:guest@127.0.0.1:5672',
    requestExchange: 'agent.context.request',
    responseQueuePrefix: 'agent.context.response',
  }),
});

function bool(v: string | undefined): boolean | undefined {
  if (v === undefined || v.trim() === '') return undefined;
  return !['false', '0', 'no', 'off'].includes(v.trim().toLowerCase());
}

function positive(v: string | undefined): number | undefined {
  const n = v === undefined ? NaN : Number(v);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/** Defaults ← environment ← explicit overrides. SWITCHBOARD_KAFKA_BROKERS (first) / SWITCHBOARD_RABBITMQ_URL count too. */
export function resolveContextSettings(
  overrides: Partial<Omit<ContextSettings, 'kafka' | 'rabbitmq'>> & {
    kafka?: Partial<ContextSettings['kafka']>;
    rabbitmq?: Partial<ContextSettings['rabbitmq']>;
  } = {},
  env: NodeJS.ProcessEnv = process.env,
): ContextSettings {
  const d = DEFAULT_CONTEXT_SETTINGS;
  const timeoutSeconds = positive(env.PEER_CONTEXT_TIMEOUT_SECONDS);
  const names = kafkaNamesFromEnv(env);
  const base: ContextSettings = {
    ...d,
    peerContextEnabled: bool(env.PEER_CONTEXT_ENABLED) ?? d.peerContextEnabled,
    timeoutMs: timeoutSeconds !== undefined ? Math.round(timeoutSeconds * 1000) : d.timeoutMs,
    kafka: {
      brokers: names.brokers,
      requestTopic: names.contextRequestTopic,
      responseTopicPrefix: names.contextResponseTopicPrefix,
      groupPrefix: names.consumerGroupPrefix,
    },
    rabbitmq: { ...d.rabbitmq, url: env.SWITCHBOARD_RABBITMQ_URL?.trim() || d.rabbitmq.url },
  };
  const { kafka, rabbitmq, ...rest } = overrides;
  for (const [k, v] of Object.entries(rest)) if (v !== undefined) (base as unknown as Record<string, unknown>)[k] = v;
  if (kafka) base.kafka = { ...base.kafka, ...definedOnly(kafka) };
  if (rabbitmq) base.rabbitmq = { ...base.rabbitmq, ...definedOnly(rabbitmq) };
  return base;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** `agent.context.response.<requester_id>` (the seed's per-requester response topic). */
export function responseTopic(prefix: string, requesterId: string): string {
  return `${prefix}.${requesterId}`;
}

/** Kafka topic names allow [A-Za-z0-9._-]; anything else in an id becomes `_`. */
export function safeName(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 200);
}
