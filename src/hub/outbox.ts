// The outbox: every frame the hub writes to a client is serialised, sent and logged here. It also logs inbound
// frames, because a chat message's inbound and outbound log entries and its forwarded frame share one JSON text
// (see ChatJson below): the hot path serialises a routed message at most once.

import type { Envelope } from '../protocol/schemas';
import type { ErrorCode } from '../protocol/errors';
import type { LogDirection } from '../protocol/logEntry';
import { MessageType } from '../protocol/messageTypes';
import type { EventLog, EntryMeta } from './eventLog';
import type { Connection } from './connection';
import { errorFrame } from './frames';

const KEEPALIVE_TYPES: ReadonlySet<string> = new Set([MessageType.PING, MessageType.PONG, MessageType.SERVER_HEARTBEAT]);

/**
 * A routed chat message is written three times: to the log as it came in, to its receiver and to the log as it went
 * out (and monitors and the log file carry the log's copies). Instead of serialising it for each, its JSON is taken
 * from the frame's own text when the hub changed nothing in it but append message_id, and the keys the router adds
 * (send_timestamp when absent, _client_id, routing_status) are appended to that text. Key order is the object's
 * own (keys added to an object go last), so the result is what JSON.stringify would give, up to the sender's
 * whitespace and number spelling. Anything else (a replaced sender, keys the router would overwrite in place) falls
 * back to JSON.stringify.
 */
interface ChatJson {
  msg: Envelope;
  /** The message as logged inbound. */
  base: string;
  addTimestamp: boolean;
  out?: string;
  outStatus?: string;
}

export class Outbox {
  /** The chat message being routed and its JSON; set only between beginChat and endChat. */
  private chat: ChatJson | undefined;

  constructor(
    private readonly log: EventLog,
    private readonly logKeepalives: boolean,
  ) {}

  /**
   * A chat message from a socket is about to be logged and routed: remember its JSON (from the frame's text when the
   * hub changed nothing but append message_id). Returns the JSON to log it with, if any. Pair with endChat().
   */
  beginChat(msg: Envelope, text: string | undefined, claimed: unknown, idGiven: boolean, idAdded: boolean): string | undefined {
    this.chat = chatJson(msg, text, claimed, idGiven, idAdded);
    return this.chat?.base;
  }

  endChat(): void {
    this.chat = undefined;
  }

  /** One frame to one client, logged. */
  send(conn: Connection, frame: Envelope): boolean {
    const data = this.json(frame);
    const ok = conn.sendRaw(data);
    if (ok) this.logOut('out', frame, { client_id: conn.id, role: conn.role, size: data.length }, data);
    return ok;
  }

  /** The same frame to many clients: serialised and encoded once, logged once. */
  fanOut(targets: Connection[], frame: Envelope): number {
    if (targets.length === 0) return 0;
    const data = this.json(frame);
    let n = 0;
    if (targets.length === 1) {
      const c = targets[0]!;
      if (c.sendRaw(data)) n++;
      if (n) this.logOut('out', frame, { client_id: c.id, role: c.role, size: data.length }, data);
      return n;
    }
    const bytes = Buffer.from(data);
    for (const c of targets) if (c.sendRaw(bytes)) n++;
    if (n) this.logOut('out', frame, { size: data.length, recipients: n }, data);
    return n;
  }

  error(conn: Connection, code: ErrorCode, text: string, ref?: string | number | null): void {
    this.send(conn, errorFrame(conn.id, code, text, ref));
  }

  /** An inbound frame, logged (keepalives only when asked). `bodyJson` is its JSON when known. */
  logIn(conn: Connection, msg: Envelope, size: number, bodyJson?: string): void {
    if (!this.logKeepalives && KEEPALIVE_TYPES.has(msg.message_type)) return;
    this.log.record('in', msg, { client_id: conn.id, role: conn.role, size }, bodyJson);
  }

  /** `data` is the frame as sent (JSON.stringify(msg)): the log reuses it instead of serialising the body again. */
  private logOut(direction: LogDirection, msg: Envelope, meta: EntryMeta, data: string): void {
    if (!this.logKeepalives && KEEPALIVE_TYPES.has(msg.message_type)) return;
    this.log.record(direction, msg, meta, data);
  }

  /** A frame as JSON: the chat message being routed is spliced from its inbound JSON. */
  private json(frame: Envelope): string {
    const h = this.chat;
    if (h === undefined || h.msg !== frame || typeof frame._client_id !== 'string' || typeof frame.routing_status !== 'string') return JSON.stringify(frame);
    if (h.out !== undefined && h.outStatus === frame.routing_status) return h.out;
    // The router appended, in this order: send_timestamp (when there was none), _client_id, routing_status.
    let out = h.base.slice(0, h.base.lastIndexOf('}'));
    if (h.addTimestamp) out += ',"send_timestamp":' + JSON.stringify(frame.send_timestamp);
    out += ',"_client_id":' + JSON.stringify(frame._client_id) + ',"routing_status":' + JSON.stringify(frame.routing_status) + '}';
    h.out = out;
    h.outStatus = frame.routing_status;
    return out;
  }
}

function chatJson(msg: Envelope, text: string | undefined, claimed: unknown, idGiven: boolean, idAdded: boolean): ChatJson | undefined {
  if (Object.hasOwn(msg, '_client_id') || Object.hasOwn(msg, 'routing_status')) return undefined;
  const hasTs = Object.hasOwn(msg, 'send_timestamp');
  if (hasTs && (msg.send_timestamp === undefined || msg.send_timestamp === null)) return undefined;
  let base: string;
  if (text !== undefined && claimed === msg.sender_id && typeof claimed === 'string' && !(idGiven && idAdded)) {
    const end = text.lastIndexOf('}');
    if (end < 0) return undefined;
    base = idAdded ? text.slice(0, end) + ',"message_id":' + JSON.stringify(msg.message_id) + '}' : text;
  } else {
    base = JSON.stringify(msg);
  }
  return { msg, base, addTimestamp: !hasTs };
}
