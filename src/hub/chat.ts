// Chat (TEXT, REPLY, SYSTEM) into routing, from its three sources: a client's socket, the person at the UI (the
// hub's API), and elsewhere (a routing broker's answer, another hub's forward). The sender is settled here; the
// Router decides where it goes; the outbox writes it.

import type { Envelope } from '../protocol/schemas';
import type { Logger } from '../protocol/logger';
import type { SendMessageInput } from '../protocol/messageTypes';
import { HUB_USER_ID, MessageType } from '../protocol/messageTypes';
import { SwitchboardError } from '../protocol/errors';
import { isoNow, newMessageId } from '../protocol/ids';
import type { EventLog } from './eventLog';
import type { Connection } from './connection';
import type { Registry } from './registry';
import type { RouteResult, Router } from './router';
import type { Outbox } from './outbox';
import type { ArrivedFrom } from './port';

export interface ChatDeps {
  registry: Registry;
  router: Router;
  outbox: Outbox;
  log: EventLog;
  logger: Logger;
  /** Every routed message, for the UI ('message' event). */
  routed(message: Envelope): void;
}

export class Chat {
  constructor(private readonly d: ChatDeps) {}

  /** A chat frame from a client's socket; `text` is the frame's JSON text when the hub has it. */
  fromClient(conn: Connection, msg: Envelope, size: number, text?: string): void {
    const { outbox, registry, router } = this.d;
    const claimed = msg.sender_id;
    const idGiven = Object.hasOwn(msg, 'message_id');
    this.settleSender(conn, msg);
    const idAdded = msg.message_id === undefined || msg.message_id === null || msg.message_id === '';
    if (idAdded) msg.message_id = newMessageId();
    const json = outbox.beginChat(msg, text, claimed, idGiven, idAdded);
    try {
      outbox.logIn(conn, msg, size, json);
      if (conn.role === 'agent') {
        const rec = registry.agents.get(conn.id);
        if (rec) rec.messagesOut++;
      }
      const result = router.route(msg, { from: conn });
      outbox.endChat();
      this.d.routed(result.message);
      if (result.error) outbox.error(conn, result.error.code, result.error.text, msg.message_id);
    } finally {
      outbox.endChat();
    }
  }

  /** A message from the person at the UI; throws SwitchboardError when it cannot be routed. */
  fromUser(input: SendMessageInput): Envelope {
    const message: Envelope = {
      message_type: input.message_type ?? MessageType.TEXT,
      message_id: newMessageId(),
      sender_id: input.sender_id ?? HUB_USER_ID,
      receiver_id: input.receiver_id,
      text_payload: input.text_payload,
      send_timestamp: isoNow(),
      in_reply_to_message_id: input.in_reply_to_message_id ?? null,
    };
    if (input.thread !== undefined) message.thread = input.thread;
    this.d.log.record('in', message, { client_id: message.sender_id as string, role: 'frontend', size: JSON.stringify(message).length });
    const result = this.d.router.route(message, {});
    this.d.routed(result.message);
    if (result.error) throw new SwitchboardError(result.error.code, result.error.text);
    return message;
  }

  /** A message from a routing broker or another hub (already through the codec). */
  fromElsewhere(message: Envelope, arrived: ArrivedFrom): RouteResult {
    // When the original sender is connected here (a routing broker's answer), it is neither a broadcast target nor
    // sent a copy of its own message.
    const from = arrived.originClientId ? this.d.registry.connection(arrived.originClientId) : undefined;
    const result = this.d.router.route(message, from ? { via: arrived.via, from } : { via: arrived.via });
    this.d.routed(result.message);
    return result;
  }

  /**
   * Agents and monitors always speak as themselves. A front-end (or an unregistered client) may keep a sender_id
   * nobody else has — the early UI's `user_…` — so replies addressed to it come back; anyone else's id is replaced.
   */
  private settleSender(conn: Connection, msg: Envelope): void {
    const { registry, logger } = this.d;
    const claimed = typeof msg.sender_id === 'string' && msg.sender_id ? msg.sender_id : undefined;
    if (conn.role === 'agent' || conn.role === 'monitor' || !claimed || claimed === conn.id) {
      if (claimed && claimed !== conn.id) logger.debug(`sender_id ${claimed} from ${conn.id} replaced by its own id`);
      if (!conn.registered) registry.bindAlias(conn, conn.id);
      msg.sender_id = conn.id;
      return;
    }
    if (!registry.bindAlias(conn, claimed)) {
      logger.debug(`sender_id ${claimed} from ${conn.id} belongs to someone else; replaced`);
      msg.sender_id = conn.id;
      if (!conn.registered) registry.bindAlias(conn, conn.id);
    }
  }
}
