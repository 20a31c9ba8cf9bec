// Typed messages between the Monitor webview and its host (the VS Code panel, or the browser page's WebSocket data
// source), each declared once as a constant, plus the `MonitorSource` contract the extension implements for the panel.

import { isControlAction, type AgentPresence, type ControlAction, type SendMessageInput } from './messageTypes';
import type { LogEntry } from './logEntry';
import type { ReconstructionT } from './contextSchemas';

/** One agent as the monitor shows it. Both AgentSnapshot (in-process hub) and an AGENT_STATUS_UPDATE entry (a hub
 *  reached as a monitor over WebSocket) fit this shape, so a host can pass either through unchanged. */
export interface MonitorAgent {
  agent_id: string;
  agent_name: string;
  is_online: boolean;
  last_seen: string | null;
  status?: AgentPresence;
  namespace?: string;
  hub_id?: string;
  connected_at?: string | null;
  remote_address?: string;
  messages_in?: number;
  messages_out?: number;
  held_messages?: number;
  /** AgentSnapshot's name for the latest status line. */
  last_status_text?: string | null;
  /** AGENT_STATUS_UPDATE's name for the latest status line. */
  status_text?: string | null;
}

/** What the monitor knows about the hub it watches. */
export interface MonitorHubInfo {
  hub_id: string | null;
  /** 'running' when the data flows; other HubState values, or 'connecting'/'disconnected' for a browser page. */
  state: string;
  /** 'local': the hub runs in this VS Code window; 'attached': this window watches another window's hub as a
   *  monitor; 'browser': the /monitor page. Shown in the header. */
  mode: 'local' | 'attached' | 'browser';
  agent_url?: string;
}

// --- webview → host: commands ----------------------------------------------------------------------------------

export const WebviewCommand = {
  /** The webview has loaded and listens: the host posts nothing before it (then a Snapshot). */
  Ready: 'ready',
  /** Ask for a fresh Snapshot (after a gap, or when the person presses "reload"). */
  RequestSnapshot: 'requestSnapshot',
  /** Send a chat message as the person at the UI; answered by CommandResult with the same request_id. */
  SendMessage: 'sendMessage',
  /** Pause/resume/deregister/reregister an agent (or 'all'); answered by CommandResult. */
  ControlAgent: 'controlAgent',
  /** A script error in the webview, for the host's log. */
  ReportError: 'reportError',
  /** A button of the reconstruction report (Copy JSON, Save…, Hand to agent…, Summarise); answered by CommandResult. */
  ReconstructionAction: 'reconstructionAction',
  /** Approve or deny a pending tool call (TOOL_APPROVAL_DECISION); answered by CommandResult. */
  DecideApproval: 'decideApproval',
  /** A page of a topic's older messages (seed 004 HISTORY with before_id); answered by TopicHistory. */
  LoadTopicHistory: 'loadTopicHistory',
  /** A message-debugger frame (DEBUG_SET_BREAKPOINTS or DEBUG_ACTION) for the hub (issue 20); answered by CommandResult. */
  Debug: 'debug',
} as const;

export type ReadyCommand = { type: typeof WebviewCommand.Ready };
export type RequestSnapshotCommand = { type: typeof WebviewCommand.RequestSnapshot };
export type SendMessageCommand = { type: typeof WebviewCommand.SendMessage; request_id: string; message: SendMessageInput };
export type ControlAgentCommand = {
  type: typeof WebviewCommand.ControlAgent;
  request_id: string;
  action: ControlAction;
  agent_id: string;
};
export type ReportErrorCommand = { type: typeof WebviewCommand.ReportError; message: string };
export type ReconstructionActionKind = 'copyJson' | 'save' | 'handOver' | 'summarise';
export type ReconstructionActionCommand = {
  type: typeof WebviewCommand.ReconstructionAction;
  request_id: string;
  action: ReconstructionActionKind;
  /** Which report the button belongs to (the host acts only on the one it showed). */
  reconstruction_id: string;
};

export type DecideApprovalCommand = {
  type: typeof WebviewCommand.DecideApproval;
  request_id: string;
  approval_id: string;
  approved: boolean;
  note?: string;
};

export type WebviewToHost =
  | ReadyCommand
  | RequestSnapshotCommand
  | SendMessageCommand
  | ControlAgentCommand
  | ReportErrorCommand
  | ReconstructionActionCommand
  | DecideApprovalCommand
  | LoadTopicHistoryCommand
  | DebugCommand;

/** `topic` is `namespace:topic` (a monitor sees every namespace); `before_id` exclusive, absent for the latest page. */
export type LoadTopicHistoryCommand = {
  type: typeof WebviewCommand.LoadTopicHistory;
  request_id: string;
  topic: string;
  before_id?: string;
  limit: number;
};

// --- host → webview: notifications -----------------------------------------------------------------------------

export const HostNotification = {
  /** Everything at once: replaces the webview's agents and entries (first after Ready, or after a hub change). */
  Snapshot: 'snapshot',
  /** New log entries, oldest first, batched by the host. `dropped` counts entries the host could not deliver. */
  Entries: 'entries',
  /** Agents that changed (`full: false`) or all of them (`full: true`). */
  Agents: 'agents',
  /** Hub id / state changed. */
  Hub: 'hub',
  /** The outcome of a SendMessage or ControlAgent command. */
  CommandResult: 'commandResult',
  /** Show one agent's detail pane (e.g. "Reveal in Monitor" from the Agents tree). */
  RevealAgent: 'revealAgent',
  /** Show a context reconstruction as a report (VS Code only: "Reconstruct Agent Context"). */
  Reconstruction: 'reconstruction',
  /** One agent-stream frame from the hub, as it came (SNAPSHOT, DIFF, STREAM_EVENT, RESYNC): seed 003. */
  AgentStream: 'agentStream',
  /** A page of a topic's stored messages (HISTORY_RESPONSE), oldest first, answering LoadTopicHistory. */
  TopicHistory: 'topicHistory',
  /** A message-debugger frame from the hub as it came (DEBUG_STATE, DEBUG_BREAKPOINTS, DEBUG_HELD, DEBUG_RELEASED, DEBUG_LOG). */
  Debugger: 'debugger',
} as const;

export type SnapshotNotification = {
  type: typeof HostNotification.Snapshot;
  hub: MonitorHubInfo;
  agents: MonitorAgent[];
  entries: LogEntry[];
};
export type EntriesNotification = { type: typeof HostNotification.Entries; entries: LogEntry[]; dropped?: number };
export type AgentsNotification = { type: typeof HostNotification.Agents; agents: MonitorAgent[]; full: boolean };
export type HubNotification = { type: typeof HostNotification.Hub; hub: MonitorHubInfo };
export type CommandResultNotification = {
  type: typeof HostNotification.CommandResult;
  request_id: string;
  ok: boolean;
  /** On success, e.g. the message id that was sent; on failure, what went wrong and what to do. */
  detail?: string;
};
export type RevealAgentNotification = { type: typeof HostNotification.RevealAgent; agent_id: string };
/** A language model's prose summary of a reconstruction, once the person agreed to send it. */
export interface ReconstructionSummary {
  model: string;
  text: string;
}
export type ReconstructionNotification = {
  type: typeof HostNotification.Reconstruction;
  reconstruction: ReconstructionT;
  summary?: ReconstructionSummary;
  /** false: update the report without switching the monitor to it (e.g. after a reload). Default true. */
  focus?: boolean;
};

/** The agent-stream frames the monitor shows (a subscriber's view of every agent). */
export const AGENT_STREAM_FRAME_TYPES: ReadonlySet<string> = new Set(['SNAPSHOT', 'DIFF', 'STREAM_EVENT', 'RESYNC']);
export type AgentStreamNotification = { type: typeof HostNotification.AgentStream; frame: Record<string, unknown> };

export type HostToWebview =
  | SnapshotNotification
  | EntriesNotification
  | AgentsNotification
  | HubNotification
  | CommandResultNotification
  | RevealAgentNotification
  | ReconstructionNotification
  | AgentStreamNotification
  | TopicHistoryNotification
  | DebuggerNotification;

/** `messages` are seed 004 stored topic messages (id, namespace, topic_published_to, sender, payload, thread…). */
export type TopicHistoryNotification = {
  type: typeof HostNotification.TopicHistory;
  request_id: string;
  topic: string;
  messages: Record<string, unknown>[];
  /** How many were asked for: a shorter page means the topic's beginning was reached. */
  limit?: number;
};

// --- the host's data: implemented by the extension (in-process hub, or a hub attached to as a monitor) --------

export interface MonitorSubscription {
  dispose(): void;
}

/** Where the Monitor panel gets its data and sends its actions. vscode.Disposable fits MonitorSubscription. */
export interface MonitorSource {
  /** The current picture: hub info, every agent and the newest `maxEntries` log entries (oldest first). */
  snapshot(maxEntries: number): { hub: MonitorHubInfo; agents: MonitorAgent[]; entries: LogEntry[] };
  /** Every log entry as it is appended (the panel batches them). */
  onEntries(listener: (entries: LogEntry[]) => void): MonitorSubscription;
  /** Agents that changed (`full` when the list is complete). */
  onAgents(listener: (agents: MonitorAgent[], full: boolean) => void): MonitorSubscription;
  /** Hub state or id changed (start, stop, restart, attach); the panel sends a new Snapshot. */
  onHub(listener: (hub: MonitorHubInfo) => void): MonitorSubscription;
  /** Resolves with the message id; rejects with an Error whose message says what to do. */
  sendMessage(input: SendMessageInput): Promise<string>;
  controlAgent(action: ControlAction, agentId: string): Promise<void>;
  /** Every agent's stream frames (SNAPSHOT first, then DIFF/STREAM_EVENT/RESYNC); absent: the panel has none. */
  onAgentStream?(listener: (frame: Record<string, unknown>) => void): MonitorSubscription;
  /** Decides a pending tool approval; rejects with the hub's reason (decided already, unknown id). */
  decideApproval?(approvalId: string, approved: boolean, note?: string): Promise<void>;
  /** A topic's stored messages before an id (HISTORY with before_id), oldest first; absent: no Load older. */
  topicHistory?(topic: string, beforeId: string | undefined, limit: number): Promise<Record<string, unknown>[]>;
  /** The message debugger's frames for this panel (DEBUG_STATE first); absent: the panel has no debugger (issue 20). */
  onDebugger?(listener: (frame: Record<string, unknown>) => void): MonitorSubscription;
  /** A DEBUG_SET_BREAKPOINTS or DEBUG_ACTION from the panel; rejects with the debugger's reason (unknown held id…). */
  debugCommand?(frame: Record<string, unknown>): Promise<void>;
}

// --- validation at the boundary (postMessage data is `unknown` until checked) ---------------------------------

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
const isStr = (v: unknown): v is string => typeof v === 'string';
const optStr = (v: unknown): boolean => v === undefined || typeof v === 'string';
const RECONSTRUCTION_ACTIONS: ReadonlySet<string> = new Set<ReconstructionActionKind>(['copyJson', 'save', 'handOver', 'summarise']);

/** Checks a message from the webview before the host acts on it. Bounded sizes: a webview is not trusted input. */
export function parseWebviewCommand(data: unknown): WebviewToHost | undefined {
  if (!isRecord(data) || !isStr(data.type)) return undefined;
  switch (data.type) {
    case WebviewCommand.Ready:
    case WebviewCommand.RequestSnapshot:
      return { type: data.type };
    case WebviewCommand.SendMessage: {
      const m = data.message;
      if (!isStr(data.request_id) || !isRecord(m)) return undefined;
      if (!isStr(m.receiver_id) || m.receiver_id.length === 0 || m.receiver_id.length > 256) return undefined;
      if (!isStr(m.text_payload) || m.text_payload.length > 1_048_576) return undefined;
      if (m.message_type !== undefined && m.message_type !== 'TEXT' && m.message_type !== 'SYSTEM') return undefined;
      if (!optStr(m.in_reply_to_message_id) || !optStr(m.thread)) return undefined;
      const message: SendMessageInput = { receiver_id: m.receiver_id, text_payload: m.text_payload };
      if (m.message_type) message.message_type = m.message_type;
      if (isStr(m.in_reply_to_message_id)) message.in_reply_to_message_id = m.in_reply_to_message_id;
      if (isStr(m.thread)) message.thread = m.thread;
      return { type: data.type, request_id: data.request_id, message };
    }
    case WebviewCommand.ControlAgent:
      if (!isStr(data.request_id) || !isStr(data.agent_id) || !isStr(data.action)) return undefined;
      if (!isControlAction(data.action)) return undefined;
      return {
        type: data.type,
        request_id: data.request_id,
        action: data.action,
        agent_id: data.agent_id,
      };
    case WebviewCommand.ReportError:
      return isStr(data.message) ? { type: data.type, message: data.message.slice(0, 4000) } : undefined;
    case WebviewCommand.ReconstructionAction:
      if (!isStr(data.request_id) || !isStr(data.action) || !RECONSTRUCTION_ACTIONS.has(data.action)) return undefined;
      if (!isStr(data.reconstruction_id) || data.reconstruction_id.length > 256) return undefined;
      return {
        type: data.type,
        request_id: data.request_id,
        action: data.action as ReconstructionActionKind,
        reconstruction_id: data.reconstruction_id,
      };
    case WebviewCommand.DecideApproval: {
      if (!isStr(data.request_id) || !isStr(data.approval_id) || data.approval_id.length === 0 || data.approval_id.length > 256) return undefined;
      if (typeof data.approved !== 'boolean' || !optStr(data.note)) return undefined;
      const cmd: DecideApprovalCommand = { type: data.type, request_id: data.request_id, approval_id: data.approval_id, approved: data.approved };
      if (isStr(data.note) && data.note) cmd.note = data.note.slice(0, 4096);
      return cmd;
    }
    case WebviewCommand.LoadTopicHistory: {
      if (!isStr(data.request_id) || !isStr(data.topic) || data.topic.length === 0 || data.topic.length > 300) return undefined;
      if (!optStr(data.before_id) || (isStr(data.before_id) && !/^[0-9]{1,20}$/.test(data.before_id))) return undefined;
      const limit = typeof data.limit === 'number' && Number.isInteger(data.limit) ? Math.min(1000, Math.max(1, data.limit)) : 100;
      const cmd: LoadTopicHistoryCommand = { type: data.type, request_id: data.request_id, topic: data.topic, limit };
      if (isStr(data.before_id)) cmd.before_id = data.before_id;
      return cmd;
    }
    case WebviewCommand.Debug: {
      const f = data.frame;
      if (!isStr(data.request_id) || !isRecord(f) || !isStr(f.message_type) || !DEBUG_COMMAND_FRAME_TYPES.has(f.message_type)) return undefined;
      if (JSON.stringify(f).length > 1_048_576) return undefined;
      return { type: data.type, request_id: data.request_id, frame: f };
    }
    default:
      return undefined;
  }
}

const NOTIFICATION_TYPES: ReadonlySet<string> = new Set(Object.values(HostNotification));

/** Shallow check of a host notification in the webview: the type and the shape of its arrays. */
export function parseHostNotification(data: unknown): HostToWebview | undefined {
  if (!isRecord(data) || !isStr(data.type) || !NOTIFICATION_TYPES.has(data.type)) return undefined;
  switch (data.type) {
    case HostNotification.Snapshot:
      return isRecord(data.hub) && Array.isArray(data.agents) && Array.isArray(data.entries)
        ? (data as unknown as SnapshotNotification)
        : undefined;
    case HostNotification.Entries:
      return Array.isArray(data.entries) ? (data as unknown as EntriesNotification) : undefined;
    case HostNotification.Agents:
      return Array.isArray(data.agents) && typeof data.full === 'boolean' ? (data as unknown as AgentsNotification) : undefined;
    case HostNotification.Hub:
      return isRecord(data.hub) ? (data as unknown as HubNotification) : undefined;
    case HostNotification.CommandResult:
      return isStr(data.request_id) && typeof data.ok === 'boolean' ? (data as unknown as CommandResultNotification) : undefined;
    case HostNotification.RevealAgent:
      return isStr(data.agent_id) ? (data as unknown as RevealAgentNotification) : undefined;
    case HostNotification.Reconstruction: {
      const r = data.reconstruction;
      const ok =
        isRecord(r) &&
        isStr(r.request_id) &&
        isStr(r.failed_agent_id) &&
        Array.isArray(r.timeline) &&
        Array.isArray(r.unanswered_messages) &&
        Array.isArray(r.peer_agents_queried) &&
        Array.isArray(r.peers_answered) &&
        Array.isArray(r.peers_silent) &&
        isRecord(r.memory_states);
      return ok ? (data as unknown as ReconstructionNotification) : undefined;
    }
    case HostNotification.AgentStream:
      return isRecord(data.frame) && isStr(data.frame.message_type) && AGENT_STREAM_FRAME_TYPES.has(data.frame.message_type)
        ? (data as unknown as AgentStreamNotification)
        : undefined;
    case HostNotification.TopicHistory:
      return isStr(data.request_id) && isStr(data.topic) && Array.isArray(data.messages) && data.messages.every(isRecord)
        ? (data as unknown as TopicHistoryNotification)
        : undefined;
    case HostNotification.Debugger:
      return isRecord(data.frame) && isStr(data.frame.message_type) && DEBUG_NOTIFICATION_FRAME_TYPES.has(data.frame.message_type)
        ? (data as unknown as DebuggerNotification)
        : undefined;
    default:
      return undefined;
  }
}

// --- the message debugger in the monitor (issue 20) ------------------------------------------------------------

/** The frames a monitor sends its hub's debugger (the browser page as they are; the panel's host through hub.debugger). */
export const DEBUG_COMMAND_FRAME_TYPES: ReadonlySet<string> = new Set(['DEBUG_ATTACH', 'DEBUG_SET_BREAKPOINTS', 'DEBUG_ACTION']);
/** The frames the hub's debugger announces to a monitor. */
export const DEBUG_NOTIFICATION_FRAME_TYPES: ReadonlySet<string> = new Set(['DEBUG_STATE', 'DEBUG_BREAKPOINTS', 'DEBUG_ALL_BREAKPOINTS', 'DEBUG_HELD', 'DEBUG_RELEASED', 'DEBUG_LOG']);
export type DebugCommand = { type: typeof WebviewCommand.Debug; request_id: string; frame: Record<string, unknown> };
export type DebuggerNotification = { type: typeof HostNotification.Debugger; frame: Record<string, unknown> };
