// The Hub: wires the network front, connections, registry and presence, router, control, status, monitors and the
// event log together, dispatches inbound frames, and offers the typed in-process API the extension and CLI use.

import { isUtf8 } from 'node:buffer';
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { WebSocket, RawData } from 'ws';
import type { Envelope } from '../protocol/schemas';
import type { Logger } from '../protocol/logger';
import type { AgentSnapshot, LogDirection, SessionSnapshot } from '../protocol/logEntry';
import type { ClientRole, ControlAction, SendMessageInput } from '../protocol/messageTypes';
import type { Bus, BusStatus } from '../bus/bus';
import { decodeFrame, type DecodeResult } from '../protocol/codec';
import { SwitchboardError, errorMessage, type ErrorCode } from '../protocol/errors';
import { silentLogger } from '../protocol/logger';
import { CHAT_TYPES, HUB_USER_ID, ID_PREFIX, MessageType } from '../protocol/messageTypes';
import { isoNow, newClientId, newMessageId, newToken } from '../protocol/ids';
import { MemoryBus } from '../bus/memoryBus';
import { createBus, isBusKind } from '../bus/createBus';
import { resolveHubOptions, type HubOptions } from './options';
import type { HubEventMap, HubState } from './hubEvents';
import { EventLog, type EntryMeta } from './eventLog';
import { HttpFront } from './server';
import { CloseCode, Connection } from './connection';
import { Registry, roleOfRegistration } from './registry';
import { Presence } from './presence';
import { AgentStatusBroadcaster } from './agentStatus';
import { Router, type RouteResult, type RouterBridge } from './router';
import { Control, parseControl } from './control';
import { StatusRouter } from './status';
import { DEFAULT_MONITOR_BACKLOG, MonitorStreams } from './monitors';
import { errorFrame, heartbeatFrame, pingFrame, shutdownFrame } from './frames';
import { renderMonitorPage } from './monitorPage';
import { attachContextRelay, type ContextRelay } from './contextRelay';
import { startBusIntegration, type BusIntegration, type HubLifecycleListener, type RemoteAgentSource } from './busBridge';

export { HUB_USER_ID } from '../protocol/messageTypes';

/** Frames between maxPayloadBytes and this multiple of it get an ERROR and the connection is kept; beyond, ws closes 1009. */
export const HARD_PAYLOAD_FACTOR = 4;
/** When a registration asks for an id a connection holds, that holder must answer a WebSocket ping this fast. */
const HOLDER_PROBE_MS = 2000;
/** How long stop() waits for clients to finish the close handshake before destroying their sockets. */
const STOP_GRACE_MS = 1500;

const KEEPALIVE_TYPES: ReadonlySet<string> = new Set([MessageType.PING, MessageType.PONG, MessageType.SERVER_HEARTBEAT]);
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

/** What a custom message handler (added with hub.handle) knows about the client that sent the frame. */
export interface ClientContext {
  readonly id: string;
  readonly role: ClientRole | undefined;
  readonly name: string;
  readonly namespace: string;
  send(frame: Envelope): boolean;
  error(code: ErrorCode, text: string): void;
}

export type MessageHandler = (message: Envelope, client: ClientContext) => void;

export interface HubDeps {
  bus?: Bus;
  logger?: Logger;
  /** Folder holding the built monitor bundle (dist/webview), served under /monitor/assets/*. */
  webviewDir?: string;
}

export class Hub {
  readonly events = new EventEmitter<HubEventMap>();
  readonly log: EventLog;
  /** Seed 002 peer context: relays REQUEST_CONTEXT/PROVIDE_CONTEXT, sends RESTORE_CONTEXT (src/reconstruction plugs in). */
  readonly context: ContextRelay;
  private readonly opts: HubOptions;
  private readonly logger: Logger;
  private readonly hubId: string;
  private readonly webviewDir: string | undefined;
  private readonly registry: Registry;
  private readonly router: Router;
  private readonly control: Control;
  private readonly statusRouter: StatusRouter;
  private readonly presence: Presence;
  private readonly agentStatus: AgentStatusBroadcaster;
  private readonly monitorStreams: MonitorStreams;
  private readonly conns = new Set<Connection>();
  private readonly released = new WeakSet<Connection>();
  private readonly handlers = new Map<string, MessageHandler>();
  private readonly providedBus: Bus | undefined;
  private bus: Bus | undefined;
  private busUnsub: (() => void) | undefined;
  private front: HttpFront | undefined;
  private currentState: HubState = 'stopped';
  private tokenValue = '';
  private boundPort = 0;
  private startedAt = 0;
  private stopping: Promise<void> | undefined;
  private starting: Promise<void> | undefined;
  private sessionsTimer: NodeJS.Timeout | undefined;
  private unsubLog: () => void;
  // Bus integration (busBridge.ts, seedTopology.ts): other hubs' agents, lifecycle listeners, queue delivery.
  private remoteAgents: RemoteAgentSource | undefined;
  private readonly lifecycle = new Set<HubLifecycleListener>();
  private chatRedirect: ((agentId: string, message: Envelope) => boolean) | undefined;
  private busIntegration: BusIntegration | undefined;
  /** The chat message being routed and its JSON (see chatJsonHint); set only during onChat. */
  private chatJson: ChatJsonHint | undefined;

  constructor(options: Partial<HubOptions> = {}, deps: HubDeps = {}) {
    this.opts = resolveHubOptions(options);
    this.logger = (deps.logger ?? silentLogger).child('hub');
    this.hubId = this.opts.hubId || newClientId(ID_PREFIX.hub);
    this.webviewDir = deps.webviewDir;
    this.providedBus = deps.bus;
    this.log = new EventLog({
      ringSize: this.opts.logRingSize,
      dir: this.opts.logDir,
      fileMaxBytes: this.opts.logFileMaxBytes,
      fileCount: this.opts.logFileCount,
      logger: this.logger.child('log'),
    });
    this.registry = new Registry({ hubId: this.hubId, maxOfflineAgents: this.opts.maxOfflineAgents });
    this.monitorStreams = new MonitorStreams(
      { batchMs: this.opts.monitorBatchMs, maxPending: this.opts.monitorMaxPending, maxBufferedBytes: this.opts.maxBufferedBytes / 2 },
      (conn, data) => conn.sendRaw(data),
      (entry, w) => this.log.writeJson(entry, w),
    );
    this.unsubLog = this.log.onAppend((entry) => {
      this.monitorStreams.push(entry);
      this.emit('log', entry);
    });
    this.agentStatus = new AgentStatusBroadcaster(this.opts, {
      snapshots: (ids) => this.allSnapshots(ids),
      recipients: () => this.statusRecipients(),
      fanOut: (targets, frame) => this.fanOut([...targets], frame),
      sendTo: (conn, frame) => this.sendFrame(conn, frame),
      changed: (agents) => this.emit('agents', agents),
    });
    this.control = new Control(this.registry, {
      send: (conn, frame) => this.sendFrame(conn, frame),
      deliverHeld: (conn, message) => {
        if (!this.redirected(conn, message)) this.sendFrame(conn, message);
        const rec = this.registry.agents.get(conn.id);
        if (rec) rec.messagesIn++;
      },
      markChanged: (id) => this.agentStatus.markChanged(id),
      maxHeldPerAgent: this.opts.maxHeldPerAgent,
      onHeldDropped: (rec) => this.warn(`Held queue of paused agent ${rec.agent_id} is full (${this.opts.maxHeldPerAgent}); the oldest message was dropped.`),
    });
    this.router = new Router(this.registry, {
      toConnection: (conn, message) => this.redirected(conn, message) || this.sendFrame(conn, message),
      toMany: (conns, message) => {
        if (!this.chatRedirect) return this.fanOut(conns, message);
        const rest = conns.filter((c) => !this.redirected(c, message));
        return this.fanOut(rest, message) + (conns.length - rest.length);
      },
      toUser: (message) => {
        this.log.record('out', message, { client_id: HUB_USER_ID, role: 'frontend' });
      },
      hold: (rec, message) => this.control.hold(rec, message),
    });
    this.statusRouter = new StatusRouter({
      registry: this.registry,
      bus: () => this.bus,
      send: (conn, frame) => this.sendFrame(conn, frame),
      onStatus: (line) => this.emit('status', line),
      onAgentEvent: (ev) => this.emit('agentEvent', ev),
      onSessionsChanged: () => this.sessionsChanged(),
      onAgentStatusText: (id) => this.agentStatus.markChanged(id),
      onBusError: (err) => this.logger.warn(`publishing AGENT_EVENT failed: ${errorMessage(err)}`),
    });
    this.presence = new Presence(this.opts, {
      agentConnections: () => this.registry.byRole.agent,
      registeredConnections: () => this.registeredConnections(),
      pingRound: (targets) => this.fanOut([...targets], pingFrame()),
      heartbeatRound: (targets) => this.fanOut([...targets], heartbeatFrame(this.hubId)),
      onInactive: (conn, silentMs) => {
        this.log.append({
          direction: 'internal',
          message_type: 'AGENT_INACTIVE',
          client_id: conn.id,
          role: 'agent',
          size: 0,
          body: { agent_id: conn.id, silent_ms: silentMs },
        });
        conn.close(CloseCode.serverError, 'Server detected disconnection');
        this.release(conn);
      },
    });
    this.context = attachContextRelay(this, this.logger);
  }

  // --- identity and state ------------------------------------------------------------------------------------

  get state(): HubState {
    return this.currentState;
  }
  get id(): string {
    return this.hubId;
  }
  get port(): number {
    return this.boundPort || this.opts.port;
  }
  get host(): string {
    return this.opts.host;
  }
  get token(): string {
    return this.tokenValue;
  }
  get options(): Readonly<HubOptions> {
    return this.opts;
  }
  /** Host part for URLs: a wildcard bind is reached on loopback. */
  private get urlHost(): string {
    const h = this.opts.host;
    if (!h || h === '0.0.0.0' || h === '::') return '127.0.0.1';
    return h.includes(':') ? `[${h}]` : h;
  }
  get agentUrl(): string {
    return `ws://${this.urlHost}:${this.port}/ws?token=${encodeURIComponent(this.tokenValue)}`;
  }
  get monitorUrl(): string {
    return `http://${this.urlHost}:${this.port}/monitor?token=${encodeURIComponent(this.tokenValue)}`;
  }

  // --- lifecycle ---------------------------------------------------------------------------------------------

  start(): Promise<void> {
    if (this.currentState !== 'stopped') {
      return Promise.reject(new SwitchboardError('internal', `The hub is ${this.currentState}; stop it before starting it again.`));
    }
    this.starting = this.doStart().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async doStart(): Promise<void> {
    this.setState('starting');
    this.tokenValue = this.opts.token || newToken();
    this.log.reopen();
    if (!isBusKind(this.opts.bus)) {
      this.setState('stopped');
      throw new SwitchboardError('invalid_message', `Unknown bus "${String(this.opts.bus)}": choose memory, rabbitmq or kafka.`);
    }
    this.bus =
      this.providedBus ??
      (this.opts.bus === 'memory'
        ? new MemoryBus({ shared: false })
        : createBus(
            {
              kind: this.opts.bus,
              ...(this.opts.rabbitmqUrl ? { rabbitmqUrl: this.opts.rabbitmqUrl } : {}),
              ...(this.opts.kafkaBrokers.length ? { kafkaBrokers: this.opts.kafkaBrokers } : {}),
              ...(this.opts.busPrefix ? { prefix: this.opts.busPrefix } : {}),
              clientName: `switchboard-hub-${this.hubId}`,
            },
            this.logger,
          ));
    this.busUnsub = this.bus.onStatus((s) => this.emit('bus', s));
    const front = new HttpFront(
      {
        host: this.opts.host,
        port: this.opts.port,
        portFallback: this.opts.portFallback,
        token: this.tokenValue,
        allowedOrigins: this.opts.allowedOrigins,
        hardMaxPayloadBytes: this.opts.maxPayloadBytes * HARD_PAYLOAD_FACTOR,
        webviewDir: this.webviewDir,
      },
      {
        onConnection: (ws, req) => this.onConnection(ws, req),
        health: () => this.health(),
        monitorPage: (nonce) => renderMonitorPage({ token: this.tokenValue, hubId: this.hubId, assetBase: '/monitor/assets', nonce }),
        onServerError: (err) => this.warn(`HTTP server error: ${err.message}`),
      },
    );
    try {
      this.boundPort = await front.start();
    } catch (err) {
      await this.releaseBus();
      this.setState('stopped');
      throw err instanceof SwitchboardError ? err : new SwitchboardError('internal', errorMessage(err), { cause: err });
    }
    this.front = front;
    this.startedAt = Date.now();
    this.presence.start();
    this.agentStatus.start();
    // A bus shared with others (a broker, or one handed in) links this hub to other hubs and routing brokers.
    if (this.bus.kind !== 'memory' || this.providedBus) {
      try {
        this.busIntegration = await startBusIntegration(this, this.bus, {
          queuePrefix: this.opts.busPrefix,
          presenceIntervalMs: this.opts.presenceIntervalMs,
          advertiseIntervalMs: this.opts.advertiseIntervalMs,
          logger: this.logger,
        });
      } catch (err) {
        this.warn(`The ${this.bus.kind} bus integration did not start (${errorMessage(err)}); this hub routes locally only.`);
      }
    }
    this.log.append({ direction: 'internal', message_type: 'HUB_STARTED', size: 0, body: { hub_id: this.hubId, port: this.boundPort, host: this.opts.host } });
    this.logger.info(`hub ${this.hubId} listening on ${this.opts.host}:${this.boundPort}`);
    this.setState('running');
  }

  /** SHUTDOWN to every client, close 1001 "Server shutdown", timers cleared, the log flushed. Idempotent. */
  stop(reason = 'Server shutdown'): Promise<void> {
    if (this.currentState === 'stopped') return Promise.resolve();
    if (this.stopping) return this.stopping;
    // Stopping during start waits for the start to settle (listening or failed) and then stops what it started.
    const afterStart = this.starting ? this.starting.catch(() => undefined) : Promise.resolve();
    this.stopping = afterStart.then(() => (this.currentState === 'running' ? this.doStop(reason) : undefined)).finally(() => {
      this.stopping = undefined;
    });
    return this.stopping;
  }

  private async doStop(reason: string): Promise<void> {
    this.setState('stopping');
    this.presence.stop();
    this.agentStatus.stop();
    const open = [...this.conns].filter((c) => c.isOpen);
    this.fanOut(open, shutdownFrame(reason));
    for (const c of this.conns) c.close(CloseCode.goingAway, 'Server shutdown');
    await this.waitForClose(STOP_GRACE_MS);
    for (const c of this.conns) c.terminate();
    await this.waitForClose(200);
    for (const c of [...this.conns]) this.onClosed(c, CloseCode.goingAway, 'Server shutdown');
    await this.front?.close();
    this.front = undefined;
    this.monitorStreams.stop();
    if (this.sessionsTimer) clearTimeout(this.sessionsTimer);
    this.sessionsTimer = undefined;
    this.agentStatus.stop(); // release() above may have queued changes
    await this.busIntegration?.stop().catch((err: unknown) => this.logger.warn(`bus integration stop: ${errorMessage(err)}`));
    this.busIntegration = undefined;
    this.log.append({ direction: 'internal', message_type: 'HUB_STOPPED', size: 0, body: { hub_id: this.hubId, reason } });
    await this.log.close();
    await this.releaseBus();
    this.boundPort = 0;
    this.setState('stopped');
  }

  private waitForClose(ms: number): Promise<void> {
    if (this.conns.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const started = Date.now();
      const tick = setInterval(() => {
        if (this.conns.size === 0 || Date.now() - started >= ms) {
          clearInterval(tick);
          resolve();
        }
      }, 10);
    });
  }

  private async releaseBus(): Promise<void> {
    this.busUnsub?.();
    this.busUnsub = undefined;
    if (this.bus && this.bus !== this.providedBus) await this.bus.close().catch(() => undefined);
    this.bus = undefined;
  }

  // --- queries -----------------------------------------------------------------------------------------------

  agents(): AgentSnapshot[] {
    return this.allSnapshots();
  }

  agent(id: string): AgentSnapshot | undefined {
    return this.allSnapshots([id])[0];
  }

  /** This hub's agents plus other hubs' (bus bridge); for an id on both, the one that is online wins. */
  private allSnapshots(ids?: Iterable<string>): AgentSnapshot[] {
    const idList = ids === undefined ? undefined : [...ids];
    const local = this.registry.snapshots(idList);
    if (!this.remoteAgents) return local;
    const byId = new Map(local.map((a) => [a.agent_id, a]));
    for (const r of this.remoteAgents.snapshots(idList)) {
      const l = byId.get(r.agent_id);
      if (!l || (!l.is_online && r.is_online)) byId.set(r.agent_id, r);
    }
    return [...byId.values()];
  }

  sessions(): SessionSnapshot[] {
    return this.statusRouter.sessionList();
  }

  busStatus(): BusStatus {
    return this.bus?.status() ?? this.providedBus?.status() ?? { kind: 'memory', state: 'down', url: 'memory://', reconnectAttempt: 0, published: 0, received: 0 };
  }

  /** The bus the hub publishes on while running (the provided one, or its own memory bus). */
  get activeBus(): Bus | undefined {
    return this.bus;
  }

  /** Counters for health checks and tests. */
  stats(): { connections: number; registered: number; statusBroadcasts: number; monitors: number; eventsPublished: number } {
    return {
      connections: this.conns.size,
      registered: this.registry.liveCount(),
      statusBroadcasts: this.agentStatus.broadcasts,
      monitors: this.monitorStreams.count,
      eventsPublished: this.statusRouter.published,
    };
  }

  private health(): Record<string, unknown> {
    let online = 0;
    for (const a of this.registry.agents.values()) if (a.conn && !a.deregistered) online++;
    return {
      status: 'ok',
      hub_id: this.hubId,
      state: this.currentState,
      agents_online: online,
      agents_known: this.registry.agents.size,
      frontends: this.registry.byRole.frontend.size,
      monitors: this.registry.byRole.monitor.size,
      connections: this.conns.size,
      uptime_s: this.startedAt ? Math.round((Date.now() - this.startedAt) / 1000) : 0,
      bus: this.busStatus().state,
    };
  }

  // --- actions (the person at the UI) ------------------------------------------------------------------------

  /** A message from the person at the UI; throws SwitchboardError when it cannot be routed. */
  sendMessage(input: SendMessageInput): Envelope {
    this.assertRunning();
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
    this.log.record('in', message, { client_id: message.sender_id as string, role: 'frontend', size: JSON.stringify(message).length });
    const result = this.router.route(message, {});
    this.afterRoute(result);
    if (result.error) throw new SwitchboardError(result.error.code, result.error.text);
    return message;
  }

  broadcast(text: string): Envelope {
    return this.sendMessage({ receiver_id: 'broadcast', text_payload: text });
  }

  controlAgent(action: ControlAction, agentId: string | 'all'): void {
    this.assertRunning();
    this.control.apply(action, agentId, HUB_USER_ID);
  }

  resetQueues(): number {
    for (const l of this.lifecycle) l.queuesReset?.(); // e.g. the seed topology empties its agents' RabbitMQ queues
    return this.control.resetQueues();
  }

  // --- extension points --------------------------------------------------------------------------------------

  /** Extends routing beyond this hub (a bus between hubs, a routing broker). Returns a remover. */
  addRouterBridge(bridge: RouterBridge): () => void {
    return this.router.addBridge(bridge);
  }

  /** A chat message that arrived from another hub (through a bridge): delivered locally only, never bridged back. */
  deliverRemote(message: Envelope, originClientId?: string): RouteResult {
    // When the original sender is connected here (a routing broker's answer), it is neither a broadcast target nor
    // sent a copy of its own message.
    const from = originClientId ? this.registry.connection(originClientId) : undefined;
    const result = this.router.route(message, from ? { remote: true, from } : { remote: true });
    this.afterRoute(result);
    return result;
  }

  /** Handles a message_type the core does not (topics, context, streams). Registered schemas still validate first. */
  handle(messageType: string, handler: MessageHandler): () => void {
    this.handlers.set(messageType, handler);
    return () => {
      if (this.handlers.get(messageType) === handler) this.handlers.delete(messageType);
    };
  }

  /** Sends a frame to a connected client by id (logged); false when nobody by that id is connected. */
  sendToClient(clientId: string, frame: Envelope): boolean {
    const conn = this.registry.connection(clientId);
    return conn ? this.sendFrame(conn, frame) : false;
  }

  /** The role of a client connected here under this id (its registered id or a sender id it used). */
  localClientRole(clientId: string): ClientRole | undefined {
    const conn = this.registry.connection(clientId);
    if (!conn) return clientId === HUB_USER_ID ? 'frontend' : undefined;
    return conn.role ?? 'frontend';
  }

  /** Routing brokers registered on this hub. */
  localBrokerCount(): number {
    return this.registry.byRole.broker.size;
  }

  /** Agents of other hubs (bus bridge), merged into agents() and AGENT_STATUS_UPDATE. */
  setRemoteAgents(source: RemoteAgentSource | undefined): void {
    this.remoteAgents = source;
  }

  /** An agent changed outside this hub's registry: it goes out in the next coalesced AGENT_STATUS_UPDATE. */
  markAgentChanged(agentId: string): void {
    if (this.currentState === 'running') this.agentStatus.markChanged(agentId);
  }

  /** Told of every registration (after its response went out) and every departure of a registered client. */
  addLifecycleListener(listener: HubLifecycleListener): () => void {
    this.lifecycle.add(listener);
    return () => this.lifecycle.delete(listener);
  }

  /** Chat for an agent connection goes through `redirect` first (seed agents that read agent_queue_<id>). */
  setChatRedirect(redirect: ((agentId: string, message: Envelope) => boolean) | undefined): void {
    this.chatRedirect = redirect;
  }

  private redirected(conn: Connection, message: Envelope): boolean {
    if (!this.chatRedirect || conn.role !== 'agent') return false;
    try {
      return this.chatRedirect(conn.id, message);
    } catch (err) {
      this.logger.warn(`chat redirect failed: ${errorMessage(err)}`);
      return false;
    }
  }

  private notifyLifecycle(kind: 'registered' | 'released', role: ClientRole, id: string, registration?: Envelope): void {
    for (const l of this.lifecycle) {
      try {
        if (kind === 'registered') l.registered?.(role, id, registration ?? { message_type: '' });
        else l.released?.(role, id);
      } catch (err) {
        this.logger.warn(`a lifecycle listener threw: ${errorMessage(err)}`);
      }
    }
  }

  /** Sends pending coalesced agent status changes now. */
  flushAgentStatus(): void {
    this.agentStatus.flush();
  }

  // --- connections -------------------------------------------------------------------------------------------

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    if (this.currentState !== 'running') {
      ws.close(CloseCode.goingAway, 'Server shutdown');
      return;
    }
    const remote = req.socket.remoteAddress ?? '';
    const conn = new Connection(ws, remote, { maxBufferedBytes: this.opts.maxBufferedBytes, rateLimitPerSecond: this.opts.rateLimitPerSecond }, {
      onSlowConsumer: (c, buffered) => {
        this.warn(`Client ${c.id} (${c.role ?? 'unregistered'}) stopped reading: ${buffered} bytes unsent; disconnected so others are not held up.`);
        this.release(c);
      },
    });
    this.conns.add(conn);
    ws.on('message', (data, isBinary) => {
      try {
        this.onFrame(conn, data, isBinary);
      } catch (err) {
        this.logger.error(`handling a frame from ${conn.id} failed: ${errorMessage(err)}`);
        this.sendError(conn, 'internal', `The hub failed to handle this frame: ${errorMessage(err)}`);
      }
    });
    ws.on('close', (code, reason) => this.onClosed(conn, code, reason.toString()));
    ws.on('pong', () => conn.notePong());
    ws.on('error', (err) => {
      // ws reports protocol violations here (e.g. a frame beyond the hard size cap → 1009) before 'close'
      this.logger.debug(`socket error from ${conn.id}: ${err.message}`);
    });
  }

  private onClosed(conn: Connection, code: number, reason: string): void {
    if (!this.conns.has(conn)) return;
    conn.markClosed();
    this.conns.delete(conn);
    this.release(conn);
    this.log.append({
      direction: 'internal',
      message_type: MessageType.CLIENT_DISCONNECTED,
      client_id: conn.id,
      ...(conn.role ? { role: conn.role } : {}),
      size: 0,
      body: { client_id: conn.id, connection_type: conn.role ?? 'unregistered', code, reason },
    });
  }

  /** Takes a connection out of the registry (idempotent): its agent goes offline at once. */
  private release(conn: Connection): void {
    if (this.released.has(conn)) return;
    this.released.add(conn);
    if (conn.role === 'monitor') this.monitorStreams.remove(conn);
    if (conn.role === 'frontend') this.statusRouter.frontendClosed(conn);
    const wasRegistered = conn.registered;
    const rec = this.registry.release(conn);
    if (rec && this.currentState !== 'stopped') this.agentStatus.markChanged(rec.agent_id);
    if (wasRegistered && conn.role) this.notifyLifecycle('released', conn.role, conn.id);
  }

  // --- inbound -----------------------------------------------------------------------------------------------

  private onFrame(conn: Connection, data: RawData, isBinary: boolean): void {
    if (conn.closing || conn.closed) return;
    const size = rawSize(data);
    conn.framesIn++;
    conn.bytesIn += size;
    conn.lastSeen = Date.now();
    const verdict = conn.checkRate(conn.lastSeen);
    if (verdict !== 'ok') {
      if (verdict === 'abuse') {
        this.warn(`Client ${conn.id} kept exceeding ${this.opts.rateLimitPerSecond} frames/s; disconnected.`);
        conn.close(CloseCode.policy, 'Rate limit exceeded persistently');
        this.release(conn);
      } else if (conn.shouldReportRateLimit()) {
        this.sendError(conn, 'rate_limited', `Too many frames: the limit is ${this.opts.rateLimitPerSecond}/s (burst ${this.opts.rateLimitPerSecond * 2}); ${conn.rateDropped} dropped so far. Slow down.`);
      }
      return;
    }
    if (size > this.opts.maxPayloadBytes) {
      this.log.append({ direction: 'in', message_type: '(too large)', client_id: conn.id, ...(conn.role ? { role: conn.role } : {}), size, body: {} });
      this.sendError(conn, 'frame_too_large', `Frame of ${size} bytes exceeds the ${this.opts.maxPayloadBytes}-byte limit; it was dropped. Split large payloads.`);
      return;
    }
    const utf8 = isBinary || frameIsUtf8(data);
    // The frame's text is kept for chat: the log and the forwarded frame reuse it instead of serialising again.
    const text = utf8 && !isBinary && Buffer.isBuffer(data) ? data.toString('utf8') : undefined;
    const decoded: DecodeResult = !utf8
      ? { ok: false, error: new SwitchboardError('invalid_utf8', 'The text frame is not valid UTF-8; it was dropped. Encode messages as UTF-8 JSON.') }
      : decodeFrame(text ?? (data as Buffer | ArrayBuffer | Buffer[]), isBinary);
    if (!decoded.ok) {
      let text = decoded.error.message;
      if (decoded.message_type === MessageType.REGISTER_AGENT && /agent_name/.test(text)) {
        text = 'Agent name is required: send REGISTER_AGENT with a non-empty "agent_name".';
      }
      this.log.append({
        direction: 'in',
        message_type: decoded.message_type ?? '(invalid)',
        client_id: conn.id,
        ...(conn.role ? { role: conn.role } : {}),
        size,
        body: { error: decoded.error.code, detail: text },
      });
      this.sendError(conn, decoded.error.code, text);
      return;
    }
    const msg = decoded.message;
    const type = msg.message_type;
    if (conn.role === 'agent') {
      const rec = this.registry.agents.get(conn.id);
      if (rec && rec.conn === conn) rec.lastSeen = conn.lastSeen;
    }
    if (CHAT_TYPES.has(type)) return this.onChat(conn, msg, size, text);
    if (roleOfRegistration(type)) return this.onRegister(conn, msg, size);
    this.logIn(conn, msg, size);
    switch (type) {
      case MessageType.PONG:
        return; // lastSeen already updated, attributed to this connection whatever agent_id the body claims
      case MessageType.PING:
        this.sendFrame(conn, { message_type: MessageType.PONG, timestamp: isoNow(), hub_id: this.hubId });
        return;
      case MessageType.REQUEST_AGENT_STATUS:
        this.agentStatus.sendFull(conn);
        return;
      case MessageType.RESET_ALL_QUEUES:
        if (!this.mayControl(conn, type)) return;
        this.resetQueues();
        return;
      case MessageType.STATUS:
        if (!this.requireRegistered(conn, type)) return;
        this.statusRouter.handleStatus(conn, conn.id, msg);
        return;
      case MessageType.AGENT_EVENT:
        if (!this.requireRegistered(conn, type)) return;
        this.statusRouter.handleAgentEvent(conn.id, msg);
        return;
    }
    const control = parseControl(msg);
    if (control) {
      if (!this.mayControl(conn, type)) return;
      if (!control.target) return this.sendError(conn, 'invalid_message', `${type} needs "agent_id" (or "receiver_id") naming the agent.`, msg.message_id);
      try {
        this.control.apply(control.action, control.target, conn.id, typeof msg.reason === 'string' ? msg.reason : undefined);
      } catch (err) {
        if (err instanceof SwitchboardError) this.sendError(conn, err.code, err.message, msg.message_id);
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
    this.sendError(conn, 'unknown_message_type', `message_type "${type}" is known but not handled by this hub.`, msg.message_id);
  }

  private onRegister(conn: Connection, msg: Envelope, size: number): void {
    const out = this.registry.register(conn, msg);
    // logged after registering so the entry carries the id the client got (queries by agent find it)
    this.logIn(conn, msg, size);
    if (!out.ok) {
      this.sendError(conn, out.code, out.text, msg.message_id);
      const holder = out.holder;
      if (holder) {
        holder.probe(HOLDER_PROBE_MS, () => {
          this.warn(`Client ${holder.id} did not answer a ping after another connection asked for its id; closed so the id can be registered again.`);
          holder.terminate();
          this.release(holder);
        });
      }
      return;
    }
    // The response must be the first frame the registering connection receives (early agents rely on it).
    this.sendFrame(conn, out.response);
    switch (out.role) {
      case 'agent':
        this.agentStatus.markChanged(out.id);
        this.context.afterAgentRegistered(out.id, msg);
        break;
      case 'frontend':
        this.agentStatus.sendFull(conn);
        if (!out.again) this.statusRouter.frontendOpened(conn);
        break;
      case 'broker':
        this.agentStatus.sendFull(conn);
        break;
      case 'monitor': {
        this.agentStatus.sendFull(conn);
        const asked = typeof msg.backlog === 'number' ? msg.backlog : DEFAULT_MONITOR_BACKLOG;
        if (!out.again) this.monitorStreams.add(conn, this.log.recent(Math.min(asked, this.log.capacity)));
        break;
      }
    }
    this.notifyLifecycle('registered', out.role, out.id, msg);
  }

  private onChat(conn: Connection, msg: Envelope, size: number, text?: string): void {
    const claimed = msg.sender_id;
    const idGiven = Object.hasOwn(msg, 'message_id');
    this.settleSender(conn, msg);
    const idAdded = msg.message_id === undefined || msg.message_id === null || msg.message_id === '';
    if (idAdded) msg.message_id = newMessageId();
    const hint = chatJsonHint(msg, text, claimed, idGiven, idAdded);
    this.chatJson = hint;
    try {
      this.logIn(conn, msg, size, hint?.base);
      if (conn.role === 'agent') {
        const rec = this.registry.agents.get(conn.id);
        if (rec) rec.messagesOut++;
      }
      const result = this.router.route(msg, { from: conn });
      this.chatJson = undefined;
      this.afterRoute(result);
      if (result.error) this.sendError(conn, result.error.code, result.error.text, msg.message_id);
    } finally {
      this.chatJson = undefined;
    }
  }

  /** A frame as JSON: the chat message being routed is spliced from its inbound JSON (see chatJsonHint). */
  private frameJson(frame: Envelope): string {
    const h = this.chatJson;
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

  /**
   * Agents and monitors always speak as themselves. A front-end (or an unregistered client) may keep a sender_id
   * nobody else has — the early UI's `user_…` — so replies addressed to it come back; anyone else's id is replaced.
   */
  private settleSender(conn: Connection, msg: Envelope): void {
    const claimed = typeof msg.sender_id === 'string' && msg.sender_id ? msg.sender_id : undefined;
    if (conn.role === 'agent' || conn.role === 'monitor' || !claimed || claimed === conn.id) {
      if (claimed && claimed !== conn.id) this.logger.debug(`sender_id ${claimed} from ${conn.id} replaced by its own id`);
      if (!conn.registered) this.registry.bindAlias(conn, conn.id);
      msg.sender_id = conn.id;
      return;
    }
    if (!this.registry.bindAlias(conn, claimed)) {
      this.logger.debug(`sender_id ${claimed} from ${conn.id} belongs to someone else; replaced`);
      msg.sender_id = conn.id;
      if (!conn.registered) this.registry.bindAlias(conn, conn.id);
    }
  }

  private afterRoute(result: RouteResult): void {
    this.emit('message', result.message);
  }

  private mayControl(conn: Connection, type: string): boolean {
    if (conn.role && CONTROL_ROLES.has(conn.role)) return true;
    this.sendError(conn, 'forbidden', `${type} is accepted from front-ends, monitors and brokers only.`);
    return false;
  }

  private requireRegistered(conn: Connection, type: string): boolean {
    if (conn.registered) return true;
    this.sendError(conn, 'not_registered', `Register first (REGISTER_AGENT {agent_name}) before sending ${type}.`);
    return false;
  }

  private clientContext(conn: Connection): ClientContext {
    return {
      id: conn.id,
      role: conn.role,
      name: conn.name,
      namespace: conn.namespace,
      send: (frame) => this.sendFrame(conn, frame),
      error: (code, text) => this.sendError(conn, code, text),
    };
  }

  // --- outbound ----------------------------------------------------------------------------------------------

  private logIn(conn: Connection, msg: Envelope, size: number, bodyJson?: string): void {
    if (!this.opts.logKeepalives && KEEPALIVE_TYPES.has(msg.message_type)) return;
    this.log.record('in', msg, { client_id: conn.id, role: conn.role, size }, bodyJson);
  }

  /** `data` is the frame as sent (JSON.stringify(msg)): the log reuses it instead of serialising the body again. */
  private logOut(direction: LogDirection, msg: Envelope, meta: EntryMeta, data: string): void {
    if (!this.opts.logKeepalives && KEEPALIVE_TYPES.has(msg.message_type)) return;
    this.log.record(direction, msg, meta, data);
  }

  /** One frame to one client, logged. */
  private sendFrame(conn: Connection, frame: Envelope): boolean {
    const data = this.frameJson(frame);
    const ok = conn.sendRaw(data);
    if (ok) this.logOut('out', frame, { client_id: conn.id, role: conn.role, size: data.length }, data);
    return ok;
  }

  /** The same frame to many clients: serialised and encoded once, logged once. */
  private fanOut(targets: Connection[], frame: Envelope): number {
    if (targets.length === 0) return 0;
    const data = this.frameJson(frame);
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

  private sendError(conn: Connection, code: ErrorCode, text: string, ref?: string | number | null): void {
    this.sendFrame(conn, errorFrame(conn.id, code, text, ref));
  }

  private statusRecipients(): Connection[] {
    const out: Connection[] = [];
    for (const role of ['frontend', 'broker', 'monitor'] as const) for (const c of this.registry.byRole[role]) out.push(c);
    return out;
  }

  private *registeredConnections(): Iterable<Connection> {
    for (const c of this.conns) if (c.registered && c.isOpen) yield c;
  }

  // --- events ------------------------------------------------------------------------------------------------

  private setState(state: HubState): void {
    this.currentState = state;
    this.emit('state', state);
  }

  private warn(message: string): void {
    this.logger.warn(message);
    this.log.append({ direction: 'internal', message_type: 'WARNING', size: 0, body: { text_payload: message } });
    this.emit('warning', message);
  }

  private sessionsChanged(): void {
    if (this.sessionsTimer || this.currentState === 'stopped') return;
    this.sessionsTimer = setTimeout(() => {
      this.sessionsTimer = undefined;
      this.emit('sessions', this.statusRouter.sessionList());
    }, this.opts.statusCoalesceMs);
  }

  /** A throwing listener is logged, never allowed to break the hub. */
  private emit<K extends keyof HubEventMap>(name: K, ...args: HubEventMap[K]): void {
    // Listeners are called one by one so that one throwing listener neither crashes the hub nor starves the others.
    if (this.events.listenerCount(name) === 0) return; // costs nothing when nobody listens
    const listeners = this.events.rawListeners(name) as ((...a: HubEventMap[K]) => unknown)[];
    for (const l of listeners) {
      try {
        l(...args);
      } catch (err) {
        this.logger.error(`a '${String(name)}' listener threw: ${errorMessage(err)}`);
      }
    }
  }

  private assertRunning(): void {
    if (this.currentState !== 'running') throw new SwitchboardError('shutdown', `The hub is ${this.currentState}; start it first.`);
  }

  /** Releases the log listener; for tests that create many hubs. The hub must be stopped. */
  dispose(): void {
    this.unsubLog();
  }
}

/**
 * A routed chat message is written three times: to the log as it came in, to its receiver and to the log as it went
 * out (and monitors and the log file carry the log's copies). Instead of serialising it for each, its JSON is taken
 * from the frame's own text when the hub changed nothing in it but append message_id, and the keys the router adds
 * (send_timestamp when absent, _client_id, routing_status) are appended to that text. Key order is the object's
 * own (keys added to an object go last), so the result is what JSON.stringify would give, up to the sender's
 * whitespace and number spelling. Anything else (a replaced sender, keys the router would overwrite in place) falls
 * back to JSON.stringify.
 */
interface ChatJsonHint {
  msg: Envelope;
  /** The message as logged inbound. */
  base: string;
  addTimestamp: boolean;
  out?: string;
  outStatus?: string;
}

function chatJsonHint(msg: Envelope, text: string | undefined, claimed: unknown, idGiven: boolean, idAdded: boolean): ChatJsonHint | undefined {
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

function frameIsUtf8(data: RawData): boolean {
  if (Array.isArray(data)) return isUtf8(Buffer.concat(data));
  return isUtf8(data instanceof ArrayBuffer ? new Uint8Array(data) : data);
}

function rawSize(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0);
  if (data instanceof ArrayBuffer) return data.byteLength;
  return data.length;
}
