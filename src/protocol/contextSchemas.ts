// Seed 002 peer context on the wire: REQUEST_CONTEXT (a reconstructor asks every peer what it exchanged with a failed
// agent), PROVIDE_CONTEXT (a peer answers), RESTORE_CONTEXT (the hub hands a reconstruction to a replacement agent).

import { Type, type Static, type TSchema, type TProperties } from '@sinclair/typebox';

// Kept apart from schemas.ts (which spreads CONTEXT_MESSAGE_SCHEMAS into MESSAGE_SCHEMAS) so there is no import cycle.
const Timestamp = Type.Union([Type.String({ maxLength: 128 }), Type.Number()]);
const MessageId = Type.Union([Type.String({ minLength: 1, maxLength: 256 }), Type.Number()]);
const AgentRef = Type.String({ minLength: 1, maxLength: 256 });
const OptionalRef = Type.Optional(Type.Union([Type.String({ maxLength: 256 }), Type.Null()]));

const envelopeProps = {
  message_id: Type.Optional(MessageId),
  sender_id: OptionalRef,
  receiver_id: OptionalRef,
  send_timestamp: Type.Optional(Type.Union([Timestamp, Type.Null()])),
  timestamp: Type.Optional(Timestamp),
} satisfies TProperties;

function contextMessage<T extends string, P extends TProperties>(type: T, props: P, description: string) {
  return Type.Object(
    { message_type: Type.Literal(type), ...envelopeProps, ...props },
    { $id: type, description, additionalProperties: true },
  );
}

/** Peers may answer for many agents at once; the cap keeps one answer from flooding a reconstructor. */
export const MAX_INTERACTIONS_PER_ANSWER = 5000;

/**
 * One message a responder exchanged with the failed agent. Every field is optional because seed peers send whatever
 * their event store holds; the reconstructor normalises the common spellings (id/event_id, time/timestamp, …).
 */
export const Interaction = Type.Object(
  {
    message_id: Type.Optional(MessageId),
    direction: Type.Optional(Type.Union([Type.Literal('sent'), Type.Literal('received')])),
    timestamp: Type.Optional(Timestamp),
    message_type: Type.Optional(Type.String({ maxLength: 128 })),
    sender_id: OptionalRef,
    receiver_id: OptionalRef,
    text_payload: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    payload: Type.Optional(Type.Unknown()),
    thread_id: OptionalRef,
    in_reply_to_message_id: Type.Optional(Type.Union([MessageId, Type.Null()])),
  },
  { additionalProperties: true, description: 'A message the responder sent to or received from the failed agent.' },
);

export const RequestContext = contextMessage(
  'REQUEST_CONTEXT',
  {
    // optional only so that seed requesters (which key answers by their response topic) are still answered
    request_id: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    requester_id: AgentRef,
    failed_agent_id: AgentRef,
    thread_id: OptionalRef,
    time_window_seconds: Type.Optional(Type.Number({ minimum: 0 })),
    reply_to: Type.Optional(Type.String({ maxLength: 512 })),
  },
  'A reconstructor asks every peer for what it exchanged with failed_agent_id (in thread_id, within the window). ' +
    'On Kafka: topic agent.context.request; answers go to agent.context.response.<requester_id>.',
);

export const ProvideContext = contextMessage(
  'PROVIDE_CONTEXT',
  {
    // seed peers omit it: their answer is matched by the requester's own response topic and failed_agent_id
    request_id: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    responder_id: AgentRef,
    failed_agent_id: AgentRef,
    thread_id: OptionalRef,
    interactions: Type.Array(Interaction, { maxItems: MAX_INTERACTIONS_PER_ANSWER }),
    memory_state: Type.Optional(Type.Unknown()),
    /** Oldest interactions the peer left out to stay under the answer size cap. */
    interactions_dropped: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  "A peer's answer to REQUEST_CONTEXT: its interactions with the failed agent and what it remembers of it.",
);

export const TimelineEntry = Type.Object(
  {
    message_id: Type.String(),
    time: Type.Union([Type.String(), Type.Null()]),
    message_type: Type.String(),
    sender_id: Type.Union([Type.String(), Type.Null()]),
    receiver_id: Type.Union([Type.String(), Type.Null()]),
    text_payload: Type.Union([Type.String(), Type.Null()]),
    payload: Type.Optional(Type.Unknown()),
    thread_id: Type.Union([Type.String(), Type.Null()]),
    in_reply_to_message_id: Type.Union([Type.String(), Type.Null()]),
    sources: Type.Array(Type.String(), { description: '"hub" and/or the responder ids that reported it' }),
  },
  { additionalProperties: true },
);

export const RejectedAnswer = Type.Object(
  { responder_id: Type.Union([Type.String(), Type.Null()]), reason: Type.String(), bytes: Type.Optional(Type.Number()) },
  { additionalProperties: true },
);

export const Reconstruction = Type.Object(
  {
    request_id: Type.String(),
    failed_agent_id: Type.String(),
    thread_id: Type.Union([Type.String(), Type.Null()]),
    transport: Type.String(),
    started_at: Type.String(),
    duration_ms: Type.Number(),
    finished: Type.Union([Type.Literal('all_answered'), Type.Literal('timeout'), Type.Literal('no_peers'), Type.Literal('cancelled')]),
    timeout_ms: Type.Number(),
    peer_agents_queried: Type.Array(Type.String()),
    peers_answered: Type.Array(Type.String()),
    peers_silent: Type.Array(Type.String()),
    /** A second answer from a peer that had already answered. */
    duplicate_answers: Type.Number(),
    rejected_answers: Type.Array(RejectedAnswer),
    timeline: Type.Array(TimelineEntry),
    last_status: Type.Union([Type.String(), Type.Null()]),
    last_seen: Type.Union([Type.String(), Type.Null()]),
    unanswered_messages: Type.Array(TimelineEntry),
    undelivered_messages: Type.Array(TimelineEntry),
    memory_states: Type.Record(Type.String(), Type.Unknown()),
    /** Oldest timeline entries left out to stay under the timeline bound. */
    timeline_dropped: Type.Number(),
  },
  { additionalProperties: true, description: "What a failed agent's peers and the hub's event log say it was doing." },
);

export const RestoreContext = contextMessage(
  'RESTORE_CONTEXT',
  {
    failed_agent_id: Type.Optional(AgentRef),
    reconstruction: Reconstruction,
  },
  'Hub → a replacement agent: the reconstruction of the agent it replaces (after REGISTER_AGENT {restore_from}, or ' +
    'handed over by a person).',
);

export const RequestContextAck = contextMessage(
  'REQUEST_CONTEXT_ACK',
  {
    request_id: Type.String({ minLength: 1, maxLength: 256 }),
    failed_agent_id: Type.Optional(AgentRef),
    peer_agents_queried: Type.Array(Type.String(), { maxItems: 100000 }),
  },
  'Hub → a client that sent REQUEST_CONTEXT: the agents it was relayed to, so the requester can stop waiting once ' +
    'all of them answered.',
);

/** Spread into MESSAGE_SCHEMAS (schemas.ts) so the codec validates them and the JSON Schema build includes them. */
export const CONTEXT_MESSAGE_SCHEMAS = {
  REQUEST_CONTEXT: RequestContext,
  PROVIDE_CONTEXT: ProvideContext,
  RESTORE_CONTEXT: RestoreContext,
  REQUEST_CONTEXT_ACK: RequestContextAck,
} as const satisfies Record<string, TSchema>;

export type InteractionT = Static<typeof Interaction>;
export type RequestContextMsg = Static<typeof RequestContext>;
export type ProvideContextMsg = Static<typeof ProvideContext>;
export type RestoreContextMsg = Static<typeof RestoreContext>;
export type TimelineEntryT = Static<typeof TimelineEntry>;
export type RejectedAnswerT = Static<typeof RejectedAnswer>;
export type ReconstructionT = Static<typeof Reconstruction>;
