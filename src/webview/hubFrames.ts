// Browser mode speaks the hub's monitor protocol directly: this turns hub frames into the same notifications the
// VS Code host posts, and the webview's commands into hub frames. Pure (no socket), tested in plain Node.

import { CONTROL_MESSAGE_TYPES, MessageType } from '../protocol/messageTypes';
import { newMessageId } from '../protocol/ids';

/** Seed 004's topic history frames (named here rather than imported: protocol/topics pulls TypeBox into the page). */
const TopicMessageType = { HISTORY: 'HISTORY', HISTORY_RESPONSE: 'HISTORY_RESPONSE' } as const;import {
  AGENT_STREAM_FRAME_TYPES,
  DEBUG_COMMAND_FRAME_TYPES,
  DEBUG_NOTIFICATION_FRAME_TYPES,
  HostNotification,
  WebviewCommand,
  type HostToWebview,
  type MonitorAgent,
  type WebviewToHost,
} from '../protocol/webviewMessages';


/** How much history a page asks for when it registers; the model keeps at most its capacity anyway. */
export const MONITOR_BACKLOG = 5_000;

export function registerMonitorFrame(name: string, backlog = MONITOR_BACKLOG): Record<string, unknown> {
  return { message_type: MessageType.REGISTER_MONITOR, monitor_name: name, backlog };
}

/** Sent once registered: every agent's stream (SNAPSHOTs at once, then DIFFs and events) for the Agent pane. */
/** Sent once registered too: the hub's message debugger announces its breakpoints and held messages (issue 20). */
export function debugAttachFrame(): Record<string, unknown> {
  return { message_type: 'DEBUG_ATTACH' };
}

export function subscribeStreamsFrame(): Record<string, unknown> {
  return { message_type: MessageType.MONITOR_SUBSCRIBE };
}

/** Whether a frame is the hub accepting this page's registration (time to subscribe to the agent streams). */
export function isRegistered(frame: unknown): boolean {
  const f = frame as Record<string, unknown> | null;
  return typeof f === 'object' && f !== null && f.message_type === MessageType.REGISTER_MONITOR_RESPONSE && f.status === 'success';
}

export interface CommandTranslation {
  /** Frames to send to the hub, in order. */
  frames: Record<string, unknown>[];
  /** What the webview hears back at once (the hub does not acknowledge chat or control). */
  reply?: HostToWebview;
}

/** Keeps the monitor id and hub id of the current connection; one per page. */
export class HubFrameTranslator {
  private monitorId: string | null = null;
  private hubId: string | null = null;
  /** "Load older" pages asked for over this socket, by the HISTORY's request_id (bounded: the hub answers each). */
  private readonly historyAsked = new Map<string, { request_id: string; topic: string; limit: number }>();

  get connectedAs(): string | null {
    return this.monitorId;
  }

  /** The socket closed: commands fail until the next registration. */
  disconnected(): HostToWebview {
    this.monitorId = null;
    return { type: HostNotification.Hub, hub: { hub_id: this.hubId, state: 'disconnected', mode: 'browser' } };
  }

  fromHub(frame: unknown): HostToWebview[] {
    if (typeof frame !== 'object' || frame === null) return [];
    const f = frame as Record<string, unknown>;
    switch (f.message_type) {
      case MessageType.REGISTER_MONITOR_RESPONSE: {
        if (f.status !== 'success') {
          const why = typeof f.message === 'string' ? f.message : 'registration refused';
          return [{ type: HostNotification.Hub, hub: { hub_id: this.hubId, state: `refused: ${why}`, mode: 'browser' } }];
        }
        this.monitorId = typeof f.monitor_id === 'string' ? f.monitor_id : null;
        const hubId = typeof f.hub_id === 'string' ? f.hub_id : null;
        const hub = { hub_id: hubId, state: 'running', mode: 'browser' as const };
        const sameHub = this.hubId !== null && hubId === this.hubId;
        this.hubId = hubId;
        // A reconnect to the same hub keeps the rows (the model skips the re-sent backlog by seq); a first
        // connection or a different hub starts from an empty picture.
        return sameHub
          ? [{ type: HostNotification.Hub, hub }]
          : [{ type: HostNotification.Snapshot, hub, agents: [], entries: [] }];
      }
      case MessageType.AGENT_STATUS_UPDATE:
        if (!Array.isArray(f.agents)) return [];
        return [{ type: HostNotification.Agents, agents: f.agents as MonitorAgent[], full: f.is_full_update === true }];
      case MessageType.MONITOR_EVENTS: {
        if (!Array.isArray(f.entries)) return [];
        const dropped = typeof f.dropped === 'number' && f.dropped > 0 ? f.dropped : undefined;
        return [{ type: HostNotification.Entries, entries: f.entries as never[], ...(dropped ? { dropped } : {}) }];
      }
      case TopicMessageType.HISTORY_RESPONSE: {
        const asked = typeof f.request_id === 'string' ? this.historyAsked.get(f.request_id) : undefined;
        if (!asked || !Array.isArray(f.messages)) return [];
        this.historyAsked.delete(f.request_id as string);
        return [{ type: HostNotification.TopicHistory, request_id: asked.request_id, topic: asked.topic, limit: asked.limit, messages: f.messages as Record<string, unknown>[] }];
      }
      case MessageType.ERROR: {
        const asked = typeof f.request_id === 'string' ? this.historyAsked.get(f.request_id) : undefined;
        if (asked) {
          this.historyAsked.delete(f.request_id as string);
          const why = typeof f.text_payload === 'string' ? f.text_payload : 'the hub refused the history request';
          return [{ type: HostNotification.CommandResult, request_id: asked.request_id, ok: false, detail: why }];
        }
        const text = typeof f.text_payload === 'string' ? f.text_payload : 'The hub reported an error.';
        return [{ type: HostNotification.CommandResult, request_id: 'hub-error', ok: false, detail: text }];
      }
      case 'DEBUG_ACTION_RESULT':
        // a debugger action the hub refused (released meanwhile, an invalid edit) is told like an ERROR; done is silent
        if (f.ok === true) return [];
        return [{ type: HostNotification.CommandResult, request_id: 'hub-error', ok: false, detail: typeof f.error === 'string' ? f.error : 'The hub refused the debugger action.' }];
      case MessageType.SHUTDOWN:
        return [{ type: HostNotification.Hub, hub: { hub_id: this.hubId, state: 'stopped', mode: 'browser' } }];
      default:
        if (typeof f.message_type === 'string' && AGENT_STREAM_FRAME_TYPES.has(f.message_type)) return [{ type: HostNotification.AgentStream, frame: f }];
        if (typeof f.message_type === 'string' && DEBUG_NOTIFICATION_FRAME_TYPES.has(f.message_type)) return [{ type: HostNotification.Debugger, frame: f }];
        return [];
    }
  }

  toHub(cmd: WebviewToHost, now: () => string = () => new Date().toISOString()): CommandTranslation {
    switch (cmd.type) {
      case WebviewCommand.SendMessage: {
        if (!this.monitorId) return { frames: [], reply: notConnected(cmd.request_id) };
        const m = cmd.message;
        const messageId = newMessageId();
        const frame: Record<string, unknown> = {
          message_type: m.message_type ?? MessageType.TEXT,
          message_id: messageId,
          sender_id: this.monitorId,
          receiver_id: m.receiver_id,
          text_payload: m.text_payload,
          send_timestamp: now(),
        };
        if (m.in_reply_to_message_id) frame.in_reply_to_message_id = m.in_reply_to_message_id;
        if (m.thread) frame.thread = m.thread;
        return {
          frames: [frame],
          reply: { type: HostNotification.CommandResult, request_id: cmd.request_id, ok: true, detail: messageId },
        };
      }
      case WebviewCommand.ControlAgent: {
        if (!this.monitorId) return { frames: [], reply: notConnected(cmd.request_id) };
        const frame =
          cmd.agent_id === 'all'
            ? { message_type: CONTROL_MESSAGE_TYPES[cmd.action].all }
            : { message_type: CONTROL_MESSAGE_TYPES[cmd.action].one, agent_id: cmd.agent_id, receiver_id: cmd.agent_id };
        return { frames: [frame], reply: { type: HostNotification.CommandResult, request_id: cmd.request_id, ok: true } };
      }
      case WebviewCommand.DecideApproval: {
        if (!this.monitorId) return { frames: [], reply: notConnected(cmd.request_id) };
        const frame: Record<string, unknown> = {
          message_type: MessageType.TOOL_APPROVAL_DECISION,
          message_id: newMessageId(),
          sender_id: this.monitorId,
          approval_id: cmd.approval_id,
          approved: cmd.approved,
        };
        if (cmd.note) frame.note = cmd.note;
        // the hub confirms with an approval_decided STREAM_EVENT naming this page, or refuses with an ERROR
        return { frames: [frame], reply: { type: HostNotification.CommandResult, request_id: cmd.request_id, ok: true, detail: 'sent' } };
      }
      case WebviewCommand.LoadTopicHistory: {
        if (!this.monitorId) return { frames: [], reply: notConnected(cmd.request_id) };
        const hubRequest = `hist-${newMessageId()}`;
        if (this.historyAsked.size >= 64) this.historyAsked.delete(this.historyAsked.keys().next().value!);
        this.historyAsked.set(hubRequest, { request_id: cmd.request_id, topic: cmd.topic, limit: cmd.limit });
        const frame: Record<string, unknown> = { message_type: TopicMessageType.HISTORY, topic: cmd.topic, limit: cmd.limit, request_id: hubRequest };
        if (cmd.before_id) frame.before_id = cmd.before_id;
        return { frames: [frame] };
      }
      case WebviewCommand.Debug: {
        if (!this.monitorId) return { frames: [], reply: notConnected(cmd.request_id) };
        if (typeof cmd.frame.message_type !== 'string' || !DEBUG_COMMAND_FRAME_TYPES.has(cmd.frame.message_type)) return { frames: [] };
        // the hub answers with DEBUG_BREAKPOINTS / DEBUG_RELEASED and DEBUG_ACTION_RESULT (done or refused)
        return { frames: [{ ...cmd.frame, message_id: newMessageId() }], reply: { type: HostNotification.CommandResult, request_id: cmd.request_id, ok: true, detail: 'sent' } };
      }
      case WebviewCommand.RequestSnapshot:
        return this.monitorId ? { frames: [{ message_type: MessageType.REQUEST_AGENT_STATUS }] } : { frames: [] };
      case WebviewCommand.Ready:
      case WebviewCommand.ReportError:
        return { frames: [] };
      default:
        return { frames: [] };
    }
  }
}

function notConnected(requestId: string): HostToWebview {
  return {
    type: HostNotification.CommandResult,
    request_id: requestId,
    ok: false,
    detail: 'Not connected to the hub. Check that it is running; the page reconnects on its own.',
  };
}
