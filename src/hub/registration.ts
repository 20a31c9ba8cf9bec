// Clients coming and going: a socket accepted as a Connection, REGISTER_* answered (the response first, then what
// each role gets), a departure taken out of the registry, and the lifecycle listeners (plugins) told of both.

import type { IncomingMessage } from 'node:http';
import type { WebSocket, RawData } from 'ws';
import type { Envelope } from '../protocol/schemas';
import type { Logger } from '../protocol/logger';
import type { ClientRole } from '../protocol/messageTypes';
import { MessageType } from '../protocol/messageTypes';
import { errorMessage } from '../protocol/errors';
import type { EventLog } from './eventLog';
import type { HubOptions } from './options';
import type { HubState } from './hubEvents';
import type { Registry } from './registry';
import type { Outbox } from './outbox';
import type { AgentStatusBroadcaster } from './agentStatus';
import type { StatusRouter } from './status';
import type { HubLifecycleListener } from './port';
import { roleOfRegistration } from './registry';
import { DEFAULT_MONITOR_BACKLOG, type MonitorStreams } from './monitors';
import { CloseCode, Connection } from './connection';

/** When a registration asks for an id a connection holds, that holder must answer a WebSocket ping this fast. */
const HOLDER_PROBE_MS = 2000;

export interface RegistrationDeps {
  opts: HubOptions;
  registry: Registry;
  outbox: Outbox;
  log: EventLog;
  logger: Logger;
  agentStatus: AgentStatusBroadcaster;
  statusRouter: StatusRouter;
  monitorStreams: MonitorStreams;
  state(): HubState;
  warn(message: string): void;
  /** Every frame from an accepted socket (the inbound dispatch). */
  onFrame(conn: Connection, data: RawData, isBinary: boolean): void;
}

export class Registration {
  /** Every accepted socket until it closes. */
  readonly conns = new Set<Connection>();
  private readonly released = new WeakSet<Connection>();
  private readonly lifecycle = new Set<HubLifecycleListener>();

  constructor(private readonly d: RegistrationDeps) {}

  addLifecycleListener(listener: HubLifecycleListener): () => void {
    this.lifecycle.add(listener);
    return () => this.lifecycle.delete(listener);
  }

  /** RESET_ALL_QUEUES: listeners drop what waits for agents elsewhere (e.g. their RabbitMQ queues). */
  queuesReset(): void {
    for (const l of this.lifecycle) l.queuesReset?.();
  }

  /** `socket` is the TCP socket to cork for write batching: none for a virtual socket (a gRPC session). */
  accept(ws: WebSocket, req: IncomingMessage, socket: IncomingMessage['socket'] | null = req.socket): void {
    if (this.d.state() !== 'running') {
      ws.close(CloseCode.goingAway, 'Server shutdown');
      return;
    }
    const { opts, logger } = this.d;
    const limits = { maxBufferedBytes: opts.maxBufferedBytes, rateLimitPerSecond: opts.rateLimitPerSecond };
    const conn = new Connection(ws, req.socket.remoteAddress ?? '', limits, {
      onSlowConsumer: (c, buffered) => {
        this.d.warn(`Client ${c.id} (${c.role ?? 'unregistered'}) stopped reading: ${buffered} bytes unsent; disconnected so others are not held up.`);
        this.release(c);
      },
    }, socket ?? undefined);
    this.conns.add(conn);
    ws.on('message', (data, isBinary) => {
      try {
        this.d.onFrame(conn, data, isBinary);
      } catch (err) {
        logger.error(`handling a frame from ${conn.id} failed: ${errorMessage(err)}`);
        this.d.outbox.error(conn, 'internal', `The hub failed to handle this frame: ${errorMessage(err)}`);
      }
    });
    ws.on('close', (code, reason) => this.closed(conn, code, reason.toString()));
    ws.on('pong', () => conn.notePong());
    ws.on('error', (err) => {
      // ws reports protocol violations here (e.g. a frame beyond the hard size cap → 1009) before 'close'
      logger.debug(`socket error from ${conn.id}: ${err.message}`);
    });
  }

  closed(conn: Connection, code: number, reason: string): void {
    if (!this.conns.has(conn)) return;
    conn.markClosed();
    this.conns.delete(conn);
    this.release(conn);
    this.logClosed(conn, code, reason);
    if (conn.peer) {
      conn.peer.markClosed();
      this.logClosed(conn.peer, code, reason);
    }
  }

  private logClosed(conn: Connection, code: number, reason: string): void {
    this.d.log.append({
      direction: 'internal',
      message_type: MessageType.CLIENT_DISCONNECTED,
      client_id: conn.id,
      ...(conn.role ? { role: conn.role } : {}),
      size: 0,
      body: { client_id: conn.id, connection_type: conn.role ?? 'unregistered', code, reason },
    });
  }

  /** Takes a connection out of the registry (idempotent): its agent goes offline at once. */
  release(conn: Connection): void {
    if (this.released.has(conn)) return;
    this.released.add(conn);
    if (conn.peer) this.release(conn.peer); // one socket: both its registrations go
    if (conn.role === 'monitor') this.d.monitorStreams.remove(conn);
    if (conn.role === 'frontend') this.d.statusRouter.frontendClosed(conn);
    const wasRegistered = conn.registered;
    const rec = this.d.registry.release(conn);
    if (rec && this.d.state() !== 'stopped') this.d.agentStatus.markChanged(rec.agent_id);
    if (wasRegistered && conn.role) this.notify('released', conn.role, conn.id);
  }

  register(socketConn: Connection, msg: Envelope, size: number): void {
    const { registry, outbox, agentStatus } = this.d;
    const conn = this.faceFor(socketConn, msg);
    const out = registry.register(conn, msg);
    if (out.ok && conn !== socketConn && !socketConn.peer) {
      // The seed accepts a front-end and an agent on one socket (its users do it to get replies): both are served.
      socketConn.peer = conn;
      conn.peer = socketConn;
    }
    // logged after registering so the entry carries the id the client got (queries by agent find it)
    outbox.logIn(conn, msg, size);
    if (!out.ok) {
      outbox.error(conn, out.code, out.text, msg.message_id);
      const holder = out.holder;
      if (holder) {
        holder.probe(HOLDER_PROBE_MS, () => {
          this.d.warn(`Client ${holder.id} did not answer a ping after another connection asked for its id; closed so the id can be registered again.`);
          holder.terminate();
          this.release(holder);
        });
      }
      return;
    }
    if (out.role === 'frontend') conn.earlySeedUi = this.d.opts.seedCompat && !hasName(msg.frontend_name);
    // The response must be the first frame the registering connection receives (early agents rely on it). The seed's
    // early UI expects none (it would show it as a chat bubble): under seed compatibility it gets the status only.
    if (!conn.earlySeedUi) outbox.send(conn, out.response);
    switch (out.role) {
      case 'agent':
        agentStatus.markChanged(out.id);
        break;
      case 'frontend':
        agentStatus.sendFull(conn);
        if (!out.again) this.d.statusRouter.frontendOpened(conn);
        break;
      case 'broker':
        agentStatus.sendFull(conn);
        break;
      case 'monitor': {
        agentStatus.sendFull(conn);
        const asked = typeof msg.backlog === 'number' ? msg.backlog : DEFAULT_MONITOR_BACKLOG;
        if (!out.again) this.d.monitorStreams.add(conn, this.d.log.recent(Math.min(asked, this.d.log.capacity)));
        break;
      }
    }
    this.notify('registered', out.role, out.id, msg);
  }

  /**
   * Which of the socket's registrations a REGISTER_* is for: the same role again goes to the face that holds it; a
   * first registration of another role gets a second face (kept only if the registration succeeds). A third role is
   * refused by the registry (already_registered), as is a second registration of a role under another id.
   */
  private faceFor(conn: Connection, msg: Envelope): Connection {
    const role = roleOfRegistration(msg.message_type);
    if (!conn.registered || !role || conn.role === role) return conn;
    if (conn.peer) return conn.peer.role === role ? conn.peer : conn;
    return conn.newPeer();
  }

  private notify(kind: 'registered' | 'released', role: ClientRole, id: string, registration?: Envelope): void {
    for (const l of this.lifecycle) {
      try {
        if (kind === 'registered') l.registered?.(role, id, registration ?? { message_type: '' });
        else l.released?.(role, id);
      } catch (err) {
        this.d.logger.warn(`a lifecycle listener threw: ${errorMessage(err)}`);
      }
    }
  }
}

function hasName(name: unknown): boolean {
  return typeof name === 'string' && name.trim() !== '';
}
