// What front-ends and monitors share: the agent directory fed by AGENT_STATUS_UPDATE, chat out (TEXT/SYSTEM),
// agent control, chat in, STATUS lines, and waiting for the reply to a message sent.

import { SwitchboardError } from '../protocol/errors';
import { isoNow, newMessageId } from '../protocol/ids';
import { CHAT_TYPES, CONTROL_MESSAGE_TYPES, MessageType, type ControlAction } from '../protocol/messageTypes';
import type { AgentStatusEntryT, Envelope } from '../protocol/schemas';
import { ClientSocket } from './clientSocket';


/** A status line received for this client's session (or, for monitors, any session). */
export interface StatusLine {
  agent_id: string | null;
  session_id: string | null;
  text: string;
  time: string;
}

export interface SendOptions {
  message_type?: 'TEXT' | 'SYSTEM';
  thread?: string;
  in_reply_to_message_id?: string;
}

interface Waiter {
  resolve: (m: Envelope) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/** Replies that arrived before anyone waited for them; bounded, oldest forgotten first. */
const EARLY_REPLIES_MAX = 1000;

export abstract class ObserverClient extends ClientSocket {
  protected selfId: string | undefined;
  private readonly directory = new Map<string, AgentStatusEntryT>();
  private fullUpdates = 0;
  private readonly agentListeners: ((agents: AgentStatusEntryT[], full: boolean) => void)[] = [];
  private readonly messageListeners: ((m: Envelope) => void)[] = [];
  private readonly statusListeners: ((line: StatusLine) => void)[] = [];
  private readonly errorListeners: ((m: Envelope) => void)[] = [];
  private readonly waiters = new Map<string, Waiter>();
  private readonly earlyReplies = new Map<string, Envelope>();
  private readonly fullUpdateWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private readonly frameListeners: ((m: Envelope) => void)[] = [];

  get id(): string | undefined {
    return this.selfId;
  }

  /** The agents as the hub last described them, by id. */
  agents(): Map<string, AgentStatusEntryT> {
    return new Map(this.directory);
  }

  /** Changed agents (full = the whole list, which replaced the directory). */
  onAgents(listener: (agents: AgentStatusEntryT[], full: boolean) => void): void {
    this.agentListeners.push(listener);
  }

  /** Chat (TEXT/REPLY/SYSTEM) that reaches this client: addressed to it, broadcasts, and copies when it watches all (watch_all). */
  onMessage(listener: (m: Envelope) => void): void {
    this.messageListeners.push(listener);
  }

  onStatus(listener: (line: StatusLine) => void): void {
    this.statusListeners.push(listener);
  }

  /** ERROR frames from the hub (unknown receiver, invalid frame, …). */
  onError(listener: (m: Envelope) => void): void {
    this.errorListeners.push(listener);
  }

  /** Resolves once a full AGENT_STATUS_UPDATE has arrived (the hub sends one right after registration). */
  waitForAgents(timeoutMs = 5000): Promise<Map<string, AgentStatusEntryT>> {
    if (this.fullUpdates > 0) return Promise.resolve(this.agents());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new SwitchboardError('timeout', `The hub sent no agent list within ${timeoutMs} ms.`)), timeoutMs);
      this.fullUpdateWaiters.push({
        resolve: () => {
          clearTimeout(timer);
          resolve(this.agents());
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
    });
  }

  /** TEXT (or SYSTEM) to an agent, "broadcast" or "broker"; resolves with the message id once written. */
  async send(receiverId: string, text: string, opts: SendOptions = {}): Promise<string> {
    const frame: Envelope = {
      message_type: opts.message_type ?? MessageType.TEXT,
      message_id: newMessageId(),
      sender_id: this.selfId ?? null,
      receiver_id: receiverId,
      text_payload: text,
      send_timestamp: isoNow(),
    };
    if (opts.thread) frame.thread = opts.thread;
    if (opts.in_reply_to_message_id) frame.in_reply_to_message_id = opts.in_reply_to_message_id;
    await this.sendFrame(frame);
    return frame.message_id as string;
  }

  /** Pause/resume/deregister/reregister one agent or 'all'. */
  control(action: ControlAction, agentId: string | 'all'): Promise<void> {
    const types = CONTROL_MESSAGE_TYPES[action];
    if (agentId === 'all') return this.sendFrame({ message_type: types.all, sender_id: this.selfId ?? null });
    return this.sendFrame({ message_type: types.one, agent_id: agentId, receiver_id: agentId, sender_id: this.selfId ?? null });
  }

  /** Empty every held-message queue on the hub. */
  resetQueues(): Promise<void> {
    return this.sendFrame({ message_type: MessageType.RESET_ALL_QUEUES, sender_id: this.selfId ?? null });
  }

  /** Ask for a full AGENT_STATUS_UPDATE now. */
  requestAgentStatus(): Promise<void> {
    return this.sendFrame({ message_type: MessageType.REQUEST_AGENT_STATUS, sender_id: this.selfId ?? null });
  }

  /**
   * The first chat message that answers messageId (in_reply_to_message_id). Rejects on timeout, or when the hub
   * answers with an ERROR that names the message (ref_message_id / in_reply_to_message_id).
   */
  waitForReply(messageId: string, timeoutMs = 30_000): Promise<Envelope> {
    const early = this.earlyReplies.get(messageId);
    if (early) {
      this.earlyReplies.delete(messageId);
      return early.message_type === MessageType.ERROR ? Promise.reject(errorFromFrame(early)) : Promise.resolve(early);
    }
    if (this.waiters.has(messageId)) return Promise.reject(new SwitchboardError('invalid_message', `Already waiting for a reply to ${messageId}.`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(messageId);
        reject(new SwitchboardError('timeout', `No reply to ${messageId} within ${timeoutMs} ms.`, { retriable: true }));
      }, timeoutMs);
      this.waiters.set(messageId, { resolve, reject, timer });
    });
  }

  override async close(reason?: string): Promise<void> {
    for (const [id, w] of this.waiters) {
      clearTimeout(w.timer);
      w.reject(new SwitchboardError('shutdown', `The client closed while waiting for a reply to ${id}.`));
    }
    this.waiters.clear();
    for (const w of this.fullUpdateWaiters.splice(0)) w.reject(new SwitchboardError('shutdown', 'The client closed before the hub sent its agent list.'));
    await super.close(reason);
  }

  /** Frames only this role understands (MONITOR_EVENTS for monitors). Return true when handled. */
  protected handleRoleFrame(_m: Envelope): boolean {
    return false;
  }

  /** Every valid inbound frame, before the built-in handling (agent streams: SNAPSHOT, DIFF, STREAM_EVENT, RESYNC). */
  onFrame(listener: (m: Envelope) => void): () => void {
    this.frameListeners.push(listener);
    return () => {
      const i = this.frameListeners.indexOf(listener);
      if (i >= 0) this.frameListeners.splice(i, 1);
    };
  }

  /** Send any protocol frame (validated against its registered schema); sender_id defaults to this client's id. */
  sendRaw(frame: Envelope): Promise<void> {
    return this.sendFrame({ ...frame, sender_id: frame.sender_id ?? this.selfId ?? null });
  }

  protected handleFrame(m: Envelope): void {
    const type = m.message_type;
    for (const l of [...this.frameListeners]) {
      try {
        l(m);
      } catch (err) {
        this.logger.warn(`frame listener threw: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (this.handleRoleFrame(m)) return;
    if (type === MessageType.AGENT_STATUS_UPDATE) {
      this.applyAgents(m);
      return;
    }
    if (CHAT_TYPES.has(type)) {
      this.settleWaiter(m);
      for (const l of this.messageListeners) l(m);
      return;
    }
    if (type === MessageType.STATUS) {
      const line: StatusLine = {
        agent_id: typeof m.sender_id === 'string' ? m.sender_id : null,
        session_id: typeof m.session_id === 'string' ? m.session_id : null,
        text: typeof m.text_payload === 'string' ? m.text_payload : '',
        time: typeof m.send_timestamp === 'string' ? m.send_timestamp : isoNow(),
      };
      for (const l of this.statusListeners) l(line);
      return;
    }
    if (type === MessageType.ERROR) {
      this.settleWaiter(m);
      for (const l of this.errorListeners) l(m);
      if (this.errorListeners.length === 0) this.logger.warn(`hub error: ${m.text_payload ?? ''}`);
    }
  }

  private applyAgents(m: Envelope): void {
    const list = (Array.isArray(m.agents) ? m.agents : []) as AgentStatusEntryT[];
    const full = m.is_full_update === true;
    if (full) this.directory.clear();
    for (const a of list) this.directory.set(a.agent_id, a);
    for (const l of this.agentListeners) l(list, full);
    if (full) {
      this.fullUpdates++;
      for (const w of this.fullUpdateWaiters.splice(0)) w.resolve();
    }
  }

  private settleWaiter(m: Envelope): void {
    const ref = m.message_type === MessageType.ERROR ? (m.ref_message_id ?? m.in_reply_to_message_id) : m.in_reply_to_message_id;
    if (ref === undefined || ref === null) return;
    const key = String(ref);
    // A copy of a reply meant for someone else is not ours to wait for.
    if (m.receiver_id && this.selfId && m.receiver_id !== this.selfId && m.message_type !== MessageType.ERROR) return;
    const waiter = this.waiters.get(key);
    if (!waiter) {
      if (this.earlyReplies.size >= EARLY_REPLIES_MAX) this.earlyReplies.delete(this.earlyReplies.keys().next().value as string);
      this.earlyReplies.set(key, m);
      return;
    }
    this.waiters.delete(key);
    clearTimeout(waiter.timer);
    if (m.message_type === MessageType.ERROR) waiter.reject(errorFromFrame(m));
    else waiter.resolve(m);
  }
}

function errorFromFrame(m: Envelope): SwitchboardError {
  const code = m.code === 'unknown_receiver' ? 'unknown_receiver' : 'internal';
  return new SwitchboardError(code, typeof m.text_payload === 'string' ? m.text_payload : 'The hub answered with an ERROR.');
}
