// Chat of the seed's third generation on RabbitMQ: the hub writes a gRPC agent's chat to the queue named by its id
// alone, reads server_input_queue (what a third-generation routing broker sends back) and, while no routing broker is
// registered, reads broker_input_queue itself (where those agents publish their replies). A reply names no receiver;
// it carries original_message_id, by which the hub returns it to whoever asked — never to another agent, so the
// seed's lost replies and agent-to-agent loops do not happen here.

import { queueChannel, type Unsubscribe } from '../../bus/bus';
import type { Envelope } from '../../protocol/schemas';
import type { Logger } from '../../protocol/logger';
import { MessageType } from '../../protocol/messageTypes';
import { errorMessage } from '../../protocol/errors';
import { isoNow, newMessageId } from '../../protocol/ids';
import type { HubPort, PortBus } from '../port';

/** The third generation's queue names behind an optional prefix (tests use a unique one). */
export interface Gen3QueueNames {
  brokerInput: string;
  serverInput: string;
  agentQueue(agentId: string): string;
}

export function gen3QueueNames(prefix = ''): Gen3QueueNames {
  return {
    brokerInput: `${prefix}broker_input_queue`,
    serverInput: `${prefix}server_input_queue`,
    agentQueue: (agentId) => `${prefix}${agentId}`,
  };
}

/** Who asked: remembered per message sent to a gRPC agent, so its reply finds the way back. Bounded. */
const MAX_ORIGINS = 10_000;
const CHAT_TYPES: ReadonlySet<string> = new Set([MessageType.TEXT, MessageType.REPLY, MessageType.SYSTEM]);

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** The routing fields that stay between server and broker. */
function clean(m: Envelope): Envelope {
  const out: Envelope = { ...m };
  for (const k of Object.keys(out)) if (k.startsWith('_')) delete out[k];
  return out;
}

interface Origin {
  messageId: string;
  senderId: string;
}

export class SeedGen3Queues {
  readonly names: Gen3QueueNames;
  readonly counters = { toAgentQueues: 0, fromAgents: 0, fromBroker: 0, repliesReturned: 0, dropped: 0 };
  private readonly origins = new Map<string, Origin>();
  /** The last message each agent was given: the broker turns a lone agent's reply into an ERROR naming the agent. */
  private readonly lastOrigin = new Map<string, Origin>();
  private readonly declared = new Set<string>();
  private unsubServer: Unsubscribe | undefined;
  private unsubBrokerInput: Unsubscribe | undefined;
  private wantBrokerInput = false;
  /** Subscribing and leaving one after the other: each step decides on the state at its turn. */
  private syncing: Promise<void> = Promise.resolve();
  private removeLifecycle: (() => void) | undefined;
  private running = false;

  constructor(
    private readonly port: HubPort,
    private readonly bus: PortBus,
    private readonly log: Logger,
    prefix = '',
  ) {
    this.names = gen3QueueNames(prefix);
  }

  async start(): Promise<void> {
    this.running = true;
    await this.bus.declareQueues?.([this.names.brokerInput, this.names.serverInput]);
    this.unsubServer = await this.bus.subscribe(queueChannel(this.names.serverInput), (m) => this.onServerInput(m), { group: 'hubs' });
    // A routing broker that registers (over WebSocket: the first generation; over gRPC: the third) reads
    // broker_input_queue; while none is registered, the hub does.
    this.removeLifecycle = this.port.onLifecycle({
      registered: (role) => role === 'broker' && void this.syncBrokerInput(),
      released: (role) => role === 'broker' && void this.syncBrokerInput(),
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    this.removeLifecycle?.();
    await this.syncBrokerInput(); // leaves broker_input_queue once any subscribing under way has finished
    await this.unsubServer?.().catch(() => undefined);
    this.unsubServer = undefined;
  }

  /** A gRPC agent registered: its replies arrive on broker_input_queue, which someone must read. */
  agentRegistered(agentId: string): void {
    this.wantBrokerInput = true;
    void this.declare(this.names.agentQueue(agentId));
    void this.syncBrokerInput();
  }

  /** Chat the hub routed to a gRPC agent: onto the queue named by its id, as the seed's server writes it. */
  async toAgent(agentId: string, message: Envelope): Promise<void> {
    const out = clean(message);
    out.routing_status = 'routed';
    const origin = { messageId: str(out.message_id), senderId: str(out.sender_id) };
    if (origin.messageId && origin.senderId) {
      this.origins.set(origin.messageId, origin);
      if (this.origins.size > MAX_ORIGINS) this.origins.delete(this.origins.keys().next().value as string);
      this.lastOrigin.set(agentId, origin);
    }
    this.counters.toAgentQueues++;
    const queue = this.names.agentQueue(agentId);
    try {
      await this.declare(queue);
      await this.bus.publish(queueChannel(queue), out);
    } catch (err) {
      this.log.warn(`publishing to ${queue} failed: ${errorMessage(err)}`);
    }
  }

  /** A front-end's chat for the routing broker to place, as the seed's server publishes it. */
  async toBroker(message: Envelope, clientId: string): Promise<void> {
    const out: Envelope = { ...message, _client_id: clientId, _connection_type: 'frontend', routing_status: 'pending' };
    try {
      await this.bus.publish(queueChannel(this.names.brokerInput), out);
    } catch (err) {
      this.log.warn(`publishing to ${this.names.brokerInput} failed: ${errorMessage(err)}`);
    }
  }

  private async declare(queue: string): Promise<void> {
    if (this.declared.has(queue)) return;
    await this.bus.declareQueues?.([queue]);
    this.declared.add(queue);
  }

  private syncBrokerInput(): Promise<void> {
    this.syncing = this.syncing.then(() => this.applyBrokerInput());
    return this.syncing;
  }

  private async applyBrokerInput(): Promise<void> {
    const want = this.running && this.wantBrokerInput && this.port.localBrokerCount() === 0;
    if (want === (this.unsubBrokerInput !== undefined)) return;
    try {
      if (want) this.unsubBrokerInput = await this.bus.subscribe(queueChannel(this.names.brokerInput), (m) => this.onBrokerInput(m), { group: 'hubs' });
      else {
        const unsub = this.unsubBrokerInput;
        this.unsubBrokerInput = undefined;
        await unsub?.();
      }
    } catch (err) {
      this.log.warn(`${want ? 'reading' : 'leaving'} ${this.names.brokerInput} failed: ${errorMessage(err)}`);
    }
  }

  /** broker_input_queue while no routing broker is registered: the agents' replies. */
  private onBrokerInput(m: Envelope): void {
    if (!CHAT_TYPES.has(m.message_type)) return this.drop(this.names.brokerInput, m, 'not chat');
    this.counters.fromAgents++;
    this.route(m, this.names.brokerInput);
  }

  /** server_input_queue: what a third-generation routing broker decided. */
  private onServerInput(m: Envelope): void {
    this.counters.fromBroker++;
    const status = str(m.routing_status);
    if (status === 'pending') {
      void this.bus.publish(queueChannel(this.names.brokerInput), m).catch((err: unknown) => this.log.warn(errorMessage(err)));
      return;
    }
    if (m.message_type === MessageType.ERROR || status === 'error') return this.deliverError(m);
    if (!CHAT_TYPES.has(m.message_type)) return this.drop(this.names.serverInput, m, 'not chat');
    this.route(m, this.names.serverInput);
  }

  /**
   * A message from an agent (or a front-end's message the broker routed). An agent's answer with no receiver, or one
   * the broker sent on to another agent, goes back to whoever asked (original_message_id).
   */
  private route(m: Envelope, queue: string): void {
    const sender = str(m.sender_id);
    const orig = str(m.original_message_id) || str(m.in_reply_to_message_id);
    const origin = orig ? this.origins.get(orig) : undefined;
    let receiver = str(m.receiver_id);
    const fromAgent = this.port.localClientRole(sender) === 'agent';
    if (origin && fromAgent && (!receiver || receiver === 'server' || this.port.localClientRole(receiver) === 'agent')) {
      receiver = origin.senderId;
      this.counters.repliesReturned++;
    }
    if (!receiver || receiver === 'server') return this.drop(queue, m, 'names no receiver and answers no message the hub sent');
    const out = clean(m);
    out.receiver_id = receiver;
    out.routing_status = 'routed';
    out.message_id = str(m.message_id) || newMessageId();
    out.send_timestamp = str(m.send_timestamp) || isoNow();
    if (orig) out.in_reply_to_message_id = orig;
    const result = this.port.route(out, sender ? { via: 'broker', originClientId: sender } : { via: 'broker' });
    if (result.error) this.log.info(`a message from ${sender || 'an unnamed sender'} on ${queue} was not delivered: ${result.error.text}`);
  }

  /**
   * A routing error goes to the sender's front-end. With one agent online the seed's broker turns that agent's reply
   * into an ERROR addressed to the agent, with the reply as its text: it is returned to whoever the agent answered.
   */
  private deliverError(m: Envelope): void {
    const to = str(m._client_id) || str(m.receiver_id);
    if (this.port.localClientRole(to) === 'agent') {
      const origin = this.lastOrigin.get(to);
      if (!origin || typeof m.text_payload !== 'string') return this.drop(this.names.serverInput, m, 'a routing error for an agent');
      this.counters.repliesReturned++;
      this.port.route(
        {
          message_type: MessageType.TEXT,
          message_id: newMessageId(),
          sender_id: to,
          receiver_id: origin.senderId,
          text_payload: m.text_payload,
          in_reply_to_message_id: origin.messageId,
          send_timestamp: isoNow(),
        },
        { via: 'broker', originClientId: to },
      );
      return;
    }
    const frame = clean(m);
    frame.receiver_id = to;
    if (!to || !this.port.sendToClient(to, frame)) this.drop(this.names.serverInput, m, 'a routing error for nobody connected here');
  }

  private drop(queue: string, m: Envelope, why: string): void {
    this.counters.dropped++;
    this.log.debug(`${m.message_type} on ${queue} dropped: ${why}`);
  }
}
