// The embedded router: chat (TEXT/REPLY/SYSTEM) by receiver_id, fan-out to every online unpaused agent for
// "broadcast"/"broker"/none, a copy to every front-end, held chat for paused agents. Delivery goes through a
// Transport, and bridges (a bus between hubs, a routing broker) plug in without changing this file's logic.

import type { Envelope } from '../protocol/schemas';
import type { ErrorCode } from '../protocol/errors';
import { BROADCAST_RECEIVERS, HUB_USER_ID } from '../protocol/messageTypes';
import { isoNow, newMessageId } from '../protocol/ids';
import type { Connection } from './connection';
import { isRoutable, presenceOf, type AgentRecord, type Registry } from './registry';

/** How a routed message leaves the router. The hub implements it (and logs every frame it writes). */
export interface Transport {
  /** One frame to one connection. */
  toConnection(conn: Connection, message: Envelope): boolean;
  /** One frame to many connections: serialised once, logged once. Returns how many accepted it. */
  toMany(conns: Connection[], message: Envelope): number;
  /** A message addressed to the built-in UI session (HUB_USER_ID): logged and emitted, never an error. */
  toUser(message: Envelope): void;
  /** The agent is paused: keep the message for RESUME. */
  hold(rec: AgentRecord, message: Envelope): void;
}

export type RoutingStatus = 'routed' | 'held' | 'bridged' | 'error';

export interface RouteContext {
  /** The connection it came from; absent for the hub's API and for messages from a bridge. */
  from?: Connection;
  /** Set for messages that arrived from another hub: never handed back to a bridge, unknown receivers dropped. */
  remote?: boolean;
}

export interface RouteResult {
  status: RoutingStatus;
  message: Envelope;
  /** Connections that received it as addressee (not counting front-end copies). */
  delivered: number;
  copies: number;
  error?: { code: ErrorCode; text: string };
}

/**
 * A bridge extends routing beyond this hub. Every hook is optional; bridges are consulted in the order added.
 * - intercept: take the message instead of the embedded router (e.g. a routing broker decides); return true if taken.
 * - routeUnknown: a receiver this hub does not know; return true if the bridge delivers it elsewhere.
 * - observe: see every message routed here (e.g. publish a copy to other hubs' monitors).
 */
export interface RouterBridge {
  intercept?(message: Envelope, ctx: RouteContext): boolean;
  routeUnknown?(message: Envelope, ctx: RouteContext): boolean;
  observe?(result: RouteResult, ctx: RouteContext): void;
}

export class Router {
  private readonly bridges: RouterBridge[] = [];

  constructor(
    private readonly registry: Registry,
    private readonly transport: Transport,
  ) {}

  addBridge(bridge: RouterBridge): () => void {
    this.bridges.push(bridge);
    return () => {
      const i = this.bridges.indexOf(bridge);
      if (i >= 0) this.bridges.splice(i, 1);
    };
  }

  /**
   * Route one chat message. The message is annotated in place (message_id, send_timestamp, _client_id,
   * routing_status); sender_id must already be settled by the caller.
   */
  route(message: Envelope, ctx: RouteContext = {}): RouteResult {
    if (message.message_id === undefined || message.message_id === null || message.message_id === '') message.message_id = newMessageId();
    if (message.send_timestamp === undefined || message.send_timestamp === null) message.send_timestamp = isoNow();
    if (ctx.from) message._client_id = ctx.from.id;
    else if (message._client_id === undefined && typeof message.sender_id === 'string') message._client_id = message.sender_id;
    message.routing_status = 'pending';

    if (!ctx.remote) {
      for (const b of this.bridges) {
        if (b.intercept?.(message, ctx)) return this.finish({ status: 'bridged', message, delivered: 0, copies: 0 }, ctx);
      }
    }

    const receiver = typeof message.receiver_id === 'string' ? message.receiver_id : '';
    if (BROADCAST_RECEIVERS.has(receiver)) return this.finish(this.broadcast(message, ctx), ctx);
    return this.finish(this.direct(message, receiver, ctx), ctx);
  }

  private broadcast(message: Envelope, ctx: RouteContext): RouteResult {
    const senderId = typeof message.sender_id === 'string' ? message.sender_id : undefined;
    const targets: Connection[] = [];
    for (const rec of this.registry.agents.values()) {
      if (!rec.conn || !isRoutable(rec) || rec.conn === ctx.from || rec.agent_id === senderId) continue;
      targets.push(rec.conn);
    }
    message.routing_status = 'routed';
    const delivered = this.transport.toMany(targets, message);
    for (const t of targets) this.countOut(t);
    const copies = this.copyToFrontends(message, ctx.from, undefined);
    return { status: 'routed', message, delivered, copies };
  }

  private direct(message: Envelope, receiver: string, ctx: RouteContext): RouteResult {
    if (receiver === HUB_USER_ID) {
      message.routing_status = 'routed';
      this.transport.toUser(message);
      const copies = this.copyToFrontends(message, ctx.from, undefined);
      return { status: 'routed', message, delivered: 1, copies };
    }
    const rec = this.registry.agents.get(receiver);
    if (rec) {
      const presence = presenceOf(rec);
      if (presence === 'paused' && rec.conn) {
        message.routing_status = 'held';
        this.transport.hold(rec, message);
        const copies = this.copyToFrontends(message, ctx.from, undefined);
        return { status: 'held', message, delivered: 0, copies };
      }
      if (presence === 'offline' || !rec.conn) {
        const unknown = this.tryBridges(message, ctx);
        if (unknown) return unknown;
        return this.error(message, 'unknown_receiver', `Agent ${receiver} is currently offline; the message was not delivered.`);
      }
      return this.deliverTo(rec.conn, message, ctx);
    }
    const conn = this.registry.connection(receiver);
    if (conn) return this.deliverTo(conn, message, ctx);
    const bridged = this.tryBridges(message, ctx);
    if (bridged) return bridged;
    return this.error(message, 'unknown_receiver', `Unknown receiver "${receiver}": no agent, front-end or broker with this id is connected.`);
  }

  private deliverTo(conn: Connection, message: Envelope, ctx: RouteContext): RouteResult {
    message.routing_status = 'routed';
    const ok = this.transport.toConnection(conn, message);
    this.countOut(conn);
    const copies = this.copyToFrontends(message, ctx.from, conn);
    return { status: 'routed', message, delivered: ok ? 1 : 0, copies };
  }

  private tryBridges(message: Envelope, ctx: RouteContext): RouteResult | undefined {
    if (ctx.remote) return undefined;
    for (const b of this.bridges) {
      if (b.routeUnknown?.(message, ctx)) {
        message.routing_status = 'bridged';
        const copies = this.copyToFrontends(message, ctx.from, undefined);
        return { status: 'bridged', message, delivered: 0, copies };
      }
    }
    return undefined;
  }

  private error(message: Envelope, code: ErrorCode, text: string): RouteResult {
    message.routing_status = 'error';
    return { status: 'error', message, delivered: 0, copies: 0, error: { code, text } };
  }

  /** Seed behaviour: every front-end sees every chat message — except its sender and its addressee (no duplicates). */
  private copyToFrontends(message: Envelope, from: Connection | undefined, addressee: Connection | undefined): number {
    const fronts = this.registry.byRole.frontend;
    if (fronts.size === 0) return 0;
    const targets: Connection[] = [];
    for (const f of fronts) if (f !== from && f !== addressee) targets.push(f);
    return targets.length ? this.transport.toMany(targets, message) : 0;
  }

  private countOut(conn: Connection): void {
    if (conn.role !== 'agent') return;
    const rec = this.registry.agents.get(conn.id);
    if (rec) rec.messagesIn++;
  }

  private finish(result: RouteResult, ctx: RouteContext): RouteResult {
    for (const b of this.bridges) {
      try {
        b.observe?.(result, ctx);
      } catch {
        // a bridge's observer must not break routing
      }
    }
    return result;
  }
}
