// The wire protocol as TypeBox schemas: one source for the TypeScript types, the runtime validators (codec.ts)
// and the committed JSON Schema (schema/switchboard-protocol.schema.json). Unknown fields always pass through.

import { Type, type Static, type TSchema, type TProperties } from '@sinclair/typebox';
import { MessageType } from './messageTypes';
import { CONTEXT_MESSAGE_SCHEMAS } from './contextSchemas';
import { AGENT_STREAM_MESSAGE_SCHEMAS } from './agentStreams';
import { TOPIC_MESSAGE_SCHEMAS } from './topics';
import { DEBUGGER_MESSAGE_SCHEMAS } from './debugger';

const Id = Type.String({ minLength: 1, maxLength: 256 });
/** Seed clients send ISO strings, browser locale strings or epoch numbers: opaque to us. */
const Timestamp = Type.Union([Type.String({ maxLength: 128 }), Type.Number()]);
const MessageId = Type.Union([Type.String({ minLength: 1, maxLength: 256 }), Type.Number()]);
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

/** The seed 001 envelope: every field optional on input, so older clients that omit them still pass. */
const envelopeProps = {
  message_id: Type.Optional(MessageId),
  sender_id: Type.Optional(Nullable(Type.String({ maxLength: 256 }))),
  receiver_id: Type.Optional(Nullable(Type.String({ maxLength: 256 }))),
  send_timestamp: Type.Optional(Nullable(Timestamp)),
  in_reply_to_message_id: Type.Optional(Nullable(MessageId)),
  text_payload: Type.Optional(Nullable(Type.String())),
} satisfies TProperties;

function message<T extends string, P extends TProperties>(
  type: T,
  props: P,
  description: string,
) {
  return Type.Object(
    { message_type: Type.Literal(type), ...envelopeProps, ...props },
    { $id: type, description, additionalProperties: true },
  );
}

// --- registration -------------------------------------------------------------------------------------------

export const RegisterAgent = message(
  MessageType.REGISTER_AGENT,
  {
    agent_name: Type.String({ minLength: 1, maxLength: 256 }),
    agent_id: Type.Optional(Id),
    namespace: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    timestamp: Type.Optional(Timestamp),
    /** Seed 002 recovery: a replacement for this failed agent id; the hub answers with RESTORE_CONTEXT. */
    restore_from: Type.Optional(Id),
  },
  'An agent registers. Early seed agents choose their own agent_id; later ones let the hub pick agent_<8 hex>.',
);
export const RegisterFrontend = message(
  MessageType.REGISTER_FRONTEND,
  {
    frontend_name: Type.Optional(Type.String({ maxLength: 256 })),
    timestamp: Type.Optional(Timestamp),
    /** Opt in to a copy of every chat message routed through the hub, not only what is addressed to it. */
    watch_all: Type.Optional(Type.Boolean({ description: 'true: also receive a copy of chat addressed to others (a watching UI); default false: only chat addressed to this front-end, and broadcasts.' })),
    /** Seed 004: the topic namespace this session lives in (default "default"). */
    namespace: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  },
  'A front-end session registers (early clients send only a timestamp). Targeted chat reaches its addressee only; watch_all: true opts in to copies of all chat.',
);
export const RegisterBroker = message(
  MessageType.REGISTER_BROKER,
  { broker_name: Type.Optional(Type.String({ maxLength: 256 })), timestamp: Type.Optional(Timestamp) },
  'A routing broker registers (early brokers send only a timestamp).',
);
export const RegisterMonitor = message(
  MessageType.REGISTER_MONITOR,
  { monitor_name: Type.Optional(Type.String({ maxLength: 256 })), backlog: Type.Optional(Type.Integer({ minimum: 0, maximum: 100000 })), namespace: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })) },
  'A read-only monitor registers: it receives MONITOR_EVENTS batches of the event log and AGENT_STATUS_UPDATE.',
);

const RegisterStatus = Type.Union([Type.Literal('success'), Type.Literal('error')]);
export const RegisterAgentResponse = message(
  MessageType.REGISTER_AGENT_RESPONSE,
  { status: RegisterStatus, agent_id: Type.Optional(Id), agent_name: Type.Optional(Type.String()), message: Type.Optional(Type.String()) },
  'The first frame a registering agent receives.',
);
export const RegisterFrontendResponse = message(
  MessageType.REGISTER_FRONTEND_RESPONSE,
  { status: RegisterStatus, frontend_id: Type.Optional(Id), frontend_name: Type.Optional(Type.String()), message: Type.Optional(Type.String()) },
  'The first frame a registering front-end receives, followed by a full AGENT_STATUS_UPDATE.',
);
export const RegisterBrokerResponse = message(
  MessageType.REGISTER_BROKER_RESPONSE,
  { status: RegisterStatus, broker_id: Type.Optional(Id), broker_name: Type.Optional(Type.String()), message: Type.Optional(Type.String()) },
  'The first frame a registering routing broker receives.',
);
export const RegisterMonitorResponse = message(
  MessageType.REGISTER_MONITOR_RESPONSE,
  { status: RegisterStatus, monitor_id: Type.Optional(Id), hub_id: Type.Optional(Type.String()), message: Type.Optional(Type.String()) },
  'The first frame a registering monitor receives.',
);

// --- presence -----------------------------------------------------------------------------------------------

export const Ping = message(MessageType.PING, { timestamp: Type.Optional(Timestamp) }, 'Hub → agent, every pingInterval.');
export const Pong = message(
  MessageType.PONG,
  {
    agent_id: Type.Optional(Type.String({ maxLength: 256 })),
    agent_name: Type.Optional(Type.String({ maxLength: 256 })),
    response_time: Type.Optional(Type.Unknown()),
    server_ping_time: Type.Optional(Type.Unknown()),
  },
  'Agent → hub. Last seen is attributed to the connection that sent it, never to the id in the body.',
);
export const ServerHeartbeat = message(MessageType.SERVER_HEARTBEAT, { timestamp: Type.Optional(Timestamp) }, 'Hub → every client, every heartbeatInterval.');

export const AgentPresenceSchema = Type.Union([Type.Literal('online'), Type.Literal('paused'), Type.Literal('offline')]);
export const AgentStatusEntry = Type.Object(
  {
    agent_id: Id,
    agent_name: Type.String(),
    is_online: Type.Boolean(),
    last_seen: Nullable(Type.String()),
    status: Type.Optional(AgentPresenceSchema),
    hub_id: Type.Optional(Type.String()),
    namespace: Type.Optional(Type.String()),
    status_text: Type.Optional(Nullable(Type.String())),
  },
  { additionalProperties: true },
);
export const AgentStatusUpdate = message(
  MessageType.AGENT_STATUS_UPDATE,
  { agents: Type.Array(AgentStatusEntry, { maxItems: 100000 }), is_full_update: Type.Boolean() },
  'Hub → front-ends, brokers, monitors: every agent (full) or those that changed.',
);
export const RequestAgentStatus = message(MessageType.REQUEST_AGENT_STATUS, {}, 'Ask for a full AGENT_STATUS_UPDATE.');

// --- chat ---------------------------------------------------------------------------------------------------

const chatProps = {
  text_payload: Type.String({ maxLength: 1048576 }),
  thread: Type.Optional(Type.String({ maxLength: 256 })),
  _client_id: Type.Optional(Type.String()),
  routing_status: Type.Optional(Type.String()),
} satisfies TProperties;
export const Text = message(MessageType.TEXT, chatProps, 'Chat. receiver_id names a client; "broadcast", "broker" or none fans out to agents.');
export const Reply = message(MessageType.REPLY, chatProps, 'Chat reply; early agents send only sender_id, receiver_id, text_payload.');
export const System = message(MessageType.SYSTEM, chatProps, 'System chat message.');
export const ErrorMessage = message(
  MessageType.ERROR,
  { text_payload: Type.String(), code: Type.Optional(Type.String()) },
  'Hub → client (or broker → hub): what went wrong and what to do. Chat-shaped, sender_id "server".',
);

// --- agent control ------------------------------------------------------------------------------------------

const controlProps = { agent_id: Type.Optional(Id), reason: Type.Optional(Type.String({ maxLength: 1024 })) } satisfies TProperties;
export const PauseAgent = message(MessageType.PAUSE_AGENT, controlProps, 'Pause one agent (agent_id, or receiver_id).');
export const ResumeAgent = message(MessageType.RESUME_AGENT, controlProps, 'Resume one agent; held chat is delivered.');
export const DeregisterAgent = message(MessageType.DEREGISTER_AGENT, controlProps, 'Deregister one agent.');
export const ReregisterAgent = message(MessageType.REREGISTER_AGENT, controlProps, 'Ask one agent to register again.');
export const PauseAllAgents = message(MessageType.PAUSE_ALL_AGENTS, {}, 'Pause every agent.');
export const ResumeAllAgents = message(MessageType.RESUME_ALL_AGENTS, {}, 'Resume every agent.');
export const DeregisterAllAgents = message(MessageType.DEREGISTER_ALL_AGENTS, {}, 'Deregister every agent.');
export const ReregisterAllAgents = message(MessageType.REREGISTER_ALL_AGENTS, {}, 'Ask every agent to register again.');
export const ResetAllQueues = message(MessageType.RESET_ALL_QUEUES, {}, 'Empty every held-message queue.');

// --- lifecycle ----------------------------------------------------------------------------------------------

export const ClientDisconnected = message(
  MessageType.CLIENT_DISCONNECTED,
  { agent_id: Type.Optional(Type.String()), client_id: Type.Optional(Type.String()), connection_type: Type.Optional(Type.String()) },
  'A client went away (published for routing brokers).',
);
export const Shutdown = message(MessageType.SHUTDOWN, { reason: Type.Optional(Type.String()) }, 'The hub is stopping.');
export const ServerAvailable = message(
  MessageType.SERVER_AVAILABLE,
  { server_id: Type.String(), timestamp: Type.Optional(Timestamp), websocket_url: Type.String() },
  'Hub → routing brokers (RabbitMQ server_advertisement_queue): where to connect.',
);

// --- seed 000: status messenger -----------------------------------------------------------------------------

export const Status = message(
  MessageType.STATUS,
  { session_id: Type.Optional(Nullable(Type.String({ maxLength: 256 }))), text_payload: Type.String({ maxLength: 65536 }) },
  'A status line from an agent for the front-end session it serves; with no session it goes to monitors only.',
);
export const AgentEvent = message(
  MessageType.AGENT_EVENT,
  {
    event_type: Type.String({ minLength: 1, maxLength: 256 }),
    data: Type.Optional(Type.Unknown()),
    timestamp: Type.Optional(Timestamp),
    websocket_session_id: Type.Optional(Nullable(Type.String())),
  },
  'A structured agent event, to monitors and the log (and the agent.events topic on a broker bus).',
);

// --- ours: monitors -----------------------------------------------------------------------------------------

export const MonitorEvents = message(
  MessageType.MONITOR_EVENTS,
  { entries: Type.Array(Type.Unknown()), dropped: Type.Optional(Type.Integer({ minimum: 0 })) },
  'Hub → monitor: a batch of event-log entries (see LogEntry).',
);

/** Every message schema, by message_type. Inbound frames are validated against the entry for their type. */
export const MESSAGE_SCHEMAS = {
  REGISTER_AGENT: RegisterAgent,
  REGISTER_FRONTEND: RegisterFrontend,
  REGISTER_BROKER: RegisterBroker,
  REGISTER_MONITOR: RegisterMonitor,
  REGISTER_AGENT_RESPONSE: RegisterAgentResponse,
  REGISTER_FRONTEND_RESPONSE: RegisterFrontendResponse,
  REGISTER_BROKER_RESPONSE: RegisterBrokerResponse,
  REGISTER_MONITOR_RESPONSE: RegisterMonitorResponse,
  PING: Ping,
  PONG: Pong,
  SERVER_HEARTBEAT: ServerHeartbeat,
  AGENT_STATUS_UPDATE: AgentStatusUpdate,
  REQUEST_AGENT_STATUS: RequestAgentStatus,
  TEXT: Text,
  REPLY: Reply,
  SYSTEM: System,
  ERROR: ErrorMessage,
  PAUSE_AGENT: PauseAgent,
  RESUME_AGENT: ResumeAgent,
  DEREGISTER_AGENT: DeregisterAgent,
  REREGISTER_AGENT: ReregisterAgent,
  PAUSE_ALL_AGENTS: PauseAllAgents,
  RESUME_ALL_AGENTS: ResumeAllAgents,
  DEREGISTER_ALL_AGENTS: DeregisterAllAgents,
  REREGISTER_ALL_AGENTS: ReregisterAllAgents,
  RESET_ALL_QUEUES: ResetAllQueues,
  CLIENT_DISCONNECTED: ClientDisconnected,
  SHUTDOWN: Shutdown,
  SERVER_AVAILABLE: ServerAvailable,
  STATUS: Status,
  AGENT_EVENT: AgentEvent,
  MONITOR_EVENTS: MonitorEvents,
  ...CONTEXT_MESSAGE_SCHEMAS,
  ...AGENT_STREAM_MESSAGE_SCHEMAS,
  ...TOPIC_MESSAGE_SCHEMAS,
  ...DEBUGGER_MESSAGE_SCHEMAS,
} as const satisfies Record<string, TSchema>;

export type RegisterAgentMsg = Static<typeof RegisterAgent>;
export type RegisterFrontendMsg = Static<typeof RegisterFrontend>;
export type RegisterBrokerMsg = Static<typeof RegisterBroker>;
export type RegisterMonitorMsg = Static<typeof RegisterMonitor>;
export type PongMsg = Static<typeof Pong>;
export type AgentStatusEntryT = Static<typeof AgentStatusEntry>;
export type AgentStatusUpdateMsg = Static<typeof AgentStatusUpdate>;
export type ChatMsg = Static<typeof Text> | Static<typeof Reply> | Static<typeof System>;
export type ErrorMsg = Static<typeof ErrorMessage>;
export type StatusMsg = Static<typeof Status>;
export type AgentEventMsg = Static<typeof AgentEvent>;
export type ServerAvailableMsg = Static<typeof ServerAvailable>;

/** Any message on the wire: a message_type and whatever fields it carries. */
export interface Envelope {
  message_type: string;
  message_id?: string | number;
  sender_id?: string | null;
  receiver_id?: string | null;
  text_payload?: string | null;
  send_timestamp?: string | number | null;
  in_reply_to_message_id?: string | number | null;
  [field: string]: unknown;
}
