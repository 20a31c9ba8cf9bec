// Frames the hub itself writes: chat-shaped ERRORs (the seed's shape plus a stable `code`), AGENT_STATUS_UPDATE,
// and the small presence/lifecycle messages. One place so every module produces identical shapes.

import type { Envelope } from '../protocol/schemas';
import type { ErrorCode } from '../protocol/errors';
import { isoNow, newMessageId } from '../protocol/ids';
import { MessageType } from '../protocol/messageTypes';
import type { AgentSnapshot } from '../protocol/logEntry';

/** sender_id of messages the hub writes on its own behalf (seed 001 uses "server"). */
export const SERVER_SENDER_ID = 'server';

/**
 * A seed-shaped ERROR: {message_id, sender_id: "server", receiver_id, text_payload, send_timestamp,
 * message_type: "ERROR", in_reply_to_message_id: null, code}. `ref_message_id` names the offending message when
 * it had an id (in_reply_to_message_id stays null as in the seed, so seed agents never "answer" an error).
 */
export function errorFrame(
  receiverId: string | null,
  code: ErrorCode,
  text: string,
  refMessageId?: string | number | null,
): Envelope {
  const frame: Envelope = {
    message_type: MessageType.ERROR,
    message_id: newMessageId(),
    sender_id: SERVER_SENDER_ID,
    receiver_id: receiverId,
    text_payload: text,
    send_timestamp: isoNow(),
    in_reply_to_message_id: null,
    code,
  };
  if (refMessageId !== undefined && refMessageId !== null) frame.ref_message_id = refMessageId;
  return frame;
}

/** The wire entry of AGENT_STATUS_UPDATE: the seed's four fields plus status, hub_id, namespace, status_text. */
export interface AgentStatusWireEntry {
  agent_id: string;
  agent_name: string;
  is_online: boolean;
  last_seen: string | null;
  status: AgentSnapshot['status'];
  hub_id: string;
  namespace: string;
  status_text: string | null;
  held_messages: number;
}

export function toWireEntry(s: AgentSnapshot): AgentStatusWireEntry {
  return {
    agent_id: s.agent_id,
    agent_name: s.agent_name,
    is_online: s.is_online,
    last_seen: s.last_seen,
    status: s.status,
    hub_id: s.hub_id,
    namespace: s.namespace,
    status_text: s.last_status_text ?? null,
    held_messages: s.held_messages,
  };
}

/**
 * Seed compatibility: the seed's third-generation web UI reads an agent from `metrics` (its name, last_seen, and
 * internal_state, where anything but "offline" is online).
 */
function seedWireEntry(s: AgentSnapshot): AgentStatusWireEntry & { metrics: Record<string, string> } {
  const internalState = s.status === 'offline' ? 'offline' : s.status === 'paused' ? 'paused' : 'idle';
  return { ...toWireEntry(s), metrics: { internal_state: internalState, agent_name: s.agent_name, last_seen: s.last_seen ?? '' } };
}

export function agentStatusFrame(agents: AgentSnapshot[], full: boolean, seedMetrics = false): Envelope {
  return {
    message_type: MessageType.AGENT_STATUS_UPDATE,
    agents: agents.map(seedMetrics ? seedWireEntry : toWireEntry),
    is_full_update: full,
    send_timestamp: isoNow(),
  };
}

export function pingFrame(): Envelope {
  return { message_type: MessageType.PING, timestamp: isoNow() };
}

export function heartbeatFrame(hubId: string): Envelope {
  return { message_type: MessageType.SERVER_HEARTBEAT, timestamp: isoNow(), hub_id: hubId };
}

export function shutdownFrame(reason: string): Envelope {
  return {
    message_type: MessageType.SHUTDOWN,
    sender_id: SERVER_SENDER_ID,
    text_payload: reason,
    reason,
    send_timestamp: isoNow(),
  };
}
