// Several hubs on one bus (RabbitMQ or Kafka; generic over Bus): each hub announces its agents (marked with its
// hub_id) and its routing brokers, learns the others', forwards chat to the hub where the receiver lives, and fans
// broadcasts out. The broker is the distributed engine: there is no clustering of our own, only these channels.

import { Type } from '@sinclair/typebox';
import type { Unsubscribe } from '../bus/bus';
import type { Envelope } from '../protocol/schemas';
import type { AgentSnapshot } from '../protocol/logEntry';
import { BROADCAST_RECEIVERS, HUB_USER_ID } from '../protocol/messageTypes';
import { errorMessage } from '../protocol/errors';
import { registerMessageSchema, validateMessage } from '../protocol/codec';
import type { Logger } from '../protocol/logger';
import type { RouteStrategy } from './router';
import type { AgentDelivery, HubPort, PortBus, RemoteAgentSource } from './port';
import { presenceFields, presenceHeard } from './presenceExtensions';

export interface BusBridgeOptions {
  /** A full presence announcement this often (and at once on every change). Default 2,000 ms. */
  presenceIntervalMs?: number;
  /** A hub not heard from for this long is gone: its agents show offline. Default 3 × interval + 1 s. */
  hubTimeoutMs?: number;
  /** Prefix of the bridge's channel names (tests). Default ''. */
  channelPrefix?: string;
  /** Remote agents remembered; beyond this the offline ones of the longest-silent hub are forgotten. Default 20,000. */
  maxRemoteAgents?: number;
  logger?: Logger;
}

const HUB_PRESENCE = 'HUB_PRESENCE';
const MAX_USER_ORIGINS = 10_000;
const HUB_FORWARD = 'HUB_FORWARD';

// The bridge's own frames go through the codec like every other frame from the bus (entries and the inner message
// are checked further where they are read).
registerMessageSchema(
  HUB_PRESENCE,
  Type.Object(
    { message_type: Type.Literal(HUB_PRESENCE), hub_id: Type.String({ minLength: 1 }), agents: Type.Optional(Type.Array(Type.Unknown())) },
    { additionalProperties: true },
  ),
);
registerMessageSchema(
  HUB_FORWARD,
  Type.Object(
    { message_type: Type.Literal(HUB_FORWARD), origin_hub: Type.String({ minLength: 1 }), message: Type.Object({}, { additionalProperties: true }) },
    { additionalProperties: true },
  ),
);

interface RemoteAgent {
  snap: AgentSnapshot;
  delivery: AgentDelivery | undefined;
}

interface RemoteHub {
  lastHeard: number;
  brokers: number;
  agentIds: Set<string>;
  gone: boolean;
}

interface PresenceEntry extends AgentSnapshot {
  delivery?: AgentDelivery;
}

export class BusBridge implements RemoteAgentSource {
  readonly channels: { presence: string; anyHub: string; broadcast: string; hub: (hubId: string) => string };
  private readonly presenceIntervalMs: number;
  private readonly hubTimeoutMs: number;
  private readonly maxRemoteAgents: number;
  private readonly log: Logger;
  private readonly remoteAgents = new Map<string, RemoteAgent>();
  private readonly hubs = new Map<string, RemoteHub>();
  private readonly unsubs: Unsubscribe[] = [];
  private readonly disposers: Array<() => void> = [];
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private localDelivery: (agentId: string) => AgentDelivery | undefined = () => undefined;
  /**
   * Messages that came from another hub's UI user, by message_id → that hub: every hub has its own built-in
   * `web_switchboard`, so a reply to it must go back to the hub the question came from. Bounded (oldest forgotten).
   */
  private readonly userOrigins = new Map<string, string>();
  /** Forwards sent and received, for tests and the UI. */
  readonly counters = { forwarded: 0, received: 0, presenceSent: 0, presenceReceived: 0 };

  constructor(
    private readonly host: HubPort,
    private readonly bus: PortBus,
    opts: BusBridgeOptions = {},
  ) {
    const p = opts.channelPrefix ?? '';
    this.channels = {
      // `.presence` at the end: on Kafka a compacted topic keyed by sender_id (the hub), latest state per hub.
      presence: `${p}hubs.presence`,
      anyHub: `${p}hubs.deliver.any`,
      broadcast: `${p}hubs.broadcast`,
      // This hub's alone (its id is new on every start): on Kafka an instance topic (kafkaConfig isInstanceChannel),
      // made by the subscription in start() and deleted when stop() ends it; other hubs only publish to it.
      hub: (hubId) => `${p}hubs.direct.${hubId}`,
    };
    this.presenceIntervalMs = opts.presenceIntervalMs ?? 2_000;
    this.hubTimeoutMs = opts.hubTimeoutMs ?? 3 * this.presenceIntervalMs + 1_000;
    this.maxRemoteAgents = opts.maxRemoteAgents ?? 20_000;
    this.log = (opts.logger ?? host.logger).child('bridge');
  }

  /** Hub-to-hub forwarding as the Router consults it: replies to another hub's user, receivers elsewhere, broadcasts. */
  readonly strategy: RouteStrategy = {
    intercept: (message) => this.replyToRemoteUser(message),
    routeUnknown: (message, ctx) => this.routeUnknown(message, ctx.via === 'broker'),
    observe: (result, ctx) => {
      // a forward from another hub is never forwarded again; a routing broker's broadcast is
      if (ctx.via !== 'hub' && result.status === 'routed' && isBroadcast(result.message)) this.forwardBroadcast(result.message, ctx.via === 'broker');
    },
  };

  /** The seed topology tells the bridge which local agents read their queue, so other hubs can deliver there. */
  setLocalDelivery(fn: (agentId: string) => AgentDelivery | undefined): void {
    this.localDelivery = fn;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    // Fan-out channels: every hub gets its own copy (no group).
    const direct = this.channels.hub(this.host.id);
    this.unsubs.push(await this.bus.subscribe(this.channels.presence, (m) => this.onPresence(m)));
    this.unsubs.push(await this.bus.subscribe(direct, (m) => this.onForward(m, 'direct', direct)));
    this.unsubs.push(await this.bus.subscribe(this.channels.anyHub, (m) => this.onForward(m, 'any', this.channels.anyHub)));
    this.unsubs.push(await this.bus.subscribe(this.channels.broadcast, (m) => this.onForward(m, 'broadcast', this.channels.broadcast)));
    this.host.setRemoteAgents(this);
    const onAgents = (changed: AgentSnapshot[]): void => {
      const mine = changed.filter((a) => a.hub_id === this.host.id);
      if (mine.length > 0) this.announce(mine, false);
    };
    this.host.events.on('agents', onAgents);
    this.disposers.push(() => this.host.events.off('agents', onAgents));
    this.disposers.push(
      this.host.onLifecycle({
        // A broker joining or leaving changes what other hubs do with chat: tell them now.
        registered: (role) => {
          if (role === 'broker') this.announce(this.localAgents(), true);
        },
        released: (role) => {
          if (role === 'broker') this.announce(this.localAgents(), true);
        },
      }),
    );
    this.announce(this.localAgents(), true, true);
    this.timer = setInterval(() => {
      this.announce(this.localAgents(), true);
      this.sweep();
    }, this.presenceIntervalMs);
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const d of this.disposers.splice(0)) d();
    // Tell the others at once that this hub's agents are gone (instead of letting them time out).
    const leaving = this.localAgents().map((a) => ({ ...a, status: 'offline' as const, is_online: false }));
    // Best effort within a second: with the broker away, the others time this hub out instead.
    await settleWithin(this.publish(this.channels.presence, this.presenceFrame(leaving, true, false, true)), 1_000);
    for (const u of this.unsubs.splice(0)) await u().catch(() => undefined);
    this.host.setRemoteAgents(undefined);
    this.remoteAgents.clear();
    this.hubs.clear();
  }

  // --- what other parts ask ------------------------------------------------------------------------------------

  snapshots(ids?: Iterable<string>): AgentSnapshot[] {
    if (ids === undefined) return [...this.remoteAgents.values()].map((r) => r.snap);
    const out: AgentSnapshot[] = [];
    for (const id of ids) {
      const r = this.remoteAgents.get(id);
      if (r) out.push(r.snap);
    }
    return out;
  }

  remoteAgent(agentId: string): { hubId: string; online: boolean; delivery: AgentDelivery | undefined } | undefined {
    const r = this.remoteAgents.get(agentId);
    return r ? { hubId: r.snap.hub_id, online: r.snap.is_online, delivery: r.delivery } : undefined;
  }

  /** Routing brokers registered on other live hubs. */
  remoteBrokers(): number {
    let n = 0;
    for (const h of this.hubs.values()) if (!h.gone) n += h.brokers;
    return n;
  }

  /** Live hubs heard from (not counting this one). */
  remoteHubs(): string[] {
    return [...this.hubs.entries()].filter(([, h]) => !h.gone).map(([id]) => id);
  }

  /** Chat for an agent on another hub: to that hub's channel. False when no live hub has it online. */
  forwardToAgent(agentId: string, message: Envelope, byBroker = false): boolean {
    const r = this.remoteAgents.get(agentId);
    if (!r || !r.snap.is_online) return false;
    const hub = this.hubs.get(r.snap.hub_id);
    if (!hub || hub.gone) return false;
    void this.publish(this.channels.hub(r.snap.hub_id), this.forwardFrame(message, byBroker));
    return true;
  }

  /** A receiver no hub announced (a front-end elsewhere): every other hub delivers it if the client is theirs. */
  forwardToAny(message: Envelope, byBroker = false): boolean {
    if (this.remoteHubs().length === 0) return false;
    void this.publish(this.channels.anyHub, this.forwardFrame(message, byBroker));
    return true;
  }

  /** A broadcast routed here: the other hubs deliver it to their own clients. */
  forwardBroadcast(message: Envelope, byBroker = false): void {
    if (this.remoteHubs().length === 0) return;
    void this.publish(this.channels.broadcast, this.forwardFrame(message, byBroker));
  }

  // --- internals ------------------------------------------------------------------------------------------------

  private localAgents(): AgentSnapshot[] {
    return this.host.agents().filter((a) => a.hub_id === this.host.id);
  }

  /** A reply to `web_switchboard` answering a question from another hub's user goes back to that hub. */
  private replyToRemoteUser(message: Envelope): boolean {
    if (message.receiver_id !== HUB_USER_ID) return false;
    const ref = message.in_reply_to_message_id;
    if (ref === undefined || ref === null) return false;
    const origin = this.userOrigins.get(String(ref));
    if (!origin) return false;
    const hub = this.hubs.get(origin);
    if (!hub || hub.gone) return false;
    void this.publish(this.channels.hub(origin), this.forwardFrame(message, false));
    return true;
  }

  private routeUnknown(message: Envelope, byBroker: boolean): boolean {
    const receiver = typeof message.receiver_id === 'string' ? message.receiver_id : '';
    if (!receiver) return false;
    if (this.forwardToAgent(receiver, message, byBroker)) return true;
    // A known remote agent that is offline: let the hub answer "offline" rather than vanish into other hubs.
    if (this.remoteAgents.has(receiver)) return false;
    return this.forwardToAny(message, byBroker);
  }

  private presenceFrame(agents: AgentSnapshot[], full: boolean, wantFull = false, leaving = false): Envelope {
    const entries: PresenceEntry[] = agents.map((a) => {
      const d = this.localDelivery(a.agent_id);
      return d ? { ...a, delivery: d } : { ...a };
    });
    return {
      ...presenceFields(this.host),
      message_type: HUB_PRESENCE,
      hub_id: this.host.id,
      sender_id: this.host.id,
      sent_at: Date.now(),
      agents: entries,
      brokers: leaving ? 0 : this.host.localBrokerCount(),
      is_full_update: full,
      want_full: wantFull,
      leaving,
      send_timestamp: new Date().toISOString(),
    };
  }

  private announce(agents: AgentSnapshot[], full: boolean, wantFull = false): void {
    if (!this.running) return;
    this.counters.presenceSent++;
    void this.publish(this.channels.presence, this.presenceFrame(agents, full, wantFull));
  }

  /** `byBroker`: a routing broker's answer this hub carries on; its sender may be any hub's client. */
  private forwardFrame(message: Envelope, byBroker: boolean): Envelope {
    this.counters.forwarded++;
    return byBroker ? { message_type: HUB_FORWARD, origin_hub: this.host.id, routed_by: 'broker', message } : { message_type: HUB_FORWARD, origin_hub: this.host.id, message };
  }

  private async publish(channel: string, frame: Envelope): Promise<void> {
    try {
      await this.bus.publish(channel, frame);
    } catch (err) {
      this.log.warn(`publishing on ${channel} failed: ${errorMessage(err)}`);
    }
  }

  private onPresence(m: Envelope): void {
    const hubId = typeof m.hub_id === 'string' ? m.hub_id : undefined;
    if (!hubId || hubId === this.host.id || !this.running) return;
    // A replayed announcement (a compacted topic read from the start) of a hub long gone says nothing about now.
    if (typeof m.sent_at === 'number' && Date.now() - m.sent_at > this.hubTimeoutMs) return;
    this.counters.presenceReceived++;
    const entries = Array.isArray(m.agents) ? (m.agents as unknown[]) : [];
    let hub = this.hubs.get(hubId);
    const isNewHub = !hub || hub.gone;
    if (!hub) {
      hub = { lastHeard: 0, brokers: 0, agentIds: new Set(), gone: false };
      this.hubs.set(hubId, hub);
    }
    hub.lastHeard = Date.now();
    hub.gone = false;
    hub.brokers = typeof m.brokers === 'number' && m.brokers >= 0 ? m.brokers : 0;
    const seen = new Set<string>();
    for (const raw of entries) {
      const e = parseEntry(raw, hubId);
      if (!e) continue;
      seen.add(e.snap.agent_id);
      this.upsert(hub, e);
    }
    if (m.is_full_update === true) {
      // A full list from that hub: its agents it no longer lists are gone from it.
      for (const id of [...hub.agentIds]) {
        if (!seen.has(id)) this.markOffline(id);
      }
    }
    if (m.leaving === true) hub.gone = true;
    presenceHeard(this.host, hubId, m);
    // A hub that just (re)appeared, or asks, gets our full list now rather than at the next tick.
    if (m.want_full === true || isNewHub) this.announce(this.localAgents(), true);
    this.bound();
  }

  private upsert(hub: RemoteHub, e: RemoteAgent): void {
    const id = e.snap.agent_id;
    const prev = this.remoteAgents.get(id);
    // An agent that moved: the hub where it is online wins over one that shows it offline.
    if (prev && prev.snap.hub_id !== e.snap.hub_id && prev.snap.is_online && !e.snap.is_online) return;
    if (prev && prev.snap.hub_id !== e.snap.hub_id) this.hubs.get(prev.snap.hub_id)?.agentIds.delete(id);
    hub.agentIds.add(id);
    const changed =
      !prev || prev.snap.status !== e.snap.status || prev.snap.hub_id !== e.snap.hub_id || prev.snap.agent_name !== e.snap.agent_name ||
      prev.snap.last_status_text !== e.snap.last_status_text;
    this.remoteAgents.set(id, e);
    if (changed) this.host.markAgentChanged(id);
  }

  private markOffline(id: string): void {
    const r = this.remoteAgents.get(id);
    if (!r || !r.snap.is_online) return;
    r.snap = { ...r.snap, status: 'offline', is_online: false };
    this.host.markAgentChanged(id);
  }

  /** Hubs silent past their timeout are gone: their agents show offline. */
  private sweep(): void {
    const now = Date.now();
    for (const [hubId, hub] of this.hubs) {
      if (hub.gone || now - hub.lastHeard <= this.hubTimeoutMs) continue;
      hub.gone = true;
      this.log.info(`hub ${hubId} went silent; its ${hub.agentIds.size} agent(s) shown offline`);
      for (const id of hub.agentIds) this.markOffline(id);
    }
  }

  private bound(): void {
    if (this.remoteAgents.size <= this.maxRemoteAgents) return;
    for (const [id, r] of this.remoteAgents) {
      if (this.remoteAgents.size <= this.maxRemoteAgents) break;
      if (!r.snap.is_online) {
        this.remoteAgents.delete(id);
        this.hubs.get(r.snap.hub_id)?.agentIds.delete(id);
      }
    }
  }

  private onForward(m: Envelope, how: 'direct' | 'any' | 'broadcast', channel: string): void {
    if (m.origin_hub === this.host.id || !this.running) return;
    const origin = String(m.origin_hub);
    // The inner message goes through the codec as a socket's frame would.
    const checked = validateMessage(m.message);
    if (!checked.ok) {
      this.bus.reject(channel, checked.message_type, checked.error.code, `forward from hub ${origin}: ${checked.error.message}`);
      return;
    }
    const message = checked.message;
    if (how === 'any') {
      const receiver = typeof message.receiver_id === 'string' ? message.receiver_id : '';
      if (!receiver || this.host.localClientRole(receiver) === undefined) return; // not ours
    }
    const spoofed = m.routed_by === 'broker' ? undefined : this.spoofedSender(message, origin);
    if (spoofed) {
      this.bus.reject(channel, message.message_type, 'forbidden', `forward from hub ${origin} claims sender ${spoofed}`);
      return;
    }
    this.counters.received++;
    if (message.sender_id === HUB_USER_ID && (typeof message.message_id === 'string' || typeof message.message_id === 'number')) {
      this.userOrigins.set(String(message.message_id), origin);
      if (this.userOrigins.size > MAX_USER_ORIGINS) this.userOrigins.delete(this.userOrigins.keys().next().value as string);
    }
    try {
      this.host.route(message, { via: 'hub' });
    } catch (err) {
      this.log.warn(`delivering a message from hub ${origin} failed: ${errorMessage(err)}`);
    }
  }

  /**
   * A hub forwards only what its own clients said: a sender that is an agent of this hub, or (per presence) an
   * online agent of a third hub, is spoofed. Returns that sender id, else undefined. Senders no presence names (a
   * front-end, an agent whose announcement has not arrived yet) pass.
   */
  private spoofedSender(message: Envelope, originHub: string): string | undefined {
    const sender = message.sender_id;
    if (typeof sender !== 'string' || !sender) return undefined;
    if (this.host.localClientRole(sender) === 'agent') return sender;
    const r = this.remoteAgents.get(sender);
    if (r && r.snap.is_online && r.snap.hub_id !== originHub) return sender;
    return undefined;
  }
}

function settleWithin(p: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    void p.finally(() => {
      clearTimeout(t);
      resolve();
    });
  });
}

function isBroadcast(m: Envelope): boolean {
  const r = m.receiver_id;
  return r === undefined || r === null || (typeof r === 'string' && BROADCAST_RECEIVERS.has(r));
}

function parseEntry(raw: unknown, hubId: string): RemoteAgent | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const e = raw as Partial<PresenceEntry>;
  if (typeof e.agent_id !== 'string' || !e.agent_id) return undefined;
  const status = e.status === 'online' || e.status === 'paused' || e.status === 'offline' ? e.status : e.is_online ? 'online' : 'offline';
  const snap: AgentSnapshot = {
    agent_id: e.agent_id,
    agent_name: typeof e.agent_name === 'string' ? e.agent_name : e.agent_id,
    status,
    is_online: status !== 'offline',
    last_seen: typeof e.last_seen === 'string' ? e.last_seen : null,
    connected_at: typeof e.connected_at === 'string' ? e.connected_at : null,
    namespace: typeof e.namespace === 'string' ? e.namespace : 'default',
    hub_id: hubId,
    messages_in: typeof e.messages_in === 'number' ? e.messages_in : 0,
    messages_out: typeof e.messages_out === 'number' ? e.messages_out : 0,
    last_status_text: typeof e.last_status_text === 'string' ? e.last_status_text : null,
    held_messages: typeof e.held_messages === 'number' ? e.held_messages : 0,
  };
  const delivery = e.delivery === 'queue' || e.delivery === 'websocket' ? e.delivery : undefined;
  return { snap, delivery };
}
