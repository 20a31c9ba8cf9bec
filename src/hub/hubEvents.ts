// The hub's in-process event API: what the extension (and tests) consume directly, without a socket.

import type { AgentSnapshot, LogEntry, SessionSnapshot } from '../protocol/logEntry';
import type { BusStatus } from '../bus/bus';
import type { Envelope } from '../protocol/schemas';

export type HubState = 'stopped' | 'starting' | 'running' | 'stopping';

export interface StatusLineEvent {
  time: string;
  agent_id: string | null;
  session_id: string | null;
  text: string;
}

export interface AgentEventEvent {
  time: string;
  agent_id: string | null;
  session_id: string | null;
  event_type: string;
  data: unknown;
}

/** Event map for `hub.events` (a typed node EventEmitter). */
export interface HubEventMap {
  state: [state: HubState];
  /** Agents whose snapshot changed (coalesced by statusCoalesceMs). */
  agents: [changed: AgentSnapshot[]];
  sessions: [sessions: SessionSnapshot[]];
  status: [line: StatusLineEvent];
  agentEvent: [event: AgentEventEvent];
  /** Every chat message (TEXT/REPLY/SYSTEM) the hub routed, annotated (message_id, _client_id, routing_status).
   *  Messages whose receiver_id is HUB_USER_ID are replies to the person at the UI. */
  message: [message: Envelope];
  /** Every event-log entry as it is appended. */
  log: [entry: LogEntry];
  bus: [status: BusStatus];
  /** A non-fatal problem worth a person's attention (e.g. a slow consumer cut off). */
  warning: [message: string];
}
