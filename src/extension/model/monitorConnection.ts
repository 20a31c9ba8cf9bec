// HubConnection over another window's hub, reached as a read-only monitor (REGISTER_MONITOR) with the SDK's
// MonitorClient: agents from AGENT_STATUS_UPDATE, status lines, events and sessions rebuilt from the MONITOR_EVENTS
// stream, chat and control sent like a front-end. The client does not reconnect by itself: when the socket drops,
// the state turns 'disconnected' and the HubManager decides whether to re-attach or take over the freed port.

import { EventLog } from '../../hub/eventLog';
import type { LogEntry } from '../../protocol/logEntry';
import { MessageType, type ControlAction, type SendMessageInput } from '../../protocol/messageTypes';
import { SwitchboardError } from '../../protocol/errors';
import type { Logger } from '../../protocol/logger';
import { MonitorClient } from '../../sdk/monitorClient';
import { ActivityStore, describeEventData } from './activityStore';
import { Emitter, type Unsubscribe } from './emitter';
import {
  toAgentView,
  type ActivityItem,
  type AgentView,
  type ChangeKind,
  type ConnectionInfo,
  type ConnectionState,
  type ExportFormat,
  type HubConnection,
  type SessionView,
  type TransportView,
} from './hubConnection';

export interface MonitorConnectionOptions {
  host: string;
  port: number;
  token: string;
  hubId: string;
  ownerPid?: number;
  logger: Logger;
  /** Entries kept for the monitor panel and export; oldest dropped first. */
  maxEntries?: number;
  /** Sessions remembered; the least recently active is forgotten first. */
  maxSessions?: number;
  /** Status lines kept per session. */
  linesPerSession?: number;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export class MonitorConnection implements HubConnection {
  readonly mode = 'attached' as const;
  private readonly client: MonitorClient;
  private readonly changes = new Emitter<ChangeKind>();
  private readonly entryEmitter = new Emitter<LogEntry[]>();
  private readonly agentEmitter = new Emitter<{ agents: AgentView[]; full: boolean }>();
  private readonly agentMap = new Map<string, AgentView>();
  private readonly activityStore = new ActivityStore();
  private readonly sessionMap = new Map<string, SessionView>();
  /** Ring of the newest entries (oldest first once unrolled). */
  private entries: LogEntry[] = [];
  private received = 0;
  private connState: ConnectionState = 'starting';
  private hubId: string;
  private readonly maxEntries: number;
  private readonly maxSessions: number;
  private readonly linesPerSession: number;
  private readonly offState: () => void;

  constructor(private readonly opts: MonitorConnectionOptions) {
    this.hubId = opts.hubId;
    this.maxEntries = opts.maxEntries ?? 5000;
    this.maxSessions = opts.maxSessions ?? 500;
    this.linesPerSession = opts.linesPerSession ?? 100;
    const url = `ws://${opts.host}:${opts.port}/ws?token=${encodeURIComponent(opts.token)}`;
    this.client = new MonitorClient({ url, name: `vscode-${process.pid}`, logger: opts.logger, reconnect: false, backlog: 500 });
    const onErr = (err: unknown): void => opts.logger.error(`listener failed: ${String(err)}`);
    this.client.onAgents((list, full) => {
      if (full) this.agentMap.clear();
      const views = list.map(toAgentView);
      for (const a of views) this.agentMap.set(a.agent_id, a);
      this.changes.fire('agents', onErr);
      if (this.agentEmitter.size) this.agentEmitter.fire({ agents: views, full }, onErr);
    });
    this.client.onEntries((batch) => this.ingest(batch, onErr));
    this.offState = this.client.onState((state) => {
      const next: ConnectionState = state === 'connected' ? 'running' : state === 'connecting' ? 'starting' : 'disconnected';
      if (next === this.connState) return;
      this.connState = next;
      this.changes.fire('state', onErr);
      this.changes.fire('transport', onErr);
    });
  }

  /** The monitor socket, for what rides on it beside the views (seed 003 agent streams and tool approvals). */
  get streamClient(): MonitorClient {
    return this.client;
  }

  /** Registers as a monitor and waits for the first full agent list, so the views never start empty. */
  async connect(): Promise<void> {
    const { hub_id } = await this.client.connect();
    if (hub_id) this.hubId = hub_id;
    this.connState = 'running';
    await this.client.waitForAgents(5000).catch(() => undefined);
  }

  private ingest(batch: LogEntry[], onErr: (err: unknown) => void): void {
    if (batch.length === 0) return;
    this.received += batch.length;
    this.entries.push(...batch);
    if (this.entries.length > this.maxEntries) this.entries = this.entries.slice(this.entries.length - this.maxEntries);
    let activity = false;
    let sessions = false;
    for (const e of batch) {
      if (e.direction !== 'in') continue;
      const from = e.client_id ?? e.sender_id;
      if (e.message_type === MessageType.STATUS && from) {
        const text = str(e.body.text_payload) ?? '';
        const session = e.session_id ?? str(e.body.session_id) ?? null;
        this.activityStore.add(from, { kind: 'status', time: e.time, text, session_id: session });
        activity = true;
        if (session) {
          this.sessionLine(session, { time: new Date(e.time).toISOString(), agent_id: from, text });
          sessions = true;
        }
      } else if (e.message_type === MessageType.AGENT_EVENT && from) {
        this.activityStore.add(from, {
          kind: 'event',
          time: e.time,
          text: describeEventData(e.body.data),
          session_id: e.session_id ?? null,
          event_type: str(e.body.event_type) ?? 'event',
        });
        activity = true;
      } else if (e.message_type === MessageType.REGISTER_FRONTEND && e.client_id) {
        const s = this.session(e.client_id, str(e.body.frontend_name));
        s.connected = true;
        s.connected_at = new Date(e.time).toISOString();
        sessions = true;
      }
    }
    // a front-end that went away shows up as an internal CLIENT_DISCONNECTED entry naming it
    for (const e of batch) {
      if (e.message_type !== MessageType.CLIENT_DISCONNECTED) continue;
      const id = str(e.body.client_id) ?? e.client_id;
      const s = id ? this.sessionMap.get(id) : undefined;
      if (s) {
        s.connected = false;
        sessions = true;
      }
    }
    if (activity) this.changes.fire('activity', onErr);
    if (sessions) this.changes.fire('sessions', onErr);
    this.changes.fire('log', onErr);
    if (this.entryEmitter.size) this.entryEmitter.fire(batch, onErr);
  }

  private session(id: string, name?: string): SessionView {
    let s = this.sessionMap.get(id);
    if (!s) {
      if (this.sessionMap.size >= this.maxSessions) {
        const oldest = this.sessionMap.keys().next().value;
        if (oldest !== undefined) this.sessionMap.delete(oldest);
      }
      s = { session_id: id, name: name ?? id, connected: true, status_lines: [] };
      this.sessionMap.set(id, s);
    } else if (name) s.name = name;
    return s;
  }

  private sessionLine(sessionId: string, line: SessionView['status_lines'][number]): void {
    const s = this.session(sessionId);
    s.status_lines.push(line);
    if (s.status_lines.length > this.linesPerSession) s.status_lines.splice(0, s.status_lines.length - this.linesPerSession);
  }

  get state(): ConnectionState {
    return this.connState;
  }

  info(): ConnectionInfo {
    const base = `${this.opts.host}:${this.opts.port}`;
    const out: ConnectionInfo = {
      mode: 'attached',
      state: this.connState,
      hubId: this.hubId,
      host: this.opts.host,
      port: this.opts.port,
      agentUrl: `ws://${base}/ws?token=${encodeURIComponent(this.opts.token)}`,
      monitorUrl: `http://${base}/monitor?token=${encodeURIComponent(this.opts.token)}`,
    };
    if (this.opts.ownerPid !== undefined) out.ownerPid = this.opts.ownerPid;
    return out;
  }

  agents(): readonly AgentView[] {
    return [...this.agentMap.values()];
  }

  agent(id: string): AgentView | undefined {
    return this.agentMap.get(id);
  }

  sessions(): readonly SessionView[] {
    return [...this.sessionMap.values()];
  }

  activity(agentId: string): readonly ActivityItem[] {
    return this.activityStore.get(agentId);
  }

  transport(): TransportView {
    return {
      kind: 'remote',
      state: this.connState === 'running' ? 'up' : this.connState === 'starting' ? 'connecting' : 'down',
      url: `ws://${this.opts.host}:${this.opts.port}/ws`,
      reconnectAttempt: 0,
      published: 0,
      received: this.received,
    };
  }

  onDidChange(listener: (kind: ChangeKind) => void): Unsubscribe {
    return this.changes.on(listener);
  }

  recentEntries(max: number): LogEntry[] {
    return max >= this.entries.length ? [...this.entries] : this.entries.slice(this.entries.length - max);
  }

  onEntries(listener: (entries: LogEntry[]) => void): Unsubscribe {
    return this.entryEmitter.on(listener);
  }

  onAgents(listener: (agents: AgentView[], full: boolean) => void): Unsubscribe {
    return this.agentEmitter.on(({ agents, full }) => listener(agents, full));
  }

  private requireConnected(what: string): void {
    if (this.connState !== 'running') {
      throw new SwitchboardError(
        'not_connected',
        `Cannot ${what}: the connection to the hub on port ${this.opts.port} is ${this.connState}. Wait for it to reconnect or run "Switchboard: Restart Hub".`,
      );
    }
  }

  async send(input: SendMessageInput): Promise<string> {
    this.requireConnected('send a message');
    const opts: { message_type?: 'TEXT' | 'SYSTEM'; thread?: string; in_reply_to_message_id?: string } = {};
    if (input.message_type) opts.message_type = input.message_type;
    if (input.thread) opts.thread = input.thread;
    if (input.in_reply_to_message_id) opts.in_reply_to_message_id = input.in_reply_to_message_id;
    return this.client.send(input.receiver_id, input.text_payload, opts);
  }

  async broadcast(text: string): Promise<void> {
    this.requireConnected('broadcast');
    await this.client.send('broadcast', text);
  }

  async control(action: ControlAction, agentId: string | 'all'): Promise<void> {
    this.requireConnected(`${action} an agent`);
    await this.client.control(action, agentId);
  }

  async exportLog(format: ExportFormat): Promise<string> {
    // the same columns and escaping as the owning hub's own export, applied to what this window received
    return new EventLog({ ringSize: 1, dir: '', fileMaxBytes: 0, fileCount: 0 }).export(format, this.entries);
  }

  async clearLog(): Promise<void> {
    this.entries = [];
    this.activityStore.clear();
    this.changes.fire('log');
    this.changes.fire('activity');
  }

  async close(): Promise<void> {
    this.offState();
    this.changes.clear();
    this.entryEmitter.clear();
    this.agentEmitter.clear();
    await this.client.close('VS Code window detaching');
  }
}

/** The HubManager's `attach` dependency: connect, or fail with the client's error. */
export async function attachAsMonitor(
  target: { host: string; port: number; token: string; hubId: string; ownerPid?: number },
  logger: Logger,
): Promise<HubConnection> {
  const conn = new MonitorConnection({ ...target, logger });
  try {
    await conn.connect();
  } catch (err) {
    await conn.close().catch(() => undefined);
    throw err;
  }
  return conn;
}
