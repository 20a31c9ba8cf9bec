// The embedded router: chat (TEXT/REPLY/SYSTEM) by receiver_id, fan-out to every online unpaused agent and every
// front-end for "broadcast"/"broker"/none, targeted chat to its addressee only (and to front-ends that opted in with
// watch_all), held chat for paused agents. For each receiver it consults
// the route strategies plugins installed (a routing broker, an agent's durable queue, another hub) in one pass;
// what the strategies are is chosen by the bus integration from the bus's capabilities, never here.

import type { Envelope } from '../protocol/schemas';
import type { ErrorCode } from '../protocol/errors';
import { BROADCAST_RECEIVERS, HUB_USER_ID } from '../protocol/messageTypes';
import { isoNow, newMessageId } from '../protocol/ids';
import type { Connection } from './connection';
import { isRoutable, presenceOf, type AgentRecord, type Registry } from './registry';

/** How a routed message leaves the router. The outbox implements it (and logs every frame it writes). */
export interface Transport {
  /** One frame to one connection. */
  toConnection(conn: Connection, message: Envelope): boolean;
  /** One frame to many connections: serialised once, logged once. Returns how many accepted it. */
  toMany(conns: Connection[], message: Envelope): number;
  /** A message addressed to the built-in UI session (HUB_USER_ID): logged and emitted, never an error. */
  toUser(message: Envelope): void;
  /** The agent is paused: keep the message for RESUME. */
  hold(rec: AgentRecord, message: Envelope): void;
  /** A strategy threw: reported, and the message takes the router's own way. */
  strategyFailed(err: unknown): void;
}

export type RoutingStatus = 'routed' | 'held' | 'bridged' | 'error';

/**
 * Where a message entered routing: undefined for this hub's clients and API; 'broker' for a routing broker's answer
 * (never sent back to the broker); 'hub' for a forward from another hub (delivered here only, never forwarded again).
 */
export type RouteVia = 'broker' | 'hub';

export interface RouteContext {
  /** The connection it came from (or, for a broker's answer, the original sender's connection here). */
  from?: Connection;
  via?: RouteVia;
  /** A message a hold strategy kept and now lets go (the debugger's release): routed on, never held again. */
  released?: boolean;
}

export interface RouteResult {
  status: RoutingStatus;
  message: Envelope;
  /** Connections that received it as addressee (not counting front-end copies). */
  delivered: number;
  /** Front-ends that got it without being its addressee: every front-end for a broadcast, watchers otherwise. */
  copies: number;
  error?: { code: ErrorCode; text: string };
}

/**
 * A route strategy: another way to reach a receiver. Every hook is optional; strategies are consulted in the order
 * installed, and the first that takes a message ends the search.
 * - intercept: take the message before the embedded router (a routing broker decides); only for messages of this hub.
 * - toAgent: an agent connected here that takes chat by another way (seed agents read agent_queue_<id>).
 * - routeUnknown: a receiver not connected here (another hub's agent or front-end); not for forwards from a hub.
 * - observe: see every message routed here (e.g. forward a broadcast to the other hubs).
 */
export interface RouteStrategy {
  intercept?(message: Envelope, ctx: RouteContext): boolean;
  toAgent?(agentId: string, message: Envelope): boolean;
  routeUnknown?(message: Envelope, ctx: RouteContext): boolean;
  observe?(result: RouteResult, ctx: RouteContext): void;
  /**
   * hold: keep the message before any way is chosen — every chat message, whatever its via (this hub's clients, a
   * routing broker's answer, another hub's forward) — and route it later with ctx.released (the message debugger).
   */
  hold?(message: Envelope, ctx: RouteContext): boolean;
}

/** The name the first extension seam had; hub.addRouterBridge() still takes one. */
export type RouterBridge = RouteStrategy;

export class Router {
  private readonly bridges: RouteStrategy[] = [];
  /** The strategies with a toAgent hook (kept apart: the hot path asks only when there are any). */
  private readonly agentWays: RouteStrategy[] = [];
  /** The strategies with a hold hook (none unless a debugger has breakpoints: the hot path pays one length check). */
  private readonly holders: RouteStrategy[] = [];

  constructor(
    private readonly registry: Registry,
    private readonly transport: Transport,
  ) {}

  addStrategy(strategy: RouteStrategy): () => void {
    this.bridges.push(strategy);
    if (strategy.toAgent) this.agentWays.push(strategy);
    if (strategy.hold) this.holders.push(strategy);
    return () => {
      remove(this.bridges, strategy);
      remove(this.agentWays, strategy);
      remove(this.holders, strategy);
    };
  }

  /** A held message released on RESUME: to the agent's socket, or the way a strategy takes it. */
  deliverHeld(conn: Connection, message: Envelope): void {
    if (!this.otherWay(conn, message)) this.transport.toConnection(conn, message);
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

    if (this.holders.length !== 0 && ctx.released !== true) {
      for (const h of this.holders) {
        if (h.hold!(message, ctx)) {
          message.routing_status = 'held';
          return { status: 'held', message, delivered: 0, copies: 0 };
        }
      }
    }

    if (ctx.via === undefined) {
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
    const delivered = this.toMany(targets, message);
    for (const t of targets) this.countOut(t);
    const copies = this.broadcastToFrontends(message, ctx.from);
    return { status: 'routed', message, delivered, copies };
  }

  private direct(message: Envelope, receiver: string, ctx: RouteContext): RouteResult {
    if (receiver === HUB_USER_ID) {
      message.routing_status = 'routed';
      this.transport.toUser(message);
      const copies = this.copyToWatchers(message, ctx.from, undefined);
      return { status: 'routed', message, delivered: 1, copies };
    }
    const rec = this.registry.agents.get(receiver);
    if (rec) {
      const presence = presenceOf(rec);
      if (presence === 'paused' && rec.conn) {
        message.routing_status = 'held';
        this.transport.hold(rec, message);
        const copies = this.copyToWatchers(message, ctx.from, undefined);
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
    const ok = this.otherWay(conn, message) || this.transport.toConnection(conn, message);
    this.countOut(conn);
    const copies = this.copyToWatchers(message, ctx.from, conn);
    return { status: 'routed', message, delivered: ok ? 1 : 0, copies };
  }

  /** Agents that take chat another way (their durable queue) are left out of the sockets' fan-out. */
  private toMany(conns: Connection[], message: Envelope): number {
    if (this.agentWays.length === 0) return this.transport.toMany(conns, message);
    const rest = conns.filter((c) => !this.otherWay(c, message));
    return this.transport.toMany(rest, message) + (conns.length - rest.length);
  }

  /** True when a strategy took chat for this agent connection instead of its socket. */
  private otherWay(conn: Connection, message: Envelope): boolean {
    if (this.agentWays.length === 0 || conn.role !== 'agent') return false;
    for (const s of this.agentWays) {
      try {
        if (s.toAgent!(conn.id, message)) return true;
      } catch (err) {
        this.transport.strategyFailed(err);
      }
    }
    return false;
  }

  private tryBridges(message: Envelope, ctx: RouteContext): RouteResult | undefined {
    if (ctx.via === 'hub') return undefined;
    for (const b of this.bridges) {
      if (b.routeUnknown?.(message, ctx)) {
        message.routing_status = 'bridged';
        const copies = this.copyToWatchers(message, ctx.from, undefined);
        return { status: 'bridged', message, delivered: 0, copies };
      }
    }
    return undefined;
  }

  private error(message: Envelope, code: ErrorCode, text: string): RouteResult {
    message.routing_status = 'error';
    return { status: 'error', message, delivered: 0, copies: 0, error: { code, text } };
  }

  /** A broadcast reaches every front-end except its sender (seed 001: every front-end and every agent). */
  private broadcastToFrontends(message: Envelope, from: Connection | undefined): number {
    return this.sendToAllBut(this.registry.byRole.frontend, message, from, undefined);
  }

  /**
   * Targeted chat goes to its addressee only (seed 001, and the seed's code): other front-ends get a copy only when
   * they registered with watch_all: true. The set is empty unless someone opted in, so this costs one size check.
   */
  private copyToWatchers(message: Envelope, from: Connection | undefined, addressee: Connection | undefined): number {
    return this.sendToAllBut(this.registry.watchers, message, from, addressee);
  }

  private sendToAllBut(set: Set<Connection>, message: Envelope, from: Connection | undefined, addressee: Connection | undefined): number {
    if (set.size === 0) return 0;
    const targets: Connection[] = [];
    for (const f of set) if (f !== from && f !== addressee) targets.push(f);
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

function remove<T>(list: T[], item: T): void {
  const i = list.indexOf(item);
  if (i >= 0) list.splice(i, 1);
}
