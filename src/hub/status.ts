// Seed 000 status messages: STATUS {session_id, text_payload} goes to the front-end session it names (and, through
// the event log, to monitors); AGENT_EVENT goes to monitors, the log and the bus channel `agent.events`. Sessions
// (front-ends plus the built-in UI session) keep their recent status lines, bounded.

import type { Envelope } from '../protocol/schemas';
import type { SessionSnapshot } from '../protocol/logEntry';
import type { Bus } from '../bus/bus';
import { isoNow } from '../protocol/ids';
import type { Connection } from './connection';
import type { Registry } from './registry';
import { HUB_USER_ID, HUB_USER_NAME } from '../protocol/messageTypes';
import type { AgentEventEvent, StatusLineEvent } from './hubEvents';

/** The bus channel AGENT_EVENTs are published on (seed 000's pub/sub topic). */
export const AGENT_EVENTS_CHANNEL = 'agent.events';
/** Status lines kept per session. */
const LINES_PER_SESSION = 100;
/** Disconnected sessions remembered for the UI. */
const MAX_CLOSED_SESSIONS = 200;

interface SessionRecord {
  snapshot: SessionSnapshot;
}

export interface StatusDeps {
  registry: Registry;
  bus: () => Bus | undefined;
  send(conn: Connection, frame: Envelope): void;
  onStatus(line: StatusLineEvent): void;
  onAgentEvent(ev: AgentEventEvent): void;
  onSessionsChanged(): void;
  onAgentStatusText(agentId: string): void;
  onBusError(err: unknown): void;
}

export class StatusRouter {
  private readonly sessions = new Map<string, SessionRecord>();
  private closedOrder: string[] = [];
  /** AGENT_EVENTs published to the bus, and failures. */
  published = 0;
  publishFailed = 0;

  constructor(private readonly deps: StatusDeps) {
    this.sessions.set(HUB_USER_ID, {
      snapshot: { session_id: HUB_USER_ID, name: HUB_USER_NAME, connected: true, connected_at: isoNow(), status_lines: [] },
    });
  }

  sessionList(): SessionSnapshot[] {
    return [...this.sessions.values()].map((s) => ({ ...s.snapshot, status_lines: [...s.snapshot.status_lines] }));
  }

  frontendOpened(conn: Connection): void {
    const prev = this.sessions.get(conn.id);
    const snapshot: SessionSnapshot = {
      session_id: conn.id,
      name: conn.name,
      connected: true,
      connected_at: isoNow(),
      status_lines: prev ? prev.snapshot.status_lines : [],
    };
    this.sessions.set(conn.id, { snapshot });
    this.closedOrder = this.closedOrder.filter((id) => id !== conn.id);
    this.deps.onSessionsChanged();
  }

  frontendClosed(conn: Connection): void {
    const s = this.sessions.get(conn.id);
    if (!s) return;
    s.snapshot.connected = false;
    this.closedOrder.push(conn.id);
    while (this.closedOrder.length > MAX_CLOSED_SESSIONS) this.sessions.delete(this.closedOrder.shift()!);
    this.deps.onSessionsChanged();
  }

  /** STATUS from an agent: forward to the named session's front-end; returns whether a connection received it. */
  handleStatus(from: Connection | undefined, agentId: string | null, msg: Envelope): boolean {
    const text = typeof msg.text_payload === 'string' ? msg.text_payload : '';
    const session = typeof msg.session_id === 'string' && msg.session_id ? msg.session_id : null;
    const time = isoNow();
    if (agentId) {
      const rec = this.deps.registry.agents.get(agentId);
      if (rec) {
        rec.statusText = text;
        this.deps.onAgentStatusText(agentId);
      }
    }
    let delivered = false;
    if (session) {
      const target = session === HUB_USER_ID ? undefined : this.deps.registry.connection(session);
      // The early UI's `user_…` id is an alias of its front-end connection: its lines belong to that session.
      const s = this.sessions.get(session) ?? (target?.role === 'frontend' ? this.sessions.get(target.id) : undefined);
      if (s) {
        s.snapshot.status_lines.push({ time, agent_id: agentId, text });
        if (s.snapshot.status_lines.length > LINES_PER_SESSION) s.snapshot.status_lines.shift();
        this.deps.onSessionsChanged();
      }
      if (target && target !== from) {
        const frame: Envelope = { ...msg, sender_id: agentId, agent_id: agentId, session_id: session };
        if (frame.send_timestamp === undefined) frame.send_timestamp = time;
        this.deps.send(target, frame);
        delivered = true;
      }
    }
    this.deps.onStatus({ time, agent_id: agentId, session_id: session, text });
    return delivered;
  }

  /** AGENT_EVENT: emitted in-process and published on the bus as {websocket_session_id, event_type, timestamp, data}. */
  handleAgentEvent(agentId: string | null, msg: Envelope): void {
    const session =
      typeof msg.websocket_session_id === 'string' ? msg.websocket_session_id : typeof msg.session_id === 'string' ? msg.session_id : null;
    const eventType = typeof msg.event_type === 'string' ? msg.event_type : 'agent_event';
    const time = isoNow();
    this.deps.onAgentEvent({ time, agent_id: agentId, session_id: session, event_type: eventType, data: msg.data });
    const bus = this.deps.bus();
    if (!bus) return;
    const payload: Envelope = {
      message_type: 'AGENT_EVENT',
      websocket_session_id: session,
      event_type: eventType,
      // the hub stamps UTC ISO time; the agent's own timestamp (any format) is kept alongside
      timestamp: time,
      data: msg.data ?? null,
      agent_id: agentId,
      sender_id: agentId,
    };
    if (msg.timestamp !== undefined) payload.agent_timestamp = msg.timestamp;
    bus.publish(AGENT_EVENTS_CHANNEL, payload).then(
      () => {
        this.published++;
      },
      (err: unknown) => {
        this.publishFailed++;
        this.deps.onBusError(err);
      },
    );
  }
}
