// The event log's entry: what the hub saw, in or out. Shared by the hub, monitors (webview, /monitor, `tail`) and
// reconstruction.

import type { ClientRole, AgentPresence } from './messageTypes';

export type LogDirection = 'in' | 'out' | 'internal';

export interface LogEntry {
  /** Monotonic per hub process. */
  seq: number;
  /** Epoch milliseconds. */
  time: number;
  direction: LogDirection;
  message_type: string;
  /** The connection's client id (agent_…, web_…, broker_…, mon_…) or a synthetic id for unregistered ones. */
  client_id?: string;
  role?: ClientRole;
  message_id?: string;
  sender_id?: string;
  receiver_id?: string;
  in_reply_to_message_id?: string;
  thread?: string;
  session_id?: string;
  /** Bytes on the wire. */
  size: number;
  /** The message itself; large bodies are cut to a preview and flagged. */
  body: Record<string, unknown>;
  truncated?: boolean;
  /** Set when one frame was fanned out to many clients and logged once (PING rounds, status broadcasts). */
  recipients?: number;
}

/** What a UI shows for one agent (and what monitors receive). */
export interface AgentSnapshot {
  agent_id: string;
  agent_name: string;
  status: AgentPresence;
  is_online: boolean;
  last_seen: string | null;
  connected_at: string | null;
  namespace: string;
  hub_id: string;
  remote_address?: string;
  messages_in: number;
  messages_out: number;
  last_status_text?: string | null;
  held_messages: number;
}

/** A front-end session and the status lines its agents emitted for it (seed 000). */
export interface SessionSnapshot {
  session_id: string;
  name: string;
  connected: boolean;
  connected_at: string;
  status_lines: { time: string; agent_id: string | null; text: string }[];
}

/** The shape every consumer of entries relies on (entries arrive over sockets too); the rest is optional. */
export function isLogEntry(v: unknown): v is LogEntry {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Record<string, unknown>;
  return (
    typeof e.seq === 'number' &&
    typeof e.time === 'number' &&
    typeof e.message_type === 'string' &&
    (e.direction === 'in' || e.direction === 'out' || e.direction === 'internal') &&
    typeof e.body === 'object' &&
    e.body !== null
  );
}
