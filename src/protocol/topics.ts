// Seed 004 topic messaging on the wire: SUBSCRIBE / UNSUBSCRIBE a topic, PUBLISH to one or more topics, TOPIC_MESSAGE
// (a stored message delivered to a subscriber), HISTORY / GET_MESSAGES and their HISTORY_RESPONSE. Ids are the
// GemstoneID-like decimal strings of ids.ts. Kept apart from schemas.ts (which spreads TOPIC_MESSAGE_SCHEMAS into
// MESSAGE_SCHEMAS), as contextSchemas.ts is, so there is no import cycle.

import { Type, type Static, type TSchema, type TProperties } from '@sinclair/typebox';

/**
 * Topic and namespace names: letters, digits, `_` and `-`. A RabbitMQ binding key widens on `#`, `*` and `.`, Kafka
 * folds other characters into `_`, and `:` joins namespace and topic in the stores: none of them may appear.
 */
export const TOPIC_NAME_PATTERN = '^[A-Za-z0-9_-]{1,128}$';
const TOPIC_NAME_RE = new RegExp(TOPIC_NAME_PATTERN);
export const DEFAULT_TOPIC_NAMESPACE = 'default';
/** A PUBLISH payload (its JSON) larger than this gets ERROR frame_too_large. */
export const TOPIC_MAX_PAYLOAD_BYTES = 256 * 1024;
/** HISTORY returns at most this many messages per response. */
export const TOPIC_HISTORY_MAX = 1000;
export const TOPIC_HISTORY_DEFAULT = 100;
/** enrich_with_history asks for at most this many of the thread's messages. */
export const TOPIC_ENRICH_MAX = 100;

export function isTopicName(v: unknown): v is string {
  return typeof v === 'string' && TOPIC_NAME_RE.test(v);
}

const Timestamp = Type.Union([Type.String({ maxLength: 128 }), Type.Number()]);
const OptionalRef = Type.Optional(Type.Union([Type.String({ maxLength: 256 }), Type.Null()]));
/** A topic name as the codec sees it; the family checks the character set to answer with a precise ERROR. */
const TopicName = Type.String({ minLength: 1, maxLength: 256 });
/**
 * A topic message id: a decimal string. A number is let through the schema only so the family can say precisely what
 * is wrong with it (above 2^53 a JSON number has lost digits).
 */
const TopicIdIn = Type.Union([Type.String({ minLength: 1, maxLength: 32 }), Type.Number()]);
const TopicIdOut = Type.String({ pattern: '^[0-9]{1,20}$' });
const AgentTag = Type.Object(
  { id: Type.Optional(Type.String({ maxLength: 256 })), name: Type.Optional(Type.String({ maxLength: 256 })) },
  { additionalProperties: true },
);
const Json = Type.Record(Type.String(), Type.Unknown());

const envelopeProps = {
  message_id: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 256 }), Type.Number()])),
  sender_id: OptionalRef,
  receiver_id: OptionalRef,
  send_timestamp: Type.Optional(Type.Union([Timestamp, Type.Null()])),
} satisfies TProperties;

function topicMessage<T extends string, P extends TProperties>(type: T, props: P, description: string) {
  return Type.Object(
    { message_type: Type.Literal(type), ...envelopeProps, ...props },
    { $id: type, description, additionalProperties: true },
  );
}

/** The seed's optional message fields, the same on PUBLISH (input) and on a stored message (output). */
const messageFields = {
  format: Type.Optional(Type.String({ maxLength: 256 })),
  priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 9 })),
  in_response_to: Type.Optional(Type.Union([TopicIdIn, Type.Null()])),
  conversation_id: Type.Optional(Type.Union([TopicIdIn, Type.Null()])),
  recipient_list: Type.Optional(Type.Array(AgentTag, { maxItems: 1000 })),
  forward_header: Type.Optional(Type.Union([Json, Type.Null()])),
  routing_slip: Type.Optional(Type.Union([Json, Type.Null()])),
  message_history: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 1000 })),
  /** Seconds the message lives; expired messages are neither delivered nor returned. */
  ttl: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 365 * 86_400 }), Type.Null()])),
  is_error_message: Type.Optional(Type.Boolean()),
  traceparent: Type.Optional(Type.Union([Type.String({ maxLength: 512 }), Type.Null()])),
  session_state: Type.Optional(Type.Union([Json, Type.Null()])),
  enrich_with_history: Type.Optional(Type.Integer({ minimum: 0, maximum: TOPIC_ENRICH_MAX })),
} satisfies TProperties;

export const Subscribe = topicMessage('SUBSCRIBE', { topic: TopicName }, 'Receive every TOPIC_MESSAGE published to this topic of the client\'s namespace.');
export const Unsubscribe = topicMessage('UNSUBSCRIBE', { topic: TopicName }, 'Stop receiving a topic.');
export const Publish = topicMessage(
  'PUBLISH',
  {
    topics: Type.Union([TopicName, Type.Array(TopicName, { minItems: 1, maxItems: 64 })]),
    payload: Json,
    thread: Type.Optional(Type.Array(TopicIdIn, { maxItems: 1000 })),
    ...messageFields,
  },
  'Publish a message to one topic (a string) or several (a list) of the client\'s namespace. The hub sets id, ' +
    'priority, timestamp and sender (from the connection, never from the frame).',
);

/** A stored message as the hub hands it out (TOPIC_MESSAGE body, HISTORY_RESPONSE entries). */
export const StoredTopicMessage = Type.Object(
  {
    ...messageFields,
    id: TopicIdOut,
    namespace: Type.String({ maxLength: 128 }),
    sender: AgentTag,
    topics: Type.Union([Type.String(), Type.Array(Type.String())]),
    topic_published_to: Type.String(),
    payload: Json,
    format: Type.String(),
    priority: Type.Integer({ minimum: 0, maximum: 9 }),
    /** Epoch seconds (the seed's float), decoded from the id. */
    timestamp: Type.Number(),
    thread: Type.Array(TopicIdOut),
  },
  { additionalProperties: true },
);

export const TopicMessage = topicMessage(
  'TOPIC_MESSAGE',
  { message: StoredTopicMessage, origin_hub: Type.Optional(Type.String({ maxLength: 256 })) },
  'Hub → subscriber (and hub → hub on the bus): a message published to a topic it subscribes to. message_id is the message\'s id.',
);
export const History = topicMessage(
  'HISTORY',
  {
    topic: Type.Optional(TopicName),
    /** true: every topic the client subscribes to. */
    client: Type.Optional(Type.Boolean()),
    since_id: Type.Optional(TopicIdIn),
    /** Exclusive: only messages before this id — page a topic backwards ("load older"). */
    before_id: Type.Optional(TopicIdIn),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: TOPIC_HISTORY_MAX })),
    request_id: Type.Optional(Type.String({ maxLength: 256 })),
  },
  'Stored messages of a topic (or of every subscribed topic with client: true), oldest first, after since_id ' +
    '(exclusive); without since_id the latest `limit`.',
);
export const GetMessages = topicMessage(
  'GET_MESSAGES',
  { ids: Type.Array(TopicIdIn, { minItems: 1, maxItems: TOPIC_HISTORY_MAX }), request_id: Type.Optional(Type.String({ maxLength: 256 })) },
  'Stored messages of the client\'s namespace by id (expired and unknown ids are left out).',
);
export const HistoryResponse = topicMessage(
  'HISTORY_RESPONSE',
  {
    topic: Type.Optional(Type.String()),
    messages: Type.Array(StoredTopicMessage, { maxItems: 100_000 }),
    request_id: Type.Optional(Type.String({ maxLength: 256 })),
  },
  'Hub → client: the answer to HISTORY or GET_MESSAGES, oldest first.',
);

/** One topic as TOPICS_RESPONSE lists it (what the Topics view shows). */
export const TopicSummary = Type.Object(
  {
    namespace: Type.String({ maxLength: 128 }),
    topic: Type.String({ maxLength: 128 }),
    /** Stored messages (unexpired as far as the store knows). */
    count: Type.Integer({ minimum: 0 }),
    /** Messages published on the answering hub in the last minute. */
    rate: Type.Integer({ minimum: 0 }),
    /** Clients subscribed on the answering hub. */
    subscribers: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: true },
);
export const Topics = topicMessage(
  'TOPICS',
  { namespace: Type.Optional(TopicName), request_id: Type.Optional(Type.String({ maxLength: 256 })) },
  'The topics the client may see, with count, rate and subscribers: a monitor every namespace (or the one named), ' +
    'anyone else its own namespace.',
);
export const TopicsResponse = topicMessage(
  'TOPICS_RESPONSE',
  { topics: Type.Array(TopicSummary, { maxItems: 100_000 }), request_id: Type.Optional(Type.String({ maxLength: 256 })) },
  'Hub → client: the answer to TOPICS.',
);

/** Spread into MESSAGE_SCHEMAS (schemas.ts) so the codec validates them and the JSON Schema build includes them. */
export const TOPIC_MESSAGE_SCHEMAS = {
  SUBSCRIBE: Subscribe,
  UNSUBSCRIBE: Unsubscribe,
  PUBLISH: Publish,
  TOPIC_MESSAGE: TopicMessage,
  HISTORY: History,
  GET_MESSAGES: GetMessages,
  HISTORY_RESPONSE: HistoryResponse,
  TOPICS: Topics,
  TOPICS_RESPONSE: TopicsResponse,
} as const satisfies Record<string, TSchema>;

export const TopicMessageType = {
  SUBSCRIBE: 'SUBSCRIBE',
  UNSUBSCRIBE: 'UNSUBSCRIBE',
  PUBLISH: 'PUBLISH',
  TOPIC_MESSAGE: 'TOPIC_MESSAGE',
  HISTORY: 'HISTORY',
  GET_MESSAGES: 'GET_MESSAGES',
  HISTORY_RESPONSE: 'HISTORY_RESPONSE',
  TOPICS: 'TOPICS',
  TOPICS_RESPONSE: 'TOPICS_RESPONSE',
} as const;

export type PublishMsg = Static<typeof Publish>;
export type HistoryMsg = Static<typeof History>;
export type GetMessagesMsg = Static<typeof GetMessages>;
export type StoredTopicMessageT = Static<typeof StoredTopicMessage>;
export type TopicMessageMsg = Static<typeof TopicMessage>;
export type HistoryResponseMsg = Static<typeof HistoryResponse>;
export type TopicSummaryT = Static<typeof TopicSummary>;
