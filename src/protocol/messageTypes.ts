// Every message_type the hub understands, in one place. Seed 001 names first, then seed 000, then ours.
// Later slices (seed 002 context, seed 003 streams, seed 004 topics) add their names here.

import { TopicMessageType } from './topics';

export const MessageType = {
  // seed 001: registration
  REGISTER_AGENT: 'REGISTER_AGENT',
  REGISTER_FRONTEND: 'REGISTER_FRONTEND',
  REGISTER_BROKER: 'REGISTER_BROKER',
  REGISTER_AGENT_RESPONSE: 'REGISTER_AGENT_RESPONSE',
  REGISTER_FRONTEND_RESPONSE: 'REGISTER_FRONTEND_RESPONSE',
  REGISTER_BROKER_RESPONSE: 'REGISTER_BROKER_RESPONSE',
  // seed 001: presence
  PING: 'PING',
  PONG: 'PONG',
  SERVER_HEARTBEAT: 'SERVER_HEARTBEAT',
  AGENT_STATUS_UPDATE: 'AGENT_STATUS_UPDATE',
  REQUEST_AGENT_STATUS: 'REQUEST_AGENT_STATUS',
  // seed 001: chat
  TEXT: 'TEXT',
  REPLY: 'REPLY',
  SYSTEM: 'SYSTEM',
  ERROR: 'ERROR',
  // seed 001: agent control (later clients)
  PAUSE_AGENT: 'PAUSE_AGENT',
  RESUME_AGENT: 'RESUME_AGENT',
  DEREGISTER_AGENT: 'DEREGISTER_AGENT',
  REREGISTER_AGENT: 'REREGISTER_AGENT',
  PAUSE_ALL_AGENTS: 'PAUSE_ALL_AGENTS',
  RESUME_ALL_AGENTS: 'RESUME_ALL_AGENTS',
  DEREGISTER_ALL_AGENTS: 'DEREGISTER_ALL_AGENTS',
  REREGISTER_ALL_AGENTS: 'REREGISTER_ALL_AGENTS',
  RESET_ALL_QUEUES: 'RESET_ALL_QUEUES',
  // seed 001: lifecycle and the RabbitMQ side-channels
  CLIENT_DISCONNECTED: 'CLIENT_DISCONNECTED',
  SHUTDOWN: 'SHUTDOWN',
  SERVER_AVAILABLE: 'SERVER_AVAILABLE',
  // seed 000: status messenger
  STATUS: 'STATUS',
  AGENT_EVENT: 'AGENT_EVENT',
  // ours: a read-only monitor (the /monitor page, a second VS Code window, `switchboard tail`)
  REGISTER_MONITOR: 'REGISTER_MONITOR',
  REGISTER_MONITOR_RESPONSE: 'REGISTER_MONITOR_RESPONSE',
  MONITOR_EVENTS: 'MONITOR_EVENTS',
  // seed 002: peer context for reconstructing a failed agent (schemas in contextSchemas.ts)
  REQUEST_CONTEXT: 'REQUEST_CONTEXT',
  PROVIDE_CONTEXT: 'PROVIDE_CONTEXT',
  RESTORE_CONTEXT: 'RESTORE_CONTEXT',
  REQUEST_CONTEXT_ACK: 'REQUEST_CONTEXT_ACK',
  // seed 003: agent streams and tool approvals (schemas in agentStreams.ts)
  AGENT_CONTEXT: 'AGENT_CONTEXT',
  MONITOR_SUBSCRIBE: 'MONITOR_SUBSCRIBE',
  MONITOR_UNSUBSCRIBE: 'MONITOR_UNSUBSCRIBE',
  SNAPSHOT: 'SNAPSHOT',
  DIFF: 'DIFF',
  STREAM_EVENT: 'STREAM_EVENT',
  RESYNC: 'RESYNC',
  TOOL_APPROVAL_REQUEST: 'TOOL_APPROVAL_REQUEST',
  TOOL_APPROVAL_DECISION: 'TOOL_APPROVAL_DECISION',
  // seed 004: topic messaging (schemas in topics.ts)
  ...TopicMessageType,
} as const;

export type MessageTypeName = (typeof MessageType)[keyof typeof MessageType];

/** Chat messages: routed by receiver_id, copied to front-ends, logged. */
export const CHAT_TYPES: ReadonlySet<string> = new Set([MessageType.TEXT, MessageType.REPLY, MessageType.SYSTEM]);

/** Agent control messages that name one agent. */
export const SINGLE_AGENT_CONTROL_TYPES: ReadonlySet<string> = new Set([
  MessageType.PAUSE_AGENT,
  MessageType.RESUME_AGENT,
  MessageType.DEREGISTER_AGENT,
  MessageType.REREGISTER_AGENT,
]);

/** Agent control messages that address every agent. */
export const ALL_AGENTS_CONTROL_TYPES: ReadonlySet<string> = new Set([
  MessageType.PAUSE_ALL_AGENTS,
  MessageType.RESUME_ALL_AGENTS,
  MessageType.DEREGISTER_ALL_AGENTS,
  MessageType.REREGISTER_ALL_AGENTS,
]);

/** Receiver ids that mean "nobody in particular": the embedded router fans out to agents. */
export const BROADCAST_RECEIVERS: ReadonlySet<string> = new Set(['broadcast', 'broker', '']);

export const ID_PREFIX = {
  agent: 'agent_',
  frontend: 'web_',
  broker: 'broker_',
  monitor: 'mon_',
  message: 'msg_',
  hub: 'hub_',
} as const;

/** The built-in front-end session of the person at the UI (VS Code / CLI): always there, never a connection. */
export const HUB_USER_ID = 'web_switchboard';
/** What the UIs call that session. */
export const HUB_USER_NAME = 'You (VS Code / CLI)';

export type ClientRole = 'agent' | 'frontend' | 'broker' | 'monitor';
export type AgentPresence = 'online' | 'paused' | 'offline';

/** The port a hub listens on unless told otherwise (the seed system's too). */
export const DEFAULT_HUB_PORT = 8765;

/** What a person can do to one agent (or to all of them): the UI, CLI, SDK and hub all use these words. */
export type ControlAction = 'pause' | 'resume' | 'deregister' | 'reregister';
export const CONTROL_ACTIONS: readonly ControlAction[] = ['pause', 'resume', 'deregister', 'reregister'];

/** The frame each action is sent as: `one` names an agent, `all` addresses every agent. */
export const CONTROL_MESSAGE_TYPES: Readonly<Record<ControlAction, { one: MessageTypeName; all: MessageTypeName }>> = Object.freeze({
  pause: { one: MessageType.PAUSE_AGENT, all: MessageType.PAUSE_ALL_AGENTS },
  resume: { one: MessageType.RESUME_AGENT, all: MessageType.RESUME_ALL_AGENTS },
  deregister: { one: MessageType.DEREGISTER_AGENT, all: MessageType.DEREGISTER_ALL_AGENTS },
  reregister: { one: MessageType.REREGISTER_AGENT, all: MessageType.REREGISTER_ALL_AGENTS },
});

export function isControlAction(v: unknown): v is ControlAction {
  return typeof v === 'string' && (CONTROL_ACTIONS as readonly string[]).includes(v);
}

/** A chat message sent on behalf of the person at a UI (VS Code, the monitor page, the CLI). */
export interface SendMessageInput {
  receiver_id: string;
  text_payload: string;
  message_type?: 'TEXT' | 'SYSTEM';
  /** Only the hub's own API may set it (tests, relays); a webview's input never carries it. */
  sender_id?: string;
  in_reply_to_message_id?: string;
  thread?: string;
}
