// The seed system's third generation served by the hub: its three gRPC services (agent registration with the command
// stream, agent status, broker registration) on their own port. Agents and brokers registered here are hub clients
// like WebSocket ones (grpcSessions.ts); their chat moves on RabbitMQ (seedGen3Queues.ts) when the hub's bus has
// durable queues. A plugin on the HubPort, started and stopped with the hub.

import { randomInt, randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';
import { Root, parse } from 'protobufjs';
import type { Envelope } from '../../protocol/schemas';
import type { Logger } from '../../protocol/logger';
import { MessageType } from '../../protocol/messageTypes';
import { SwitchboardError, errorMessage } from '../../protocol/errors';
import { isoNow, newMessageId } from '../../protocol/ids';
import type { AgentSnapshot } from '../../protocol/logEntry';
import type { HubPlugin, HubPort } from '../port';
import type { RouteContext, RouteStrategy } from '../router';
import { isLoopbackHost } from '../options';
import { SEED_PROTO_FILES } from './seedProtos';
import { GrpcClientSession, type CommandSink, type SeedCommand } from './grpcSessions';
import { SeedGen3Queues } from './seedGen3Queues';

/** The seed's gRPC port. */
export const SEED_GRPC_PORT = 50051;

export interface SeedGrpcOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** When the port is taken, listen on a free one (and say so) instead of failing. */
  portFallback: boolean;
  /**
   * What SendHeartbeat answers (seconds): the hub's PING interval, so an agent with no command stream that heartbeats
   * as told stays within the inactivity timeout. Default 10.
   */
  heartbeatIntervalS?: number;
  /** Prefix of the RabbitMQ queue names (tests). */
  queuePrefix?: string;
  logger?: Logger;
}

type Handlers = grpc.UntypedServiceImplementation;
type Unary = grpc.handleUnaryCall<Record<string, unknown>, Record<string, unknown>>;

interface Services {
  agentRegistration: grpc.ServiceDefinition;
  agentStatus: grpc.ServiceDefinition;
  brokerRegistration: grpc.ServiceDefinition;
}

let services: Services | undefined;

/** The services from our .proto texts, loaded once (no file on disk: the bundles carry the texts). */
export function seedServices(): Services {
  if (services) return services;
  const root = new Root();
  for (const text of Object.values(SEED_PROTO_FILES)) parse(text, root, { keepCase: true });
  const def = fromJSON(root.toJSON(), { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as Record<string, Record<string, { service: grpc.ServiceDefinition }>>;
  services = {
    agentRegistration: pkg.agent_registration!.AgentRegistrationService!.service,
    agentStatus: pkg.agent_status!.AgentStatusService!.service,
    brokerRegistration: pkg.broker_registration!.BrokerRegistrationService!.service,
  };
  return services;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out[k] = String(x);
  return out;
}

export class SeedGrpcServer implements HubPlugin {
  private readonly server: grpc.Server;
  private readonly log: Logger;
  private readonly agents = new Map<string, GrpcClientSession>();
  private readonly brokers = new Map<string, GrpcClientSession>();
  private readonly subscribers = new Set<grpc.ServerWritableStream<Record<string, unknown>, Record<string, unknown>>>();
  private readonly subscriberBroker = new Map<object, string>();
  private readonly heartbeatIntervalS: number;
  private gen3: SeedGen3Queues | undefined;
  private boundPort = 0;
  private unsubAgents: (() => void) | undefined;
  private removeStrategy: (() => void) | undefined;
  /** Turns for chat addressed to "server" with no routing broker: the next online agent each time. */
  private turn = 0;

  constructor(
    private readonly port: HubPort,
    private readonly opts: SeedGrpcOptions,
  ) {
    this.log = (opts.logger ?? port.logger).child('grpc');
    // grpc-js writes its own errors to stderr (e.g. a taken port, which start() handles and explains): into our log
    // instead, at debug. Its logger is per process; the hub is the only gRPC user in it.
    const log = this.log;
    grpc.setLogger({ error: (...args: unknown[]) => log.debug(args.map(String).join(' ')) });
    this.heartbeatIntervalS = opts.heartbeatIntervalS ?? 10;
    // The seed's agents ping every 45 s with no call open; its server allows that (30 s minimum).
    this.server = new grpc.Server({
      'grpc.keepalive_time_ms': 60_000,
      'grpc.keepalive_timeout_ms': 20_000,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.http2.min_ping_interval_without_data_ms': 30_000,
      'grpc.http2.max_pings_without_data': 0,
    });
    const s = seedServices();
    this.server.addService(s.agentRegistration, this.guarded(this.agentRegistration()));
    this.server.addService(s.agentStatus, this.guarded(this.agentStatus()));
    this.server.addService(s.brokerRegistration, this.guarded(this.brokerRegistration()));
  }

  /** A handler that throws answers INTERNAL with the reason (and is logged), never an opaque UNKNOWN. */
  private guarded(handlers: Handlers): Handlers {
    const out: Handlers = {};
    for (const [rpc, fn] of Object.entries(handlers)) {
      out[rpc] = ((call: grpc.ServerUnaryCall<unknown, unknown>, cb?: grpc.sendUnaryData<unknown>) => {
        try {
          (fn as (c: unknown, cb?: unknown) => void)(call, cb);
        } catch (err) {
          this.log.warn(`${rpc} failed: ${errorMessage(err)}`);
          const status = { code: grpc.status.INTERNAL, details: `${rpc} failed in the hub: ${errorMessage(err)}` };
          if (cb) cb(status, null);
          else (call as unknown as grpc.ServerWritableStream<unknown, unknown>).destroy(Object.assign(new Error(status.details), status));
        }
      }) as grpc.UntypedHandleCall;
    }
    return out;
  }

  get listeningPort(): number {
    return this.boundPort;
  }

  get address(): string {
    const h = this.opts.host.includes(':') ? `[${this.opts.host}]` : this.opts.host;
    return `${h}:${this.boundPort}`;
  }

  /** Chat over RabbitMQ, when the hub's bus has durable queues. */
  get queues(): SeedGen3Queues | undefined {
    return this.gen3;
  }

  async start(): Promise<number> {
    const bus = this.port.bus;
    if (bus?.capabilities.durableQueues) {
      this.gen3 = new SeedGen3Queues(this.port, bus, this.log, this.opts.queuePrefix ?? '');
      await this.gen3.start();
    }
    this.removeStrategy = this.port.addRouteStrategy({ intercept: (m, ctx) => this.addressedToServer(m, ctx) } satisfies RouteStrategy);
    const onAgents = (): void => this.pushStatus();
    this.port.events.on('agents', onAgents);
    this.unsubAgents = () => this.port.events.off('agents', onAgents);
    try {
      this.boundPort = await this.bind(this.opts.port);
    } catch (err) {
      const taken = /EADDRINUSE|address already in use|No address added/i.test(errorMessage(err));
      if (!taken || !this.opts.portFallback || this.opts.port === 0) {
        await this.stop();
        throw new SwitchboardError('internal', `The gRPC server could not listen on ${this.opts.host}:${this.opts.port}: ${errorMessage(err)}`, { cause: err });
      }
      this.boundPort = await this.bind(0);
    }
    return this.boundPort;
  }

  private bind(port: number): Promise<number> {
    const host = this.opts.host.includes(':') ? `[${this.opts.host}]` : this.opts.host;
    return new Promise((resolve, reject) => {
      this.server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
    });
  }

  async stop(): Promise<void> {
    this.unsubAgents?.();
    this.removeStrategy?.();
    this.unsubAgents = this.removeStrategy = undefined;
    for (const sub of this.subscribers) sub.end();
    this.subscribers.clear();
    for (const s of [...this.agents.values(), ...this.brokers.values()]) s.close(1001, 'Server shutdown');
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, 1000);
      this.server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
    await this.gen3?.stop();
    this.gen3 = undefined;
  }

  // --- sessions --------------------------------------------------------------------------------------------------

  private newSession(role: 'agent' | 'broker', peer: string): GrpcClientSession {
    return new GrpcClientSession(role, {
      port: this.port,
      remoteAddress: peer.replace(/^ipv[46]:/, ''),
      onChat: (agentId, m) => this.chatToAgent(agentId, m),
      onClosed: (s) => {
        const map = s.role === 'agent' ? this.agents : this.brokers;
        if (map.get(s.id) === s) map.delete(s.id);
      },
    });
  }

  /** Registers an agent (again, on its open session) under its own id; a new session when it has none. */
  private registerAgent(id: string, name: string, peer: string): { session?: GrpcClientSession; text: string } {
    const existing = this.agents.get(id);
    const session = existing?.open ? existing : this.newSession('agent', peer);
    // 'websocket' delivery: the hub writes its chat to this session (which puts it on the agent's queue), not to the
    // first generation's agent_queue_<id>.
    const result = session.register({ message_type: MessageType.REGISTER_AGENT, agent_id: id, agent_name: name, delivery: 'websocket' });
    if (!result.ok) {
      if (session !== existing) session.close(1000, 'Registration refused');
      return { text: result.text };
    }
    session.name = name;
    this.agents.set(result.id, session);
    session.heard();
    this.gen3?.agentRegistered(result.id);
    return { session, text: 'Agent registered successfully' };
  }

  /** The agent's open session, or a registration under the name the hub last knew (the seed creates unknown ids). */
  private agentSession(id: string, peer: string, name?: string): GrpcClientSession | undefined {
    const s = this.agents.get(id);
    if (s?.open) return s;
    const known = this.port.agents().find((a) => a.agent_id === id)?.agent_name;
    return this.registerAgent(id, name || known || `Agent-${id.slice(0, 8)}`, peer).session;
  }

  private chatToAgent(agentId: string, m: Envelope): void {
    if (this.gen3) {
      void this.gen3.toAgent(agentId, m);
      return;
    }
    const sender = str(m.sender_id);
    this.log.warn(`chat for gRPC agent ${agentId} dropped: it receives chat on RabbitMQ, and this hub runs without it`);
    if (sender) {
      this.port.sendToClient(sender, {
        message_type: MessageType.ERROR,
        message_id: newMessageId(),
        sender_id: 'server',
        receiver_id: sender,
        text_payload: `Agent ${agentId} registered over gRPC and receives chat on RabbitMQ: start the hub with --bus rabbitmq.`,
        send_timestamp: isoNow(),
        in_reply_to_message_id: str(m.message_id) || null,
        code: 'unknown_receiver',
      });
    }
  }

  /**
   * The third generation's web UI sends its chat to "server", meaning "let the routing broker pick an agent": with a
   * broker registered over gRPC it goes to broker_input_queue as the seed's server sends it (pending); without one the
   * hub picks, the next online agent in turn (never the sender).
   */
  private addressedToServer(m: Envelope, ctx: RouteContext): boolean {
    const t = m.message_type;
    if (m.receiver_id !== 'server' || (t !== MessageType.TEXT && t !== MessageType.REPLY && t !== MessageType.SYSTEM)) return false;
    if (this.gen3 && this.brokers.size > 0) {
      void this.gen3.toBroker(m, ctx.from?.id ?? str(m.sender_id));
      return true;
    }
    const not = new Set([str(m.sender_id), ctx.from?.id ?? '']);
    const online = this.port.agents().filter((a) => a.status === 'online' && !not.has(a.agent_id) && this.port.localClientRole(a.agent_id) === 'agent');
    if (online.length > 0) m.receiver_id = online[this.turn++ % online.length]!.agent_id;
    return false;
  }

  // --- agent_registration.AgentRegistrationService -----------------------------------------------------------

  private agentRegistration(): Handlers {
    const RegisterAgent: Unary = (call, cb) => {
      const req = call.request;
      const id = str(req.agent_id) || randomUUID();
      const name = str(req.agent_name) || `Agent-${id.slice(0, 8)}`;
      const { session, text } = this.registerAgent(id, name, call.getPeer());
      cb(null, { success: session !== undefined, message: text, server_assigned_id: session ? id : '' });
    };
    const UnregisterAgent: Unary = (call, cb) => {
      const id = str(call.request.agent_id);
      if (!id) return cb(null, { success: false, message: 'No agent_id provided' });
      this.agents.get(id)?.close(1000, 'Agent unregistered');
      cb(null, { success: true, message: 'Agent unregistered successfully' });
    };
    const SendHeartbeat: Unary = (call, cb) => {
      const id = str(call.request.agent_id);
      if (!id) return cb(null, { success: false, interval: this.heartbeatIntervalS });
      const s = this.agentSession(id, call.getPeer());
      if (!s) return cb(null, { success: false, interval: this.heartbeatIntervalS });
      const metrics = stringMap(call.request.metrics);
      const status = str(call.request.status);
      if (status) metrics.internal_state = status.toLowerCase();
      if (Object.keys(metrics).length) s.report(metrics);
      else s.heard();
      cb(null, { success: true, interval: this.heartbeatIntervalS });
    };
    const ReceiveCommands = (call: grpc.ServerWritableStream<Record<string, unknown>, SeedCommand>): void => {
      const id = str(call.request.agent_id);
      const s = id ? this.agentSession(id, call.getPeer()) : undefined;
      if (!s) {
        call.end();
        return;
      }
      let ended = false;
      const sink: CommandSink = {
        write: (c) => {
          if (!ended) call.write(c);
        },
        end: () => {
          if (ended) return;
          ended = true;
          call.end();
        },
      };
      const gone = (): void => {
        ended = true;
        s.detachStream(sink);
      };
      call.on('cancelled', gone);
      call.on('close', gone);
      call.on('error', gone);
      s.attachStream(sink);
    };
    const SendCommandResult: Unary = (call, cb) => {
      const r = call.request;
      const commandId = str(r.command_id);
      // kept with the agent's metrics (shown on the status stream), not in a store of its own: nothing reads results back
      const s = this.agents.get(str(r.agent_id));
      if (s?.open) s.report({ last_command: `${commandId} ${r.success ? 'succeeded' : `failed: ${str(r.error_message)}`}` });
      cb(null, { received: true, message: 'Command result received successfully' });
    };
    return { RegisterAgent, UnregisterAgent, SendHeartbeat, ReceiveCommands, SendCommandResult };
  }

  // --- agent_status.AgentStatusService ------------------------------------------------------------------------

  private agentStatus(): Handlers {
    const SubscribeToAgentStatus = (call: grpc.ServerWritableStream<Record<string, unknown>, Record<string, unknown>>): void => {
      const brokerId = str(call.request.broker_id);
      this.subscribers.add(call);
      if (brokerId) this.subscriberBroker.set(call, brokerId);
      const gone = (): void => {
        if (!this.subscribers.delete(call)) return;
        this.subscriberBroker.delete(call);
        // A broker is there while it listens: its last subscription gone, it leaves the registry.
        if (brokerId && ![...this.subscriberBroker.values()].includes(brokerId)) this.brokers.get(brokerId)?.close(1000, 'Status subscription closed');
      };
      call.on('cancelled', gone);
      call.on('close', gone);
      call.on('error', gone);
      call.write(this.snapshot());
    };
    const GetAgentStatus: Unary = (_call, cb) => cb(null, this.snapshot());
    const SendAgentStatus: Unary = (call, cb) => {
      const agent = (call.request.agent ?? {}) as Record<string, unknown>;
      const id = str(agent.agent_id);
      if (id) {
        const s = this.agentSession(id, call.getPeer(), str(agent.agent_name));
        s?.report(stringMap(agent.metrics));
      }
      cb(null, { success: true, message: 'Status update received' });
    };
    return { SubscribeToAgentStatus, GetAgentStatus, SendAgentStatus };
  }

  /** Every agent the hub knows (WebSocket and gRPC, offline included), as the seed's brokers read them. */
  snapshot(): { agents: Record<string, unknown>[]; is_full_update: boolean } {
    return { agents: this.port.agents().map((a) => this.agentInfo(a)), is_full_update: true };
  }

  private agentInfo(a: AgentSnapshot): Record<string, unknown> {
    const s = this.agents.get(a.agent_id);
    const metrics: Record<string, string> = { ...(s?.metrics ?? {}) };
    metrics.internal_state = a.status === 'offline' ? 'offline' : a.status === 'paused' ? 'paused' : (s?.metrics.internal_state ?? 'idle');
    metrics.agent_name = a.agent_name;
    metrics.last_seen = a.last_seen ?? '';
    return { agent_id: a.agent_id, agent_name: a.agent_name, last_seen: a.last_seen ?? '', metrics };
  }

  private pushStatus(): void {
    if (this.subscribers.size === 0) return;
    const snap = this.snapshot();
    for (const sub of this.subscribers) sub.write(snap);
  }

  // --- broker_registration.BrokerRegistrationService ----------------------------------------------------------

  private brokerRegistration(): Handlers {
    const RegisterBroker: Unary = (call, cb) => {
      const id = str(call.request.broker_id) || `broker_${randomInt(1000, 10000)}`;
      const name = str(call.request.broker_name) || `BrokerService_${id.slice(0, 4)}`;
      const existing = this.brokers.get(id);
      const session = existing?.open ? existing : this.newSession('broker', call.getPeer());
      // A broker registered over gRPC is the third generation's: it reads broker_input_queue and answers on
      // server_input_queue (SeedGen3Queues), where the first generation's answers on broker_output_queue.
      const result = session.register({ message_type: MessageType.REGISTER_BROKER, broker_id: id, broker_name: name, seed_generation: 3 });
      if (!result.ok) {
        if (session !== existing) session.close(1000, 'Registration refused');
        return cb(null, { success: false, message: result.text });
      }
      session.id = id;
      session.name = name;
      this.brokers.set(id, session);
      cb(null, { success: true, message: `Broker '${name}' registered successfully with ID '${id}'.` });
    };
    return { RegisterBroker };
  }
}

/** Starts the seed's gRPC services for a hub; the caller stops the returned plugin before the hub. */
export async function startSeedGrpc(port: HubPort, opts: SeedGrpcOptions): Promise<SeedGrpcServer> {
  const server = new SeedGrpcServer(port, opts);
  await server.start();
  return server;
}

/**
 * The gRPC services a hub with these options serves: none (grpcPort -1 without seed compatibility), on the asked port,
 * or on the seed's 50051 under seed compatibility. A port that is taken moves to a free one with a warning (the
 * seed's agents then need GRPC_PORT set); a failure to listen at all is a warning, never a failed hub.
 */
export async function startHubGrpc(
  port: HubPort,
  opts: { host: string; grpcPort: number; seedCompat: boolean; portFallback: boolean; busPrefix: string; pingIntervalMs: number },
  warn: (message: string) => void,
): Promise<SeedGrpcServer | undefined> {
  const asked = opts.grpcPort >= 0 ? opts.grpcPort : opts.seedCompat ? SEED_GRPC_PORT : -1;
  if (asked < 0) return undefined;
  // The seed's clients present no credentials, so nothing here checks any: never reachable from another machine.
  const host = isLoopbackHost(opts.host) ? opts.host : '127.0.0.1';
  if (host !== opts.host) warn(`The seed's gRPC services take no token (its clients send none): they listen on ${host} only, not on ${opts.host}.`);
  try {
    const server = await startSeedGrpc(port, {
      host,
      port: asked,
      portFallback: opts.portFallback,
      queuePrefix: opts.busPrefix,
      heartbeatIntervalS: Math.max(1, Math.floor(opts.pingIntervalMs / 1000)),
    });
    const bound = server.listeningPort;
    if (asked !== 0 && bound !== asked) warn(`gRPC port ${asked} is taken: the seed's gRPC services listen on ${host}:${bound} instead; start the seed's agents and broker with GRPC_PORT=${bound}.`);
    if (!server.queues) warn(`The seed's gRPC agents get their chat on RabbitMQ: with this hub's bus they register, report and take commands, but chat to them is refused. Start the hub with --bus rabbitmq.`);
    return server;
  } catch (err) {
    warn(`The seed's gRPC services did not start (${errorMessage(err)}); gRPC agents and brokers cannot register with this hub.`);
    return undefined;
  }
}
