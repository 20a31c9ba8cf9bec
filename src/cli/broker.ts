// `switchboard broker`: our reference routing broker, a drop-in replacement for the seed 001 broker. It waits for
// SERVER_AVAILABLE (or is told the hub's URL), registers through the SDK's BrokerClient, learns agents from
// agent_metadata_queue and AGENT_STATUS_UPDATE, and routes broker_input_queue → broker_output_queue: by receiver_id,
// else round-robin among online unpaused agents; answers the sender with an ERROR when the agent is offline/unknown.

import type { Command } from 'commander';
import type { Bus, Unsubscribe } from '../bus/bus';
import { queueChannel } from '../bus/bus';
import { createBus, DEFAULT_RABBITMQ_URL } from '../bus/createBus';
import { redactAmqpUrl } from '../bus/rabbitmqBus';
import type { Envelope } from '../protocol/schemas';
import { errorMessage } from '../protocol/errors';
import { isoNow, newMessageId } from '../protocol/ids';
import { silentLogger, type Logger } from '../protocol/logger';
import { BrokerClient } from '../sdk/brokerClient';
import { CHAT_TYPES, MessageType } from '../protocol/messageTypes';
import { seedQueueNames, type SeedQueueNames } from '../hub/seedTopology';
import { readEnv } from '../protocol/envOptions';
import { envOrCliError } from './cliErrors';
import { waitForSignal } from './hubCommand';
import { cliLogger } from './terminal';

export interface RoutingBrokerOptions {
  /** RabbitMQ URL. Default amqp://guest:guest@127.0.0.1:5672. */
  rabbitmqUrl?: string;
  /** Prefix of the seed queue names (as the hub's busPrefix). Default none. */
  queuePrefix?: string;
  /** Connect to this hub at once instead of waiting for SERVER_AVAILABLE. */
  hubUrl?: string;
  name?: string;
  /** Hub reconnect backoff (the SDK's: doubling from initialMs up to maxMs, with jitter). Defaults 250 ms, 5 s. */
  reconnect?: { initialMs?: number; maxMs?: number };
  /** Agents remembered; beyond this the offline ones are forgotten first. Default 50,000. */
  maxAgents?: number;
  logger?: Logger;
  /** A bus to use instead of creating one (tests). */
  bus?: Bus;
}

interface KnownAgent {
  name: string;
  online: boolean;
  paused: boolean;
}

/** The seed broker's answer when it cannot route: sent back to the original sender through the hub. */
function brokerError(original: Envelope, text: string): Envelope {
  return {
    message_type: MessageType.ERROR,
    message_id: newMessageId(),
    sender_id: 'broker',
    receiver_id: typeof original.sender_id === 'string' ? original.sender_id : null,
    text_payload: text,
    send_timestamp: isoNow(),
    in_reply_to_message_id: null,
    ref_message_id: original.message_id ?? null,
    _client_id: original._client_id ?? original.sender_id ?? null,
  };
}

export class RoutingBroker {
  readonly names: SeedQueueNames;
  private readonly log: Logger;
  private readonly bus: Bus;
  private readonly ownsBus: boolean;
  private readonly agents = new Map<string, KnownAgent>();
  private readonly maxAgents: number;
  private readonly reconnect: { initialMs: number; maxMs: number };
  private readonly unsubs: Unsubscribe[] = [];
  /** The connection to the current hub; replaced when an advertisement names another hub while this one is out. */
  private client: BrokerClient | undefined;
  private rr = 0;
  private stopped = false;
  private registeredWaiters: Array<() => void> = [];
  readonly counters = { routed: 0, broadcast: 0, errors: 0, dropped: 0, advertisements: 0 };

  constructor(private readonly opts: RoutingBrokerOptions = {}) {
    this.names = seedQueueNames(opts.queuePrefix ?? '');
    this.log = (opts.logger ?? silentLogger).child('broker');
    this.maxAgents = opts.maxAgents ?? 50_000;
    this.reconnect = { initialMs: opts.reconnect?.initialMs ?? 250, maxMs: opts.reconnect?.maxMs ?? 5_000 };
    this.ownsBus = !opts.bus;
    this.bus =
      opts.bus ??
      createBus({ kind: 'rabbitmq', rabbitmqUrl: opts.rabbitmqUrl ?? DEFAULT_RABBITMQ_URL, clientName: 'switchboard-broker' }, this.log);
  }

  /** The id the hub gave it (after REGISTER_BROKER_RESPONSE). */
  get brokerId(): string | undefined {
    return this.client?.connected ? this.client.id : undefined;
  }

  get connectedHub(): string | undefined {
    return this.client?.connected ? this.client.hubUrl : undefined;
  }

  /** Agents it knows, for tests and `--verbose`. */
  knownAgents(): Array<{ agent_id: string } & KnownAgent> {
    return [...this.agents.entries()].map(([agent_id, a]) => ({ agent_id, ...a }));
  }

  async start(): Promise<void> {
    const n = this.names;
    await this.bus.declareQueues?.([n.brokerInput, n.brokerOutput, n.agentMetadata, n.serverAdvertisement]);
    this.unsubs.push(await this.bus.subscribe(queueChannel(n.serverAdvertisement), (m) => this.onAdvertisement(m)));
    this.unsubs.push(await this.bus.subscribe(queueChannel(n.agentMetadata), (m) => this.onMetadata(m)));
    this.unsubs.push(await this.bus.subscribe(queueChannel(n.brokerInput), (m) => this.onInput(m)));
    if (this.opts.hubUrl) this.connect(this.opts.hubUrl);
  }

  /** Resolves once the hub answered REGISTER_BROKER. */
  registered(timeoutMs = 10_000): Promise<void> {
    if (this.connectedHub) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the broker did not register with a hub within ${timeoutMs} ms`)), timeoutMs);
      this.registeredWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const u of this.unsubs.splice(0)) await u().catch(() => undefined);
    const client = this.client;
    this.client = undefined;
    await client?.close('broker stopping');
    if (this.ownsBus) await this.bus.close();
  }

  // --- the hub, through the SDK's BrokerClient --------------------------------------------------------------------

  private onAdvertisement(m: Envelope): void {
    if (m.message_type !== MessageType.SERVER_AVAILABLE || typeof m.websocket_url !== 'string') return;
    this.counters.advertisements++;
    // One hub is enough: other hubs on the same broker share presence with it and forward what is theirs.
    if (this.connectedHub || this.stopped) return;
    if (this.client?.state === 'connecting' && this.client.hubUrl === m.websocket_url) return;
    this.log.info(`SERVER_AVAILABLE from ${String(m.server_id)}: connecting`);
    this.connect(m.websocket_url);
  }

  /** A fresh client for url (the previous one, out of reach or another hub's, is closed): it retries until it is in. */
  private connect(url: string): void {
    if (this.stopped) return;
    const old = this.client;
    if (old) void old.close('switching hubs').catch(() => undefined);
    const client = new BrokerClient({ url, name: this.opts.name ?? 'switchboard-broker', logger: this.log, reconnect: this.reconnect });
    this.client = client;
    client.onAgentStatus((s) => this.applyStatus(s.message));
    let was = client.state;
    client.onState((state, detail) => {
      if (this.client !== client) return;
      if (state === 'connected') for (const w of this.registeredWaiters.splice(0)) w();
      else if (state === 'reconnecting' && was === 'connected') this.log.warn(`hub connection lost; ${detail} (or on the next SERVER_AVAILABLE)`);
      was = state;
    });
    client.start();
  }

  // --- what agents exist --------------------------------------------------------------------------------------------

  private onMetadata(m: Envelope): void {
    const id = typeof m.agent_id === 'string' ? m.agent_id : undefined;
    switch (m.message_type) {
      case MessageType.REGISTER_AGENT:
        if (id) this.upsert(id, { name: typeof m.agent_name === 'string' ? m.agent_name : id, online: true });
        return;
      case MessageType.CLIENT_DISCONNECTED:
        if (id && (m.connection_type === undefined || m.connection_type === 'agent')) this.upsert(id, { online: false });
        return;
      case MessageType.AGENT_STATUS_UPDATE:
        this.applyStatus(m);
        return;
      default:
        return;
    }
  }

  private applyStatus(m: Envelope): void {
    if (!Array.isArray(m.agents)) return;
    const listed = new Set<string>();
    for (const raw of m.agents as unknown[]) {
      if (typeof raw !== 'object' || raw === null) continue;
      const e = raw as Record<string, unknown>;
      if (typeof e.agent_id !== 'string') continue;
      listed.add(e.agent_id);
      const status = e.status;
      const online = status === 'online' || status === 'paused' || (status === undefined && e.is_online === true);
      this.upsert(e.agent_id, {
        name: typeof e.agent_name === 'string' ? e.agent_name : e.agent_id,
        online,
        paused: status === 'paused',
      });
    }
    if (m.is_full_update === true) {
      for (const [id, a] of this.agents) if (!listed.has(id)) a.online = false;
    }
  }

  private upsert(id: string, patch: Partial<KnownAgent>): void {
    const a = this.agents.get(id) ?? { name: id, online: false, paused: false };
    Object.assign(a, patch);
    this.agents.set(id, a);
    if (this.agents.size > this.maxAgents) {
      for (const [k, v] of this.agents) {
        if (this.agents.size <= this.maxAgents) break;
        if (!v.online) this.agents.delete(k);
      }
    }
  }

  // --- routing ------------------------------------------------------------------------------------------------------

  private async onInput(m: Envelope): Promise<void> {
    // The seed broker routes chat only; anything else is acknowledged and dropped.
    if (!CHAT_TYPES.has(m.message_type)) {
      this.counters.dropped++;
      return;
    }
    const out = this.route(m);
    await this.bus.publish(queueChannel(this.names.brokerOutput), out);
  }

  /** Decides one message (exported behaviour, tested through the queues). */
  route(m: Envelope): Envelope {
    const receiver = typeof m.receiver_id === 'string' ? m.receiver_id : '';
    const sender = typeof m.sender_id === 'string' ? m.sender_id : '';
    if (receiver === 'broadcast') {
      this.counters.broadcast++;
      return { ...m, _broadcast: true };
    }
    if (receiver === '' || receiver === 'broker') {
      const candidates = [...this.agents.entries()].filter(([id, a]) => a.online && !a.paused && id !== sender).map(([id]) => id);
      candidates.sort();
      if (candidates.length === 0) {
        this.counters.errors++;
        return brokerError(m, 'No agent is online to take this message; try again when one has registered.');
      }
      const chosen = candidates[this.rr++ % candidates.length]!;
      this.counters.routed++;
      return { ...m, receiver_id: chosen, _target_agent_id: chosen };
    }
    const agent = this.agents.get(receiver);
    if (agent) {
      if (!agent.online) {
        this.counters.errors++;
        return brokerError(m, `Agent ${receiver} is currently offline`);
      }
      this.counters.routed++;
      return { ...m, _target_agent_id: receiver };
    }
    if (receiver.startsWith('agent_')) {
      this.counters.errors++;
      return brokerError(m, `Unknown agent ID: ${receiver}`);
    }
    // Not an agent (a front-end, the hub's own UI session): the hub knows its clients and delivers by receiver_id.
    this.counters.routed++;
    return { ...m };
  }
}

// --- the command ------------------------------------------------------------------------------------------------------

export function registerBrokerCommand(program: Command, run: (fn: () => Promise<void>) => Promise<void>): void {
  program
    .command('broker')
    .description('run the reference routing broker on RabbitMQ (drop-in for the seed 001 broker): by receiver_id, else round-robin')
    .option('--rabbitmq-url <url>', 'RabbitMQ URL [env SWITCHBOARD_RABBITMQ_URL; default amqp://guest:guest@127.0.0.1:5672]')
    .option('--bus-prefix <prefix>', 'prefix of the seed queue names, as the hub’s --bus-prefix [env SWITCHBOARD_BUS_PREFIX; default none]')
    .option('--hub-url <url>', 'connect to this hub (ws://…/ws?token=…) instead of waiting for SERVER_AVAILABLE')
    .option('--name <name>', 'broker_name sent with REGISTER_BROKER', 'switchboard-broker')
    .option('--verbose', 'log debug detail to stderr')
    .action((flags: { rabbitmqUrl?: string; busPrefix?: string; hubUrl?: string; name: string; verbose?: boolean }) =>
      run(async () => {
        const logger = cliLogger(flags.verbose ? 'debug' : 'info');
        const stopped = waitForSignal();
        const vars = envOrCliError(() => readEnv(process.env, ['rabbitmqUrl', 'busPrefix']));
        const url = flags.rabbitmqUrl ?? vars.rabbitmqUrl ?? DEFAULT_RABBITMQ_URL;
        const broker = new RoutingBroker({
          rabbitmqUrl: url,
          queuePrefix: flags.busPrefix ?? vars.busPrefix ?? '',
          ...(flags.hubUrl ? { hubUrl: flags.hubUrl } : {}),
          name: flags.name,
          logger,
        });
        try {
          await broker.start();
        } catch (err) {
          await broker.stop().catch(() => undefined);
          throw new Error(`The broker could not start on ${redactAmqpUrl(url)}: ${errorMessage(err)}. Is RabbitMQ running?`);
        }
        process.stdout.write(
          `Switchboard broker ready — routing ${broker.names.brokerInput} → ${broker.names.brokerOutput} on ${redactAmqpUrl(url)}; ` +
            `${flags.hubUrl ? `hub ${flags.hubUrl.replace(/token=[^&]+/, 'token=…')}` : `waiting for SERVER_AVAILABLE on ${broker.names.serverAdvertisement}`}\n`,
        );
        const signal = await stopped;
        logger.info(`${signal}: stopping the broker…`);
        await broker.stop();
      }),
    );
}
