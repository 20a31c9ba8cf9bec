// The hub's parts wired together, and the HubPort its plugins receive. The façade (hub.ts) owns the lifecycle and
// the public API; everything here is built once per hub and lives as long as it.

import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import type { Envelope } from '../protocol/schemas';
import type { Logger } from '../protocol/logger';
import type { AgentSnapshot, LogEntry } from '../protocol/logEntry';
import type { ClientRole } from '../protocol/messageTypes';
import type { Bus } from '../bus/bus';
import { errorMessage } from '../protocol/errors';
import { HUB_USER_ID } from '../protocol/messageTypes';
import type { HubOptions } from './options';
import type { HubEventMap, HubState } from './hubEvents';
import type { ArrivedFrom, FrameGate, HubLifecycleListener, HubPort, MessageHandler, PortBus, RemoteAgentSource, VirtualSocket } from './port';
import type { RouteContext, RouteResult, RouteStrategy } from './router';
import { EventLog } from './eventLog';
import { CloseCode, type Connection } from './connection';
import { Registry } from './registry';
import { Presence } from './presence';
import { AgentStatusBroadcaster } from './agentStatus';
import { Router } from './router';
import { Control } from './control';
import { StatusRouter } from './status';
import { MonitorStreams } from './monitors';
import { heartbeatFrame, pingFrame } from './frames';
import { Outbox } from './outbox';
import { Chat } from './chat';
import { Registration } from './registration';
import { Inbound } from './inbound';
import { Rejections } from './rejections';
import { portBus } from './busIntake';

export class HubCore implements HubPort {
  readonly events = new EventEmitter<HubEventMap>();
  readonly log: EventLog;
  readonly registry: Registry;
  readonly outbox: Outbox;
  readonly rejections: Rejections;
  readonly router: Router;
  readonly control: Control;
  readonly statusRouter: StatusRouter;
  readonly presence: Presence;
  readonly agentStatus: AgentStatusBroadcaster;
  readonly monitorStreams: MonitorStreams;
  readonly chat: Chat;
  readonly registration: Registration;
  readonly inbound: Inbound;
  state: HubState = 'stopped';
  agentUrl = '';
  /** The bus while running, and its validated view for plugins when it can be shared. */
  rawBus: Bus | undefined;
  bus: PortBus | undefined;
  private remoteAgents: RemoteAgentSource | undefined;
  /** Gates offered plugin-handled frames (the debugger holding tool approval requests). */
  private readonly frameGates: FrameGate[] = [];
  private sessionsTimer: NodeJS.Timeout | undefined;
  private readonly unsubLog: () => void;

  constructor(
    readonly opts: HubOptions,
    readonly id: string,
    readonly logger: Logger,
  ) {
    this.log = new EventLog({
      ringSize: opts.logRingSize,
      dir: opts.logDir,
      fileMaxBytes: opts.logFileMaxBytes,
      fileCount: opts.logFileCount,
      logger: logger.child('log'),
    });
    this.registry = new Registry({ hubId: id, maxOfflineAgents: opts.maxOfflineAgents });
    this.outbox = new Outbox(this.log, opts.logKeepalives);
    this.rejections = new Rejections(this.log);
    const outbox = this.outbox;
    this.monitorStreams = new MonitorStreams(
      { batchMs: opts.monitorBatchMs, maxPending: opts.monitorMaxPending, maxBufferedBytes: opts.maxBufferedBytes / 2 },
      (conn, data) => conn.sendRaw(data),
      (entry, w) => this.log.writeJson(entry, w),
    );
    this.unsubLog = this.log.onAppend((entry) => {
      this.monitorStreams.push(entry);
      this.emit('log', entry);
    });
    this.agentStatus = new AgentStatusBroadcaster(opts, {
      snapshots: (ids) => this.allSnapshots(ids),
      recipients: () => this.statusRecipients(),
      fanOut: (targets, frame) => outbox.fanOut([...targets], frame),
      sendTo: (conn, frame) => outbox.send(conn, frame),
      changed: (agents) => this.emit('agents', agents),
    });
    this.router = new Router(this.registry, {
      toConnection: (conn, message) => outbox.send(conn, message),
      toMany: (conns, message) => outbox.fanOut(conns, message),
      toUser: (message) => {
        this.log.record('out', message, { client_id: HUB_USER_ID, role: 'frontend' });
      },
      hold: (rec, message) => this.control.hold(rec, message),
      strategyFailed: (err) => this.logger.warn(`a route strategy failed: ${errorMessage(err)}`),
    });
    this.control = new Control(this.registry, {
      send: (conn, frame) => outbox.send(conn, frame),
      deliverHeld: (conn, message) => {
        this.router.deliverHeld(conn, message);
        const rec = this.registry.agents.get(conn.id);
        if (rec) rec.messagesIn++;
      },
      markChanged: (id) => this.agentStatus.markChanged(id),
      maxHeldPerAgent: opts.maxHeldPerAgent,
      onHeldDropped: (rec) => this.warn(`Held queue of paused agent ${rec.agent_id} is full (${opts.maxHeldPerAgent}); the oldest message was dropped.`),
      onHoldStarted: (rec) =>
        this.logger.info(`${rec.agent_name} (${rec.agent_id}) is paused: holding chat for it until it is resumed (at most ${opts.maxHeldPerAgent}).`),
      onHeldReleased: (rec, n) => this.logger.info(`${rec.agent_name} (${rec.agent_id}) resumed: delivered ${n} held message${n === 1 ? '' : 's'}.`),
    });
    this.statusRouter = new StatusRouter({
      registry: this.registry,
      bus: () => this.rawBus,
      send: (conn, frame) => outbox.send(conn, frame),
      onStatus: (line) => this.emit('status', line),
      onAgentEvent: (ev) => this.emit('agentEvent', ev),
      onSessionsChanged: () => this.sessionsChanged(),
      onAgentStatusText: (id) => this.agentStatus.markChanged(id),
      onBusError: (err) => this.logger.warn(`publishing AGENT_EVENT failed: ${errorMessage(err)}`),
    });
    this.chat = new Chat({ registry: this.registry, router: this.router, outbox, log: this.log, logger, routed: (m) => this.emit('message', m) });
    this.registration = new Registration({
      opts,
      registry: this.registry,
      outbox,
      log: this.log,
      logger,
      agentStatus: this.agentStatus,
      statusRouter: this.statusRouter,
      monitorStreams: this.monitorStreams,
      state: () => this.state,
      warn: (m) => this.warn(m),
      onFrame: (conn, data, isBinary) => this.inbound.onFrame(conn, data, isBinary),
    });
    this.inbound = new Inbound({
      opts,
      hubId: id,
      registry: this.registry,
      outbox,
      rejections: this.rejections,
      chat: this.chat,
      registration: this.registration,
      agentStatus: this.agentStatus,
      statusRouter: this.statusRouter,
      control: this.control,
      warn: (m) => this.warn(m),
      resetQueues: () => this.resetQueues(),
    });
    this.presence = new Presence(opts, {
      agentConnections: () => this.registry.byRole.agent,
      clients: () => this.registration.conns,
      pingRound: (targets) => outbox.fanOut(targets, pingFrame()),
      heartbeatRound: (targets) => outbox.fanOut(targets, heartbeatFrame(id)),
      onInactive: (conn, silentMs) => {
        this.log.append({ direction: 'internal', message_type: 'AGENT_INACTIVE', client_id: conn.id, role: 'agent', size: 0, body: { agent_id: conn.id, silent_ms: silentMs } });
        conn.close(CloseCode.serverError, 'Server detected disconnection');
        this.registration.release(conn);
      },
    });
  }

  /** The bus the hub runs on: plugins see it, through the codec, when it can be shared or has durable queues. */
  useBus(bus: Bus | undefined): void {
    this.rawBus = bus;
    const linked = bus && (bus.capabilities.shared || bus.capabilities.durableQueues);
    this.bus = linked ? portBus(bus, this.rejections, this.opts.maxPayloadBytes, this.logger.child('bus-in')) : undefined;
  }

  // --- HubPort -------------------------------------------------------------------------------------------------

  agents(): AgentSnapshot[] {
    return this.allSnapshots();
  }

  connectedAgents(): string[] {
    return this.registry
      .snapshots()
      .filter((a) => a.status !== 'offline')
      .map((a) => a.agent_id);
  }

  localClientRole(clientId: string): ClientRole | undefined {
    const conn = this.registry.connection(clientId);
    if (!conn) return clientId === HUB_USER_ID ? 'frontend' : undefined;
    return conn.role ?? 'frontend';
  }

  localBrokerCount(): number {
    return this.registry.byRole.broker.size;
  }

  sendToClient(clientId: string, frame: Envelope): boolean {
    const conn = this.registry.connection(clientId);
    return conn ? this.outbox.send(conn, frame) : false;
  }

  sendToClients(clientIds: Iterable<string>, frame: Envelope): number {
    const conns = [];
    for (const id of clientIds) {
      const conn = this.registry.connection(id);
      if (conn) conns.push(conn);
    }
    return this.outbox.fanOut(conns, frame);
  }

  handle(messageType: string, handler: MessageHandler): () => void {
    return this.inbound.handle(messageType, handler);
  }

  onLifecycle(listener: HubLifecycleListener): () => void {
    return this.registration.addLifecycleListener(listener);
  }

  onLogEntry(listener: (entry: LogEntry) => void): () => void {
    return this.log.onAppend(listener);
  }

  addRouteStrategy(strategy: RouteStrategy): () => void {
    return this.router.addStrategy(strategy);
  }

  route(message: Envelope, from: ArrivedFrom): RouteResult {
    return this.chat.fromElsewhere(message, from);
  }

  setRemoteAgents(source: RemoteAgentSource | undefined): void {
    this.remoteAgents = source;
  }

  markAgentChanged(agentId: string): void {
    if (this.state === 'running') this.agentStatus.markChanged(agentId);
  }

  sendUnlogged(clientId: string, frame: Envelope): boolean {
    const conn = this.registry.connection(clientId);
    return conn ? conn.sendRaw(JSON.stringify(frame)) : false;
  }

  bufferedBytes(clientId: string): number | undefined {
    return this.registry.connection(clientId)?.bufferedBytes;
  }

  logInternal(record: Envelope, clientId: string = this.id): void {
    this.log.record('internal', record, { client_id: clientId, size: 0 });
  }

  unloggedInbound(messageType: string): () => void {
    return this.inbound.unlogged(messageType);
  }

  acceptVirtualSocket(socket: VirtualSocket, remoteAddress: string): void {
    // The registration reads the peer address from the request only; a virtual socket has no TCP socket to cork.
    const req = { socket: { remoteAddress } } as unknown as IncomingMessage;
    this.registration.accept(socket as unknown as WebSocket, req, null);
  }

  gateFrame(frame: Envelope, clientId: string, resume: (frame: Envelope) => void): boolean {
    for (const gate of this.frameGates) if (gate(frame, clientId, resume)) return true;
    return false;
  }

  addFrameGate(gate: FrameGate): () => void {
    this.frameGates.push(gate);
    return () => {
      const i = this.frameGates.indexOf(gate);
      if (i >= 0) this.frameGates.splice(i, 1);
    };
  }

  sendPrebuilt(clientIds: Iterable<string>, data: string | Buffer, logAs: Envelope, logJson?: string, onWritten?: () => void): number {
    let n = 0;
    let only: Connection | undefined;
    for (const id of clientIds) {
      const conn = this.registry.connection(id);
      if (conn?.sendRaw(data, onWritten)) {
        n++;
        only = conn;
      }
    }
    if (n === 1) this.log.record('out', logAs, { client_id: only!.id, role: only!.role, size: data.length }, logJson);
    else if (n > 1) this.log.record('out', logAs, { size: data.length, recipients: n }, logJson);
    return n;
  }

  routeReleased(message: Envelope, ctx: RouteContext): RouteResult {
    const result = this.router.route(message, { ...ctx, released: true });
    this.emit('message', result.message);
    return result;
  }

  // --- shared by the parts -------------------------------------------------------------------------------------

  /** This hub's agents plus other hubs'; for an id on both, the one that is online wins. */
  allSnapshots(ids?: Iterable<string>): AgentSnapshot[] {
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

  /** What /healthz answers. */
  health(startedAt: number, busState: string): Record<string, unknown> {
    const registry = this.registry;
    let online = 0;
    for (const a of registry.agents.values()) if (a.conn && !a.deregistered) online++;
    return {
      status: 'ok',
      hub_id: this.id,
      state: this.state,
      agents_online: online,
      agents_known: registry.agents.size,
      frontends: registry.byRole.frontend.size,
      monitors: registry.byRole.monitor.size,
      connections: this.registration.conns.size,
      uptime_s: startedAt ? Math.round((Date.now() - startedAt) / 1000) : 0,
      bus: busState,
    };
  }

  resetQueues(): number {
    this.registration.queuesReset(); // e.g. the seed topology empties its agents' RabbitMQ queues
    return this.control.resetQueues();
  }

  setState(state: HubState): void {
    this.state = state;
    this.emit('state', state);
  }

  warn(message: string): void {
    this.logger.warn(message);
    this.log.append({ direction: 'internal', message_type: 'WARNING', size: 0, body: { text_payload: message } });
    this.emit('warning', message);
  }

  stopTimers(): void {
    this.monitorStreams.stop();
    if (this.sessionsTimer) clearTimeout(this.sessionsTimer);
    this.sessionsTimer = undefined;
    this.agentStatus.stop();
  }

  dispose(): void {
    this.unsubLog();
  }

  /** A throwing listener is logged, never allowed to break the hub. */
  emit<K extends keyof HubEventMap>(name: K, ...args: HubEventMap[K]): void {
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

  private sessionsChanged(): void {
    if (this.sessionsTimer || this.state === 'stopped') return;
    this.sessionsTimer = setTimeout(() => {
      this.sessionsTimer = undefined;
      this.emit('sessions', this.statusRouter.sessionList());
    }, this.opts.statusCoalesceMs);
  }

  private statusRecipients(): Connection[] {
    const out: Connection[] = [];
    for (const role of ['frontend', 'broker', 'monitor'] as const) for (const c of this.registry.byRole[role]) out.push(c);
    return out;
  }
}
