// The one interface the views, the status bar and the commands render and drive. Two implementations: the hub running
// in this window (inProcessConnection.ts) and a hub owned by another window, watched as a monitor
// (monitorConnection.ts). No vscode import, so both are tested in plain Node.

import type { AgentPresence } from '../../protocol/messageTypes';
import type { LogEntry } from '../../protocol/logEntry';
import type { ControlAction, SendMessageInput } from '../../protocol/messageTypes';
import type { MonitorAgent } from '../../protocol/webviewMessages';
import type { BusKind, BusStatus } from '../../bus/bus';
import type { Unsubscribe } from './emitter';

export type ConnectionMode = 'local' | 'attached';

/** local: mirrors HubState. attached: 'running' while the monitor socket is up, 'disconnected' once it drops. */
export type ConnectionState = 'starting' | 'running' | 'stopping' | 'stopped' | 'disconnected';

export type ChangeKind = 'state' | 'agents' | 'sessions' | 'activity' | 'transport' | 'log';

/** What the views need of one agent: the monitor's agent shape with the presence always known. AgentSnapshot
 *  satisfies it; a monitor's AGENT_STATUS_UPDATE entry is normalised into it (toAgentView). */
export interface AgentView extends MonitorAgent {
  status: AgentPresence;
}

export interface StatusLineView {
  time: string;
  agent_id: string | null;
  text: string;
}

export interface SessionView {
  session_id: string;
  name: string;
  connected: boolean;
  connected_at?: string;
  status_lines: StatusLineView[];
}

/** One row under an agent: a status line it emitted or a structured event. */
export interface ActivityItem {
  kind: 'status' | 'event';
  /** Epoch ms. */
  time: number;
  text: string;
  session_id?: string | null;
  event_type?: string;
}

/** The bus's status as a window shows it; kind 'remote' when it only watches another window's hub and cannot see its bus. */
export type TransportView = Omit<BusStatus, 'kind'> & { kind: BusKind | 'remote' };

export interface ConnectionInfo {
  mode: ConnectionMode;
  state: ConnectionState;
  hubId: string;
  host: string;
  port: number;
  /** ws://…/ws?token=… for agents; empty while unknown. */
  agentUrl: string;
  monitorUrl: string;
  /** Who owns the hub when attached (pid from the hub file), for tooltips and messages. */
  ownerPid?: number;
}

export type ExportFormat = 'ndjson' | 'csv';

export interface HubConnection {
  readonly mode: ConnectionMode;
  readonly state: ConnectionState;
  info(): ConnectionInfo;
  agents(): readonly AgentView[];
  agent(id: string): AgentView | undefined;
  sessions(): readonly SessionView[];
  /** Latest status lines and events of one agent, newest first, bounded. */
  activity(agentId: string): readonly ActivityItem[];
  transport(): TransportView;
  /** Fires with the kinds of data that changed; consumers debounce. */
  onDidChange(listener: (kind: ChangeKind) => void): Unsubscribe;
  /** The newest `max` event-log entries this connection can see, oldest first. */
  recentEntries(max: number): LogEntry[];
  /** Event-log entries as they arrive. Costs nothing while nobody listens (the hub's 'log' event is only subscribed
   *  while a listener exists). */
  onEntries(listener: (entries: LogEntry[]) => void): Unsubscribe;
  /** Agents that changed (`full` when the list is complete). */
  onAgents(listener: (agents: AgentView[], full: boolean) => void): Unsubscribe;
  /** Resolves with the message id the hub assigned. */
  send(input: SendMessageInput): Promise<string>;
  broadcast(text: string): Promise<void>;
  control(action: ControlAction, agentId: string | 'all'): Promise<void>;
  exportLog(format: ExportFormat): Promise<string>;
  /** local: empties the hub's event log. attached: forgets what this window buffered (the owner's log is untouched). */
  clearLog(): Promise<void>;
  close(): Promise<void>;
}

/** Normalises an agent from either source: presence from `status` or `is_online`, status text under one name. */
export function toAgentView(a: MonitorAgent): AgentView {
  const status: AgentPresence = a.status ?? (a.is_online ? 'online' : 'offline');
  const text = a.last_status_text ?? a.status_text;
  return text === undefined ? { ...a, status } : { ...a, status, last_status_text: text };
}
