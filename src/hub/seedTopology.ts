// The seed 001 RabbitMQ topology, spoken by the hub so that the seed's own broker and agents work unchanged:
// chat → broker_input_queue (with _client_id, _connection_type) while a routing broker is registered; the broker's
// answers on broker_output_queue delivered to front-ends and agents; agent_queue_<id> for agents that read their
// queue; registrations and CLIENT_DISCONNECTED on agent_metadata_queue; SERVER_AVAILABLE on server_advertisement_queue.
// It runs on a bus with durable queues (bus.capabilities.durableQueues) and reaches the Router as a route strategy:
// to the broker (intercept), to an agent's queue (toAgent), to another hub's queue agent (routeUnknown, broker answers).

import type { Unsubscribe } from '../bus/bus';
import { queueChannel } from '../bus/bus';
import type { Envelope } from '../protocol/schemas';
import type { AgentSnapshot } from '../protocol/logEntry';
import { BROADCAST_RECEIVERS, MessageType } from '../protocol/messageTypes';
import { isoNow, newMessageId } from '../protocol/ids';
import { errorMessage } from '../protocol/errors';
import type { Logger } from '../protocol/logger';
import type { RouteContext, RouteStrategy } from './router';
import type { AgentDelivery, HubPort, PortBus } from './port';

/** What the seed topology asks of hub-to-hub forwarding (the bus bridge), when the bus is shared. */
export interface OtherHubs {
  remoteAgent(agentId: string): { delivery: AgentDelivery | undefined } | undefined;
  /** Routing brokers registered on other live hubs. */
  remoteBrokers(): number;
  /** To whichever hub has this client; false when there is no other hub. */
  forwardToAny(message: Envelope, byBroker: boolean): boolean;
  setLocalDelivery(fn: (agentId: string) => AgentDelivery | undefined): void;
}

/** The seed's queue names, each behind an optional prefix (tests use a unique one; the default is none). */
export interface SeedQueueNames {
  brokerInput: string;
  brokerOutput: string;
  agentMetadata: string;
  serverAdvertisement: string;
  agentQueue(agentId: string): string;
}

export function seedQueueNames(prefix = ''): SeedQueueNames {
  return {
    brokerInput: `${prefix}broker_input_queue`,
    brokerOutput: `${prefix}broker_output_queue`,
    agentMetadata: `${prefix}agent_metadata_queue`,
    serverAdvertisement: `${prefix}server_advertisement_queue`,
    agentQueue: (agentId) => `${prefix}agent_queue_${agentId}`,
  };
}

/**
 * How a registering agent gets its chat on a queue bus. An explicit `delivery` field wins ('websocket' | 'queue').
 * Without one, the seed's two generations decide: an agent that let the hub pick its id is a later seed agent, which
 * consumes agent_queue_<id> → 'queue'; an agent that chose its own id is an early one, which reads its socket →
 * 'websocket'. Our SDK always says 'websocket'.
 */
export function deliveryOf(registration: Envelope): AgentDelivery {
  const d = registration.delivery;
  if (d === 'websocket' || d === 'queue') return d;
  const chosen = typeof registration.agent_id === 'string' && registration.agent_id.length > 0;
  return chosen ? 'websocket' : 'queue';
}

/** Routing annotations that stay between hub and broker: stripped before a client sees the message. */
const ROUTING_FIELDS = ['_target_agent_id', '_broadcast', '_connection_type'] as const;

export function stripRouting(m: Envelope): Envelope {
  const out: Envelope = { ...m };
  for (const f of ROUTING_FIELDS) delete out[f];
  return out;
}

export interface SeedTopologyOptions {
  /** Prefix for every seed queue name (tests). Default '' — the seed's names. */
  queuePrefix?: string;
  /** SERVER_AVAILABLE (and, with a broker, a full status list) this often. Default 30,000 ms. */
  advertiseIntervalMs?: number;
  logger?: Logger;
}

export class SeedTopology {
  readonly names: SeedQueueNames;
  private readonly advertiseIntervalMs: number;
  private readonly log: Logger;
  private readonly delivery = new Map<string, AgentDelivery>();
  /** Routing brokers of the third generation registered here (see metadataWanted). */
  private readonly gen3Brokers = new Set<string>();
  private readonly disposers: Array<() => void> = [];
  private unsubOutput: Unsubscribe | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  /** For tests and the UI. */
  readonly counters = { toBroker: 0, fromBroker: 0, toAgentQueues: 0, metadata: 0, advertisements: 0 };

  /** The seed topology as the Router consults it. */
  readonly strategy: RouteStrategy = {
    intercept: (m, ctx) => this.intercept(m, ctx),
    toAgent: (agentId, m) => this.redirect(agentId, m),
    routeUnknown: (m, ctx) => this.toRemoteQueueAgent(m, ctx),
  };

  constructor(
    private readonly host: HubPort,
    private readonly bus: PortBus,
    private readonly bridge: OtherHubs | undefined,
    opts: SeedTopologyOptions = {},
  ) {
    this.names = seedQueueNames(opts.queuePrefix ?? '');
    this.advertiseIntervalMs = opts.advertiseIntervalMs ?? 30_000;
    this.log = (opts.logger ?? host.logger).child('seed');
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const n = this.names;
    await this.bus.declareQueues?.([n.brokerInput, n.brokerOutput, n.agentMetadata, n.serverAdvertisement]);
    // One hub among several takes each routed message (competing consumers); the bridge carries it on if needed.
    this.unsubOutput = await this.bus.subscribe(queueChannel(n.brokerOutput), (m) => this.onBrokerOutput(m), { group: 'hubs' });
    this.bridge?.setLocalDelivery((id) => this.delivery.get(id));
    this.disposers.push(
      this.host.onLifecycle({
        registered: (role, id, reg) => this.onRegistered(role, id, reg),
        released: (role, id) => this.onReleased(role, id),
        queuesReset: () => void this.purgeAgentQueues(),
      }),
    );
    // Not awaited: with the broker away the advertisement waits in the bus (bounded) and must not hold up the hub.
    void this.advertise();
    this.timer = setInterval(() => {
      void this.advertise();
      if (this.metadataWanted()) this.publishAgentList();
    }, this.advertiseIntervalMs);
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const d of this.disposers.splice(0)) d();
    await this.unsubOutput?.().catch(() => undefined);
    this.unsubOutput = undefined;
  }

  /** RESET_ALL_QUEUES: empties agent_queue_<id> of this hub's queue agents; resolves with how many were dropped. */
  async purgeAgentQueues(): Promise<number> {
    let dropped = 0;
    for (const [id, d] of this.delivery) {
      if (d !== 'queue') continue;
      try {
        dropped += (await this.bus.purgeQueue?.(this.names.agentQueue(id))) ?? 0;
      } catch (err) {
        this.log.warn(`purging ${this.names.agentQueue(id)} failed: ${errorMessage(err)}`);
      }
    }
    if (dropped > 0) this.log.info(`RESET_ALL_QUEUES dropped ${dropped} message(s) waiting in agent queues`);
    return dropped;
  }

  /** How this hub delivers chat to one of its agents (undefined: not an agent of this hub). */
  deliveryFor(agentId: string): AgentDelivery | undefined {
    return this.delivery.get(agentId);
  }

  /**
   * A first-generation routing broker is there to read agent_metadata_queue. A third-generation one (registered over
   * gRPC: REGISTER_BROKER with seed_generation 3) learns agents from its status stream, so nothing is published for it
   * there (nobody would read it: the queue would only pile up).
   */
  private metadataWanted(): boolean {
    return this.host.localBrokerCount() > this.gen3Brokers.size || (this.bridge?.remoteBrokers() ?? 0) > 0;
  }

  /** A routing broker is registered here or on another hub sharing the bus. */
  brokerActive(): boolean {
    return this.host.localBrokerCount() > 0 || (this.bridge?.remoteBrokers() ?? 0) > 0;
  }

  // --- hub → broker ---------------------------------------------------------------------------------------------

  /**
   * With a routing broker, chat for agents (or for "whoever": broadcast/broker/none) goes to broker_input_queue.
   * Chat for a front-end never does: the seed broker answers "Unknown agent ID" for ids it does not know, so a
   * plain front-end would never see its reply. The hub knows its front-ends and delivers directly.
   */
  private intercept(message: Envelope, ctx: RouteContext): boolean {
    if (!this.running || !this.brokerActive()) return false;
    const receiver = typeof message.receiver_id === 'string' ? message.receiver_id : '';
    const forAgent =
      BROADCAST_RECEIVERS.has(receiver) ||
      this.host.localClientRole(receiver) === 'agent' ||
      this.bridge?.remoteAgent(receiver) !== undefined ||
      (receiver.startsWith('agent_') && this.host.localClientRole(receiver) === undefined);
    if (!forAgent) return false;
    const out: Envelope = {
      ...message,
      _client_id: message._client_id ?? (ctx.from ? ctx.from.id : message.sender_id),
      _connection_type: ctx.from?.role ?? 'frontend',
    };
    this.counters.toBroker++;
    void this.publish(this.names.brokerInput, out);
    return true;
  }

  // --- broker → hub ---------------------------------------------------------------------------------------------

  /** A routing broker's answer: through the Router once, as a message that came from the broker. */
  private onBrokerOutput(m: Envelope): void {
    if (!this.running) return;
    this.counters.fromBroker++;
    try {
      if (m.message_type === MessageType.ERROR) return this.deliverError(m);
      const clean = stripRouting(m);
      const origin = typeof m._client_id === 'string' ? m._client_id : undefined;
      const arrived = origin ? { via: 'broker' as const, originClientId: origin } : { via: 'broker' as const };
      if (m._broadcast === true) {
        clean.receiver_id = 'broadcast';
        this.host.route(clean, arrived);
        return;
      }
      const target = typeof m._target_agent_id === 'string' && m._target_agent_id ? m._target_agent_id : m.receiver_id;
      if (typeof target !== 'string' || !target) {
        this.log.warn('a message on broker_output_queue names no receiver; dropped');
        return;
      }
      clean.receiver_id = target;
      const result = this.host.route(clean, arrived);
      // Nobody here or elsewhere: the sender hears why (offline / unknown).
      if (result.error && typeof clean.sender_id === 'string') {
        this.host.sendToClient(clean.sender_id, {
          message_type: MessageType.ERROR,
          message_id: newMessageId(),
          sender_id: 'server',
          receiver_id: clean.sender_id,
          text_payload: result.error.text,
          send_timestamp: isoNow(),
          in_reply_to_message_id: null,
          code: result.error.code,
        });
      }
    } catch (err) {
      this.log.warn(`handling broker output failed: ${errorMessage(err)}`);
    }
  }

  /** A broker's answer for an agent of another hub that reads its queue: straight to that queue. */
  private toRemoteQueueAgent(message: Envelope, ctx: RouteContext): boolean {
    if (ctx.via !== 'broker' || !this.running) return false;
    const target = typeof message.receiver_id === 'string' ? message.receiver_id : '';
    if (this.bridge?.remoteAgent(target)?.delivery !== 'queue') return false;
    this.toAgentQueue(target, stripRouting(message));
    return true;
  }

  /** The broker's ERROR goes back to whoever sent the original (its _client_id), on this hub or another. */
  private deliverError(m: Envelope): void {
    const to = typeof m._client_id === 'string' && m._client_id ? m._client_id : typeof m.receiver_id === 'string' ? m.receiver_id : '';
    if (!to) return;
    const frame = stripRouting(m);
    frame.receiver_id = to;
    if (this.host.sendToClient(to, frame)) return;
    this.bridge?.forwardToAny(frame, true);
  }

  /** Router → an agent that reads its queue: the message goes to agent_queue_<id> instead of its socket. */
  private redirect(agentId: string, message: Envelope): boolean {
    if (!this.running || this.delivery.get(agentId) !== 'queue') return false;
    const kind = message.message_type;
    if (kind !== MessageType.TEXT && kind !== MessageType.REPLY && kind !== MessageType.SYSTEM) return false;
    this.toAgentQueue(agentId, stripRouting(message));
    return true;
  }

  private toAgentQueue(agentId: string, message: Envelope): void {
    this.counters.toAgentQueues++;
    void this.publish(this.names.agentQueue(agentId), message);
  }

  // --- registrations, departures, advertisements ---------------------------------------------------------------

  private onRegistered(role: string, id: string, reg: Envelope): void {
    if (role === 'agent') {
      const d = deliveryOf(reg);
      this.delivery.set(id, d);
      // Declared durable as the seed agent does, so nothing sent before it first polls is lost.
      if (d === 'queue') void this.bus.declareQueues?.([this.names.agentQueue(id)]).catch((err) => this.log.warn(errorMessage(err)));
      if (this.metadataWanted()) this.publishRegistration(id, reg);
    } else if (role === 'broker' && reg.seed_generation === 3) {
      this.gen3Brokers.add(id);
    } else if (role === 'broker') {
      // The seed's broker never re-connected after a restart and forgot every agent: re-advertise and re-publish.
      void this.advertise();
      this.publishAgentList();
    }
  }

  private onReleased(role: string, id: string): void {
    // A broker that went away (crashed, restarting): its successor finds this hub at once, not at the next interval.
    if (role === 'broker' && !this.gen3Brokers.delete(id)) void this.advertise();
    if (role !== 'agent') return;
    if (this.metadataWanted()) {
      this.counters.metadata++;
      void this.publish(this.names.agentMetadata, {
        message_type: MessageType.CLIENT_DISCONNECTED,
        message_id: newMessageId(),
        agent_id: id,
        client_id: id,
        connection_type: 'agent',
        timestamp: isoNow(),
        hub_id: this.host.id,
      });
    }
    this.delivery.delete(id);
  }

  private publishRegistration(id: string, reg: Envelope): void {
    this.counters.metadata++;
    void this.publish(this.names.agentMetadata, {
      message_type: MessageType.REGISTER_AGENT,
      message_id: newMessageId(),
      agent_id: id,
      agent_name: typeof reg.agent_name === 'string' ? reg.agent_name : id,
      _client_id: id,
      _connection_type: 'agent',
      timestamp: isoNow(),
      hub_id: this.host.id,
      delivery: this.delivery.get(id) ?? 'websocket',
    });
  }

  /** Every agent this hub knows (its own and other hubs'), as registrations plus one full status list. */
  private publishAgentList(): void {
    const agents = this.host.agents();
    for (const a of agents) {
      if (a.hub_id === this.host.id && a.is_online) this.publishRegistration(a.agent_id, { message_type: MessageType.REGISTER_AGENT, agent_name: a.agent_name });
    }
    this.counters.metadata++;
    void this.publish(this.names.agentMetadata, {
      message_type: MessageType.AGENT_STATUS_UPDATE,
      message_id: newMessageId(),
      agents: agents.map(seedStatusEntry),
      is_full_update: true,
      send_timestamp: isoNow(),
    });
  }

  /**
   * One fresh SERVER_AVAILABLE: older ones are purged first, so the queue never piles up while no broker reads it
   * and a broker that (re)starts always finds a current address.
   */
  async advertise(): Promise<void> {
    if (!this.running) return;
    try {
      await this.bus.purgeQueue?.(this.names.serverAdvertisement);
    } catch (err) {
      this.log.debug(`purging ${this.names.serverAdvertisement} failed: ${errorMessage(err)}`);
    }
    this.counters.advertisements++;
    await this.publish(this.names.serverAdvertisement, {
      message_type: MessageType.SERVER_AVAILABLE,
      message_id: newMessageId(),
      server_id: this.host.id,
      timestamp: isoNow(),
      websocket_url: this.host.agentUrl,
    });
  }

  private async publish(queue: string, message: Envelope): Promise<void> {
    try {
      await this.bus.publish(queueChannel(queue), message);
    } catch (err) {
      this.log.warn(`publishing to ${queue} failed: ${errorMessage(err)}`);
    }
  }
}

function seedStatusEntry(a: AgentSnapshot): Record<string, unknown> {
  return {
    agent_id: a.agent_id,
    agent_name: a.agent_name,
    is_online: a.is_online,
    last_seen: a.last_seen,
    status: a.status,
    hub_id: a.hub_id,
  };
}
