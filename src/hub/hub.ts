// The Hub: the façade the extension, the CLI, the SDK's tests and reconstruction use. It owns the lifecycle (bus,
// network front, timers, plugins) and the typed in-process API; the work is done by the parts in core.ts, and
// plugins (bus integration, context relay, the families to come) attach through the HubPort, one line each.

import type { EventEmitter } from 'node:events';
import type { Envelope } from '../protocol/schemas';
import type { Logger } from '../protocol/logger';
import type { AgentSnapshot, SessionSnapshot } from '../protocol/logEntry';
import type { ClientRole, ControlAction, SendMessageInput } from '../protocol/messageTypes';
import type { Bus, BusStatus } from '../bus/bus';
import { SwitchboardError, errorMessage } from '../protocol/errors';
import { silentLogger } from '../protocol/logger';
import { HUB_USER_ID, ID_PREFIX } from '../protocol/messageTypes';
import { newClientId, newToken } from '../protocol/ids';
import { isBusKind } from '../bus/createBus';
import { isLoopbackHost, resolveHubOptions, SEED_UI_ORIGIN, type HubOptions } from './options';
import type { HubEventMap, HubState } from './hubEvents';
import type { EventLog } from './eventLog';
import type { HubLifecycleListener, MessageHandler, RemoteAgentSource } from './port';
import type { RouteResult, RouterBridge } from './router';
import { HttpFront } from './server';
import { CloseCode } from './connection';
import { HubCore } from './core';
import { shutdownFrame } from './frames';
import { renderMonitorPage } from './monitorPage';
import { attachContextRelay, type ContextRelay } from './contextRelay';
import { attachDebugger, type MessageDebugger } from './debugger';
import { openHubBus, startBusIntegration, type BusIntegration } from './busIntegration';
import { attachAgentStreams, type AgentStreams } from './agentStreams/agentStreams';
import { startHubGrpc, type SeedGrpcServer } from './grpc/seedGrpcServer';
import { attachTopics, type TopicsFamily } from './topics/topicsFamily';
import { topicsOptions } from './topics/openTopicStore';

export { HUB_USER_ID } from '../protocol/messageTypes';
export type { ClientContext, MessageHandler } from './port';

/** Frames between maxPayloadBytes and this multiple of it get an ERROR and the connection is kept; beyond, ws closes 1009. */
export const HARD_PAYLOAD_FACTOR = 4;
/** How long stop() waits for clients to finish the close handshake before destroying their sockets. */
const STOP_GRACE_MS = 1500;

export interface HubDeps {
  bus?: Bus;
  logger?: Logger;
  /** Folder holding the built monitor bundle (dist/webview), served under /monitor/assets/*. */
  webviewDir?: string;
}

export class Hub {
  readonly events: EventEmitter<HubEventMap>;
  readonly log: EventLog;
  /** Seed 002 peer context: relays REQUEST_CONTEXT/PROVIDE_CONTEXT, sends RESTORE_CONTEXT (src/reconstruction plugs in). */
  readonly context: ContextRelay;
  /** Seed 003 agent streams and tool approvals: subscribe, list pending approvals, decide (the extension's API). */
  readonly agentStreams: AgentStreams;
  /** Seed 004 topic messaging: the in-process API (every namespace) and what the Topics view reads. */
  readonly topics: TopicsFamily;
  /** Message breakpoints (issue 20): hold, continue, step, edit, drop, release all — the API the wire's DEBUG_* offers. */
  readonly debugger: MessageDebugger;
  private readonly core: HubCore;
  private readonly opts: HubOptions;
  private readonly logger: Logger;
  private readonly webviewDir: string | undefined;
  private readonly providedBus: Bus | undefined;
  private busUnsub: (() => void) | undefined;
  private busIntegration: BusIntegration | undefined;
  /** The seed's third generation (gRPC agents and brokers), when --grpc-port or --seed-compat asks for it. */
  private grpc: SeedGrpcServer | undefined;
  private front: HttpFront | undefined;
  private tokenValue = '';
  private boundPort = 0;
  private startedAt = 0;
  private stopping: Promise<void> | undefined;
  private starting: Promise<void> | undefined;

  constructor(options: Partial<HubOptions> = {}, deps: HubDeps = {}) {
    this.opts = resolveHubOptions(options);
    this.logger = (deps.logger ?? silentLogger).child('hub');
    this.webviewDir = deps.webviewDir;
    this.providedBus = deps.bus;
    this.core = new HubCore(this.opts, this.opts.hubId || newClientId(ID_PREFIX.hub), this.logger);
    this.events = this.core.events;
    this.log = this.core.log;
    // Plugins: each message family attaches through the port in one line.
    this.context = attachContextRelay(this.core);
    this.agentStreams = attachAgentStreams(this.core, this.opts);
    this.topics = attachTopics(this.core, topicsOptions(this.opts, this.core.id));
    this.debugger = attachDebugger(this.core);
  }

  // --- identity and state ------------------------------------------------------------------------------------

  get state(): HubState {
    return this.core.state;
  }
  get id(): string {
    return this.core.id;
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
  /** The port of the seed's gRPC services; 0 when they are off. */
  get grpcPort(): number {
    return this.grpc?.listeningPort ?? 0;
  }
  /** host:port of the seed's gRPC services (always a loopback address); '' when they are off. */
  get grpcAddress(): string {
    return this.grpc ? this.grpc.address : '';
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
    if (this.core.state !== 'stopped') {
      return Promise.reject(new SwitchboardError('internal', `The hub is ${this.core.state}; stop it before starting it again.`));
    }
    this.starting = this.doStart().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async doStart(): Promise<void> {
    const core = this.core;
    core.setState('starting');
    this.tokenValue = this.opts.token || newToken();
    this.log.reopen();
    if (!isBusKind(this.opts.bus)) {
      core.setState('stopped');
      throw new SwitchboardError('invalid_message', `Unknown bus "${String(this.opts.bus)}": choose memory, rabbitmq or kafka.`);
    }
    const bus = this.providedBus ?? openHubBus(this.opts, core.id, this.logger);
    core.useBus(bus);
    this.busUnsub = bus.onStatus((s) => core.emit('bus', s));
    const seedCompat = this.opts.seedCompat;
    if (seedCompat && !isLoopbackHost(this.opts.host)) {
      await this.releaseBus();
      core.setState('stopped');
      throw new SwitchboardError(
        'invalid_config',
        `Seed compatibility accepts connections without a token, so the hub binds a loopback address only; host ${this.opts.host} is reachable from other machines. Bind 127.0.0.1 (the default) or turn seed compatibility off.`,
      );
    }
    const front = new HttpFront(
      {
        host: this.opts.host,
        port: this.opts.port,
        portFallback: this.opts.portFallback,
        token: this.tokenValue,
        tokenOptional: seedCompat,
        allowedOrigins: seedCompat && !this.opts.allowedOrigins.includes(SEED_UI_ORIGIN) ? [...this.opts.allowedOrigins, SEED_UI_ORIGIN] : this.opts.allowedOrigins,
        hardMaxPayloadBytes: this.opts.maxPayloadBytes * HARD_PAYLOAD_FACTOR,
        webviewDir: this.webviewDir,
      },
      {
        onConnection: (ws, req) => core.registration.accept(ws, req),
        health: () => core.health(this.startedAt, this.busStatus().state),
        ...(seedCompat ? { seedHealth: () => this.seedHealth() } : {}),
        monitorPage: (nonce) => renderMonitorPage({ token: this.tokenValue, hubId: core.id, assetBase: '/monitor/assets', nonce }),
        onServerError: (err) => core.warn(`HTTP server error: ${err.message}`),
      },
    );
    try {
      this.boundPort = await front.start();
    } catch (err) {
      await this.releaseBus();
      core.setState('stopped');
      throw err instanceof SwitchboardError ? err : new SwitchboardError('internal', errorMessage(err), { cause: err });
    }
    this.front = front;
    core.agentUrl = this.agentUrl;
    this.startedAt = Date.now();
    core.presence.start();
    core.agentStatus.start();
    const { busPrefix, presenceIntervalMs, advertiseIntervalMs } = this.opts;
    try {
      this.busIntegration = await startBusIntegration(core, { queuePrefix: busPrefix, presenceIntervalMs, advertiseIntervalMs, logger: this.logger });
    } catch (err) {
      core.warn(`The ${bus.kind} bus integration did not start (${errorMessage(err)}); this hub routes locally only.`);
    }
    this.grpc = await startHubGrpc(core, this.opts, (m) => core.warn(m));
    this.log.append({ direction: 'internal', message_type: 'HUB_STARTED', size: 0, body: { hub_id: core.id, port: this.boundPort, host: this.opts.host } });
    this.logger.info(`hub ${core.id} listening on ${this.opts.host}:${this.boundPort}`);
    if (seedCompat) {
      core.warn(
        `Seed compatibility is on: connections without a token are accepted on ws://localhost:${this.boundPort}/ws, so any process on this machine may now connect (and the seed UI's origin ${SEED_UI_ORIGIN} is allowed).`,
      );
    }
    core.setState('running');
  }

  /** What the seed's server answers on GET /health (its compose file starts the broker once it says healthy). */
  private seedHealth(): Record<string, unknown> {
    const bus = this.busStatus();
    return { status: 'service_healthy', services: { websocket: true, grpc: this.grpcPort > 0, rabbitmq: bus.kind === 'rabbitmq' && bus.state === 'up' } };
  }

  /** SHUTDOWN to every client, close 1001 "Server shutdown", timers cleared, the log flushed. Idempotent. */
  stop(reason = 'Server shutdown'): Promise<void> {
    if (this.core.state === 'stopped') return Promise.resolve();
    if (this.stopping) return this.stopping;
    // Stopping during start waits for the start to settle (listening or failed) and then stops what it started.
    const afterStart = this.starting ? this.starting.catch(() => undefined) : Promise.resolve();
    this.stopping = afterStart.then(() => (this.core.state === 'running' ? this.doStop(reason) : undefined)).finally(() => {
      this.stopping = undefined;
    });
    return this.stopping;
  }

  private async doStop(reason: string): Promise<void> {
    const core = this.core;
    const conns = core.registration.conns;
    core.setState('stopping');
    await this.grpc?.stop().catch((err: unknown) => this.logger.warn(`gRPC stop: ${errorMessage(err)}`));
    this.grpc = undefined;
    core.presence.stop();
    core.agentStatus.stop();
    core.outbox.fanOut([...conns].filter((c) => c.isOpen), shutdownFrame(reason));
    for (const c of conns) c.close(CloseCode.goingAway, 'Server shutdown');
    await this.waitForClose(STOP_GRACE_MS);
    for (const c of conns) c.terminate();
    await this.waitForClose(200);
    for (const c of [...conns]) core.registration.closed(c, CloseCode.goingAway, 'Server shutdown');
    await this.front?.close();
    this.front = undefined;
    core.stopTimers(); // release() above may have queued changes
    await this.busIntegration?.stop().catch((err: unknown) => this.logger.warn(`bus integration stop: ${errorMessage(err)}`));
    this.busIntegration = undefined;
    this.log.append({ direction: 'internal', message_type: 'HUB_STOPPED', size: 0, body: { hub_id: core.id, reason } });
    await this.log.close();
    await this.releaseBus();
    this.boundPort = 0;
    core.setState('stopped');
  }

  private waitForClose(ms: number): Promise<void> {
    const conns = this.core.registration.conns;
    if (conns.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const started = Date.now();
      const tick = setInterval(() => {
        if (conns.size === 0 || Date.now() - started >= ms) {
          clearInterval(tick);
          resolve();
        }
      }, 10);
    });
  }

  private async releaseBus(): Promise<void> {
    this.busUnsub?.();
    this.busUnsub = undefined;
    const bus = this.core.rawBus;
    if (bus && bus !== this.providedBus) await bus.close().catch(() => undefined);
    this.core.useBus(undefined);
  }

  // --- queries -----------------------------------------------------------------------------------------------

  agents(): AgentSnapshot[] {
    return this.core.allSnapshots();
  }

  agent(id: string): AgentSnapshot | undefined {
    return this.core.allSnapshots([id])[0];
  }

  sessions(): SessionSnapshot[] {
    return this.core.statusRouter.sessionList();
  }

  busStatus(): BusStatus {
    const bus = this.core.rawBus ?? this.providedBus;
    return bus?.status() ?? { kind: 'memory', state: 'down', url: 'memory://', reconnectAttempt: 0, published: 0, received: 0 };
  }

  /** The bus the hub publishes on while running (the provided one, or its own memory bus). */
  get activeBus(): Bus | undefined {
    return this.core.rawBus;
  }

  /** Counters for health checks and tests; framesRejected counts refused frames by error code (socket and bus). */
  stats(): { connections: number; registered: number; statusBroadcasts: number; monitors: number; eventsPublished: number; framesRejected: Readonly<Record<string, number>>; busFramesRejected: number } {
    const core = this.core;
    return {
      connections: core.registration.conns.size,
      registered: core.registry.liveCount(),
      statusBroadcasts: core.agentStatus.broadcasts,
      monitors: core.monitorStreams.count,
      eventsPublished: core.statusRouter.published,
      framesRejected: { ...core.rejections.byCode },
      busFramesRejected: core.rejections.fromBus,
    };
  }

  // --- actions (the person at the UI) ------------------------------------------------------------------------

  /** A message from the person at the UI; throws SwitchboardError when it cannot be routed. */
  sendMessage(input: SendMessageInput): Envelope {
    this.assertRunning();
    return this.core.chat.fromUser(input);
  }

  broadcast(text: string): Envelope {
    return this.sendMessage({ receiver_id: 'broadcast', text_payload: text });
  }

  controlAgent(action: ControlAction, agentId: string | 'all'): void {
    this.assertRunning();
    this.core.control.apply(action, agentId, HUB_USER_ID);
  }

  resetQueues(): number {
    return this.core.resetQueues();
  }

  // --- extension points (plugins get all of these, and more, through the HubPort) ------------------------------

  /** Extends routing beyond this hub (a route strategy: another hub, a routing broker). Returns a remover. */
  addRouterBridge(bridge: RouterBridge): () => void {
    return this.core.addRouteStrategy(bridge);
  }

  /** A chat message that arrived from another hub: delivered locally only, never forwarded again. */
  deliverRemote(message: Envelope, originClientId?: string): RouteResult {
    return this.core.route(message, originClientId ? { via: 'hub', originClientId } : { via: 'hub' });
  }

  /** Handles a message_type the core does not (topics, context, streams). Registered schemas still validate first. */
  handle(messageType: string, handler: MessageHandler): () => void {
    return this.core.handle(messageType, handler);
  }

  /** Sends a frame to a connected client by id (logged); false when nobody by that id is connected. */
  sendToClient(clientId: string, frame: Envelope): boolean {
    return this.core.sendToClient(clientId, frame);
  }

  /** The role of a client connected here under this id (its registered id or a sender id it used). */
  localClientRole(clientId: string): ClientRole | undefined {
    return this.core.localClientRole(clientId);
  }

  /** Routing brokers registered on this hub. */
  localBrokerCount(): number {
    return this.core.localBrokerCount();
  }

  /** Agents of other hubs (bus bridge), merged into agents() and AGENT_STATUS_UPDATE. */
  setRemoteAgents(source: RemoteAgentSource | undefined): void {
    this.core.setRemoteAgents(source);
  }

  /** An agent changed outside this hub's registry: it goes out in the next coalesced AGENT_STATUS_UPDATE. */
  markAgentChanged(agentId: string): void {
    this.core.markAgentChanged(agentId);
  }

  /** Told of every registration (after its response went out) and every departure of a registered client. */
  addLifecycleListener(listener: HubLifecycleListener): () => void {
    return this.core.onLifecycle(listener);
  }

  /** Sends pending coalesced agent status changes now. */
  flushAgentStatus(): void {
    this.core.agentStatus.flush();
  }

  private assertRunning(): void {
    if (this.core.state !== 'running') throw new SwitchboardError('shutdown', `The hub is ${this.core.state}; start it first.`);
  }

  /** Releases the log listener; for tests that create many hubs. The hub must be stopped. */
  dispose(): void {
    this.core.dispose();
  }
}
