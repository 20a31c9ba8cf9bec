// Inbound dispatch: one socket frame checked (rate, size, UTF-8, the codec) and handed to the part of the hub that
// owns its type — chat, registration, presence and status, agent control, or a handler a plugin installed.

import { isUtf8 } from 'node:buffer';
import type { RawData } from 'ws';
import type { Envelope } from '../protocol/schemas';
import type { ClientRole } from '../protocol/messageTypes';
import { decodeFrame, type DecodeResult } from '../protocol/codec';
import { SwitchboardError } from '../protocol/errors';
import { CHAT_TYPES, MessageType } from '../protocol/messageTypes';
import { isoNow } from '../protocol/ids';
import type { HubOptions } from './options';
import type { Registry } from './registry';
import type { Outbox } from './outbox';
import type { Chat } from './chat';
import type { Registration } from './registration';
import type { AgentStatusBroadcaster } from './agentStatus';
import type { StatusRouter } from './status';
import type { Rejections } from './rejections';
import type { ClientContext, MessageHandler } from './port';
import { CloseCode, type Connection } from './connection';
import { roleOfRegistration } from './registry';
import { parseControl, type Control } from './control';

/** Inbound types accepted and logged but needing no action (clients echo or forward these). */
const IGNORED_INBOUND: ReadonlySet<string> = new Set([
  MessageType.SERVER_HEARTBEAT,
  MessageType.AGENT_STATUS_UPDATE,
  MessageType.REGISTER_AGENT_RESPONSE,
  MessageType.REGISTER_FRONTEND_RESPONSE,
  MessageType.REGISTER_BROKER_RESPONSE,
  MessageType.REGISTER_MONITOR_RESPONSE,
  MessageType.ERROR,
  MessageType.CLIENT_DISCONNECTED,
  MessageType.SHUTDOWN,
  MessageType.SERVER_AVAILABLE,
  MessageType.MONITOR_EVENTS,
]);
const CONTROL_ROLES: ReadonlySet<ClientRole> = new Set(['frontend', 'monitor', 'broker']);

export interface InboundDeps {
  opts: HubOptions;
  hubId: string;
  registry: Registry;
  outbox: Outbox;
  rejections: Rejections;
  chat: Chat;
  registration: Registration;
  agentStatus: AgentStatusBroadcaster;
  statusRouter: StatusRouter;
  control: Control;
  warn(message: string): void;
  resetQueues(): void;
}

export class Inbound {
  private readonly handlers = new Map<string, MessageHandler>();
  /** Types a plugin handles without an event-log entry per frame (agent streams' AGENT_CONTEXT). */
  private readonly quiet = new Set<string>();

  constructor(private readonly d: InboundDeps) {}

  handle(messageType: string, handler: MessageHandler): () => void {
    this.handlers.set(messageType, handler);
    return () => {
      if (this.handlers.get(messageType) === handler) this.handlers.delete(messageType);
    };
  }

  unlogged(messageType: string): () => void {
    this.quiet.add(messageType);
    return () => this.quiet.delete(messageType);
  }

  onFrame(conn: Connection, data: RawData, isBinary: boolean): void {
    if (conn.closing || conn.closed) return;
    const { opts, outbox } = this.d;
    const size = rawSize(data);
    conn.framesIn++;
    conn.bytesIn += size;
    conn.lastSeen = Date.now();
    const verdict = conn.checkRate(conn.lastSeen);
    if (verdict !== 'ok') {
      if (verdict === 'abuse') {
        this.d.warn(`Client ${conn.id} kept exceeding ${opts.rateLimitPerSecond} frames/s; disconnected.`);
        conn.close(CloseCode.policy, 'Rate limit exceeded persistently');
        this.d.registration.release(conn);
      } else if (conn.shouldReportRateLimit()) {
        outbox.error(conn, 'rate_limited', `Too many frames: the limit is ${opts.rateLimitPerSecond}/s (burst ${opts.rateLimitPerSecond * 2}); ${conn.rateDropped} dropped so far. Slow down.`);
      }
      return;
    }
    if (size > opts.maxPayloadBytes) {
      this.d.rejections.record({ client_id: conn.id, role: conn.role }, '(too large)', size, 'frame_too_large');
      outbox.error(conn, 'frame_too_large', `Frame of ${size} bytes exceeds the ${opts.maxPayloadBytes}-byte limit; it was dropped. Split large payloads.`);
      return;
    }
    const utf8 = isBinary || frameIsUtf8(data);
    // The frame's text is kept for chat: the log and the forwarded frame reuse it instead of serialising again.
    const text = utf8 && !isBinary && Buffer.isBuffer(data) ? data.toString('utf8') : undefined;
    const decoded: DecodeResult = !utf8
      ? { ok: false, error: new SwitchboardError('invalid_utf8', 'The text frame is not valid UTF-8; it was dropped. Encode messages as UTF-8 JSON.') }
      : decodeFrame(text ?? (data as Buffer | ArrayBuffer | Buffer[]), isBinary);
    if (!decoded.ok) {
      let detail = decoded.error.message;
      if (decoded.message_type === MessageType.REGISTER_AGENT && /agent_name/.test(detail)) {
        detail = 'Agent name is required: send REGISTER_AGENT with a non-empty "agent_name".';
      }
      this.d.rejections.record({ client_id: conn.id, role: conn.role }, decoded.message_type ?? '(invalid)', size, decoded.error.code, detail);
      outbox.error(conn, decoded.error.code, detail);
      return;
    }
    const msg = decoded.message;
    // A socket with two registrations: the frame is one face's (registrations pick their face in Registration).
    if (conn.peer !== undefined && !roleOfRegistration(msg.message_type)) conn = faceOf(conn, conn.peer, msg);
    if (conn.role === 'agent') {
      const rec = this.d.registry.agents.get(conn.id);
      if (rec && rec.conn === conn) rec.lastSeen = conn.lastSeen;
    }
    if (CHAT_TYPES.has(msg.message_type)) return this.d.chat.fromClient(conn, msg, size, text);
    if (roleOfRegistration(msg.message_type)) return this.d.registration.register(conn, msg, size);
    if (!this.quiet.has(msg.message_type)) outbox.logIn(conn, msg, size);
    this.dispatch(conn, msg);
  }

  private dispatch(conn: Connection, msg: Envelope): void {
    const { outbox } = this.d;
    const type = msg.message_type;
    switch (type) {
      case MessageType.PONG:
        return; // lastSeen already updated, attributed to this connection whatever agent_id the body claims
      case MessageType.PING:
        outbox.send(conn, { message_type: MessageType.PONG, timestamp: isoNow(), hub_id: this.d.hubId });
        return;
      case MessageType.REQUEST_AGENT_STATUS:
        this.d.agentStatus.sendFull(conn);
        return;
      case MessageType.RESET_ALL_QUEUES:
        if (!this.mayControl(conn, type)) return;
        this.d.resetQueues();
        return;
      case MessageType.STATUS:
        if (!this.requireRegistered(conn, type)) return;
        this.d.statusRouter.handleStatus(conn, conn.id, msg);
        return;
      case MessageType.AGENT_EVENT:
        if (!this.requireRegistered(conn, type)) return;
        this.d.statusRouter.handleAgentEvent(conn.id, msg);
        return;
    }
    const control = parseControl(msg);
    if (control) {
      if (!this.mayControl(conn, type)) return;
      if (!control.target) return outbox.error(conn, 'invalid_message', `${type} needs "agent_id" (or "receiver_id") naming the agent.`, msg.message_id);
      try {
        this.d.control.apply(control.action, control.target, conn.id, typeof msg.reason === 'string' ? msg.reason : undefined);
      } catch (err) {
        if (err instanceof SwitchboardError) outbox.error(conn, err.code, err.message, msg.message_id);
        else throw err;
      }
      return;
    }
    if (IGNORED_INBOUND.has(type)) return;
    const handler = this.handlers.get(type);
    if (handler) {
      handler(msg, this.clientContext(conn));
      return;
    }
    outbox.error(conn, 'unknown_message_type', `message_type "${type}" is known but not handled by this hub.`, msg.message_id);
  }

  private mayControl(conn: Connection, type: string): boolean {
    if (conn.role && CONTROL_ROLES.has(conn.role)) return true;
    this.d.outbox.error(conn, 'forbidden', `${type} is accepted from front-ends, monitors and brokers only.`);
    return false;
  }

  private requireRegistered(conn: Connection, type: string): boolean {
    if (conn.registered) return true;
    this.d.outbox.error(conn, 'not_registered', `Register first (REGISTER_AGENT {agent_name}) before sending ${type}.`);
    return false;
  }

  private clientContext(conn: Connection): ClientContext {
    const outbox = this.d.outbox;
    return {
      id: conn.id,
      role: conn.role,
      name: conn.name,
      namespace: conn.namespace,
      send: (frame) => outbox.send(conn, frame),
      error: (code, text) => outbox.error(conn, code, text),
    };
  }
}

/** Frames an agent sends of its own accord: on a socket with two registrations they belong to its agent face. */
const AGENT_FRAMES: ReadonlySet<string> = new Set([MessageType.PONG, MessageType.STATUS, MessageType.AGENT_EVENT]);

/**
 * A socket with two registrations (a front-end and an agent): the frame is the face's whose id it names as sender_id
 * (or agent_id), else an agent's own frames are the agent's, else the first registration's. Both faces count as seen.
 */
function faceOf(first: Connection, second: Connection, msg: Envelope): Connection {
  second.lastSeen = first.lastSeen;
  const claimed = typeof msg.sender_id === 'string' ? msg.sender_id : typeof msg.agent_id === 'string' ? msg.agent_id : undefined;
  if (claimed === second.id) return second;
  if (claimed === first.id) return first;
  if (AGENT_FRAMES.has(msg.message_type) && second.role === 'agent') return second;
  return first;
}

function frameIsUtf8(data: RawData): boolean {
  if (Array.isArray(data)) return isUtf8(Buffer.concat(data));
  return isUtf8(data instanceof ArrayBuffer ? new Uint8Array(data) : data);
}

function rawSize(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0);
  if (data instanceof ArrayBuffer) return data.byteLength;
  return data.length;
}
