// AgentClient: what a Node agent uses to join a Switchboard hub — register (keeping its id across reconnects),
// answer PINGs, receive chat, reply, and emit STATUS lines for the front-end session it is serving without passing
// the session around (AsyncLocalStorage, like seed 000's contextvars).

import { SwitchboardError } from '../protocol/errors';
import { isoNow, newMessageId } from '../protocol/ids';
import type { Logger } from '../protocol/logger';
import { CHAT_TYPES, MessageType } from '../protocol/messageTypes';
import type { Envelope } from '../protocol/schemas';
import { ClientSocket, registrationRefused, type ClientSocketOptions } from './clientSocket';
import { currentSession, sessionOf, withSession } from './session';
import { ContextResponder, type RestoreHandler } from './contextResponder';
import { ToolApprovals, agentContextFrame, type ApprovalOptions, type ApprovalOutcome } from './toolApprovals';


/** The STATUS schema's limit on text_payload. */
const STATUS_MAX_CHARS = 65536;

export type ControlType = 'PAUSE_AGENT' | 'RESUME_AGENT' | 'DEREGISTER_AGENT' | 'REREGISTER_AGENT' | 'SHUTDOWN';
const CONTROL_TYPES: ReadonlySet<string> = new Set<ControlType>(['PAUSE_AGENT', 'RESUME_AGENT', 'DEREGISTER_AGENT', 'REREGISTER_AGENT', 'SHUTDOWN']);

export interface MessageContext {
  /** Answer this message (REPLY to its sender, in_reply_to its id). */
  reply(text: string): Promise<void>;
  /** The front-end session this message is part of, if any (also what status() uses inside the handler). */
  session: string | undefined;
}

export type MessageHandler = (message: Envelope, ctx: MessageContext) => void | Promise<void>;
export type ControlHandler = (type: string, message: Envelope) => void;

export interface AgentClientOptions extends ClientSocketOptions {
  /** Shown everywhere the agent appears. */
  name: string;
  /** Register under this id (seed "early agent" style); otherwise the hub picks one, kept for reconnects. */
  agentId?: string;
  /** Topic namespace (seed 004); the hub's default when absent. */
  namespace?: string;
  /** Seed 002: this agent replaces that failed one; the hub answers the registration with RESTORE_CONTEXT. */
  restoreFrom?: string;
  /** After a drop, re-register with restore_from = our own id: the hub tells us what we owed (demo agents do). */
  restoreOnReconnect?: boolean;
}

export class AgentClient extends ClientSocket {
  readonly name: string;
  private readonly namespace: string | undefined;
  private agentId: string | undefined;
  private readonly messageHandlers: MessageHandler[] = [];
  private readonly controlHandlers: ControlHandler[] = [];
  private readonly frameListeners: ((m: Envelope) => void)[] = [];
  private paused = false;
  private hungUntil = 0;
  private registrations = 0;
  private readonly restoreFrom: string | undefined;
  private readonly restoreOnReconnect: boolean;
  /** Seed 002 peer context: answers REQUEST_CONTEXT from our own chat log; setMemoryState(), onRestore(). */
  readonly context = new ContextResponder({ selfId: () => this.agentId, send: (m) => this.sendFrame(m), onError: (e) => this.logger.warn(`context: ${String(e)}`) });

  /** Seed 003: tool calls waiting on a person's decision. */
  private readonly approvals = new ToolApprovals((m) => this.sendFrame({ ...m, sender_id: this.agentId ?? null }));

  constructor(opts: AgentClientOptions) {
    super(opts, `agent:${opts.name}`);
    this.onState((state) => {
      if (state === 'reconnecting' || state === 'closed') this.approvals.connectionLost();
    });
    this.restoreFrom = opts.restoreFrom;
    this.restoreOnReconnect = opts.restoreOnReconnect ?? false;
    this.name = opts.name;
    this.agentId = opts.agentId;
    this.namespace = opts.namespace;
  }

  /** The id the hub registered us under (undefined before the first registration). */
  get id(): string | undefined {
    return this.agentId;
  }

  /** True between PAUSE_AGENT and RESUME_AGENT (the hub holds our chat meanwhile). */
  get isPaused(): boolean {
    return this.paused;
  }

  /** How many times this client has registered (1 after connect, +1 per reconnect). */
  get registrationCount(): number {
    return this.registrations;
  }

  /** Connect and register; rejects with a SwitchboardError that says what to do when the hub is absent or refuses. */
  async connect(): Promise<{ agent_id: string }> {
    await this.open();
    return { agent_id: this.agentId as string };
  }

  onMessage(handler: MessageHandler): void {
    this.messageHandlers.push(handler);
  }

  /** PAUSE_AGENT, RESUME_AGENT, DEREGISTER_AGENT, REREGISTER_AGENT and SHUTDOWN from the hub or a person. */
  onControl(handler: ControlHandler): void {
    this.controlHandlers.push(handler);
  }

  /**
   * Every valid inbound frame, before the built-in handling — for extensions (peer context, topics, tool approvals)
   * that understand message types this class does not.
   */
  onFrame(listener: (m: Envelope) => void): void {
    this.frameListeners.push(listener);
  }

  /** Send any protocol frame (validated against its registered schema); sender_id defaults to this agent's id. */
  sendRaw(frame: Envelope): Promise<void> {
    return this.sendFrame({ ...frame, sender_id: frame.sender_id ?? this.agentId ?? null });
  }

  /** REPLY to `to`'s sender, linked by in_reply_to_message_id; the session travels with it. */
  reply(to: Envelope, text: string): Promise<void> {
    const receiver = typeof to.sender_id === 'string' && to.sender_id ? to.sender_id : undefined;
    if (!receiver) return Promise.reject(new SwitchboardError('invalid_message', 'Cannot reply: the message has no sender_id.'));
    const frame = this.chatFrame(MessageType.REPLY, receiver, text, sessionOf(to) ?? currentSession());
    if (to.message_id !== undefined) frame.in_reply_to_message_id = to.message_id;
    if (typeof to.thread === 'string') frame.thread = to.thread;
    return this.sendFrame(frame);
  }

  /**
   * TEXT to another client. When called while serving a session, the session id travels along (`session_id`), so
   * the receiving agent's status lines reach the same front-end. Resolves with the message id.
   */
  async send(receiverId: string, text: string): Promise<string> {
    const frame = this.chatFrame(MessageType.TEXT, receiverId, text, currentSession());
    await this.sendFrame(frame);
    return frame.message_id as string;
  }

  /**
   * A status line ("searching the web…") for the session being served — found through AsyncLocalStorage: inside a
   * handler for a message from front-end web_x, or inside withSession(). With no session it reaches monitors only.
   */
  status(text: string): void {
    this.sendFrameNoWait({
      message_type: MessageType.STATUS,
      message_id: newMessageId(),
      sender_id: this.agentId ?? null,
      session_id: currentSession() ?? null,
      // A status line is a glance, not a document: cut rather than throw inside the caller's tool.
      text_payload: text.length > STATUS_MAX_CHARS ? text.slice(0, STATUS_MAX_CHARS - 1) + '…' : text,
      send_timestamp: isoNow(),
    });
  }

  /** A structured AGENT_EVENT for monitors and the log, tagged with the current session. */
  event(eventType: string, data: unknown): void {
    this.sendFrameNoWait({
      message_type: MessageType.AGENT_EVENT,
      message_id: newMessageId(),
      sender_id: this.agentId ?? null,
      event_type: eventType,
      data,
      timestamp: isoNow(),
      websocket_session_id: currentSession() ?? null,
    });
  }

  /**
   * Test and demo aid: behave like a hung process for ms — no PONGs, inbound frames ignored — so presence marks the
   * agent offline; if the hub drops the socket meanwhile, reconnection waits until the hang is over.
   */
  simulateHang(ms: number): void {
    this.hungUntil = Date.now() + ms;
    this.holdUntil = Math.max(this.holdUntil, this.hungUntil);
  }

  /** True while simulateHang is in effect. */
  get isHung(): boolean {
    return Date.now() < this.hungUntil;
  }

  /** Test and demo aid: drop the socket like a crashed process (no close frame) and come back after downMs under the same id. */
  simulateCrash(downMs: number): void {
    this.dropAbruptly(downMs);
  }

  /**
   * Seed 003: ask a person (VS Code, a monitor) before calling a tool. Resolves with their decision; with timeoutMs
   * the hub applies `default` when nobody answers in time (decidedBy "timeout"). A dropped connection settles it with
   * the default (decidedBy "cancelled"); the hub refusing the request (a duplicate id) rejects.
   */
  requestApproval(tool: string, args: unknown, opts: ApprovalOptions = {}): Promise<ApprovalOutcome> {
    return this.approvals.request(tool, args, opts);
  }

  /** Seed 003: this agent's current context (model, tools, recent messages, MCP servers… any JSON) for live streams. */
  reportContext(context: unknown): Promise<void> {
    return this.sendFrame({ ...agentContextFrame(context), sender_id: this.agentId ?? null });
  }

  /** The reconstruction of the agent we replace (restoreFrom), or one a person handed over. */
  onRestore(handler: RestoreHandler): void {
    this.context.onRestore(handler);
  }

  protected override sendFrame(frame: Envelope): Promise<void> {
    this.context.record('sent', frame);
    return super.sendFrame(frame);
  }

  protected registrationFrame(): Envelope {
    const frame: Envelope = { message_type: MessageType.REGISTER_AGENT, agent_name: this.name, timestamp: isoNow() };
    // This client reads chat from its socket: on a RabbitMQ hub, nothing is put on agent_queue_<id> for it.
    frame.delivery = 'websocket';
    const restore = this.registrations === 0 ? this.restoreFrom : this.restoreOnReconnect ? this.agentId : undefined;
    if (restore) frame.restore_from = restore;
    if (this.agentId) frame.agent_id = this.agentId;
    if (this.namespace) frame.namespace = this.namespace;
    return frame;
  }

  protected acceptRegistration(first: Envelope): void {
    if (first.message_type === MessageType.REGISTER_AGENT_RESPONSE && first.status === 'success' && typeof first.agent_id === 'string') {
      this.agentId = first.agent_id;
      this.registrations++;
      this.paused = false;
      this.logger.debug(`registered as ${first.agent_id}`);
      return;
    }
    throw registrationRefused(first, 'agent');
  }

  protected handleFrame(m: Envelope): void {
    if (Date.now() < this.hungUntil) return;
    for (const l of this.frameListeners) this.safely(() => l(m), 'frame');
    const type = m.message_type;
    if (type === MessageType.PING) {
      this.sendFrameNoWait(
        { message_type: MessageType.PONG, agent_id: this.agentId, agent_name: this.name, response_time: isoNow(), server_ping_time: m.timestamp ?? null },
        false,
      );
      return;
    }
    if (this.context.handle(m)) return;
    if (this.approvals.handle(m)) return;
    if (CHAT_TYPES.has(type)) {
      this.context.record('received', m);
      this.dispatchChat(m);
      return;
    }
    if (CONTROL_TYPES.has(type)) {
      if (type === MessageType.PAUSE_AGENT) this.paused = true;
      if (type === MessageType.RESUME_AGENT) this.paused = false;
      // The hub asks a re-registered agent to say REGISTER_AGENT again on the same connection (same id).
      if (type === MessageType.REREGISTER_AGENT) this.sendFrameNoWait(this.registrationFrame(), false);
      for (const h of this.controlHandlers) this.safely(() => h(type, m), type);
      return;
    }
    if (type === MessageType.REGISTER_AGENT_RESPONSE) {
      // The answer to a re-registration on a live connection: same id, nothing to change but the count.
      if (m.status === 'success') this.registrations++;
      return;
    }
    if (type === MessageType.ERROR) {
      this.logger.warn(`hub error${typeof m.code === 'string' ? ` (${m.code})` : ''}: ${m.text_payload ?? ''}`);
    }
    // SERVER_HEARTBEAT and everything else: nothing to do.
  }

  private dispatchChat(m: Envelope): void {
    const session = sessionOf(m);
    const ctx: MessageContext = { reply: (text) => this.reply(m, text), session };
    const run = (): void => {
      for (const h of this.messageHandlers) {
        try {
          const out = h(m, ctx);
          if (out && typeof (out as Promise<void>).catch === 'function') {
            (out as Promise<void>).catch((err: unknown) => this.logger.error(`message handler failed: ${describe(err)}`));
          }
        } catch (err) {
          this.logger.error(`message handler threw: ${describe(err)}`);
        }
      }
    };
    if (session) withSession(session, run);
    else run();
  }

  private safely(fn: () => void, what: string): void {
    try {
      fn();
    } catch (err) {
      this.logger.error(`${what} handler threw: ${describe(err)}`);
    }
  }

  private chatFrame(type: string, receiverId: string, text: string, session: string | undefined): Envelope {
    const frame: Envelope = {
      message_type: type,
      message_id: newMessageId(),
      sender_id: this.agentId ?? null,
      receiver_id: receiverId,
      text_payload: text,
      send_timestamp: isoNow(),
    };
    if (session) frame.session_id = session;
    return frame;
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}
