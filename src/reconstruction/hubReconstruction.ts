// Plugs reconstruction into a running Hub: picks the carrier that matches the hub's bus (the hub's own relay on
// memory, Kafka topics or a RabbitMQ fanout otherwise — with a gateway that relays broker requests to this hub's
// WebSocket agents), reads the hub's event log, answers REGISTER_AGENT {restore_from} and hands results over.

import type { ReconstructionT } from '../protocol/contextSchemas';
import type { LogEntry } from '../protocol/logEntry';
import type { Logger } from '../protocol/logger';
import { silentLogger } from '../protocol/logger';
import { CHAT_TYPES, MessageType } from '../protocol/messageTypes';
import type { Hub } from '../hub/hub';
import { SwitchboardError } from '../protocol/errors';
import { Reconstructor, type ReconstructOptions, type ReconstructionSource } from './reconstructor';
import type { ContextPeerTransport, ContextTransport } from './contextTransport';
import { HubContextTransport } from './hubContextTransport';
import { ContextGateway } from './contextGateway';
import { resolveContextSettings, type ContextSettings } from './contextConfig';

/** Types of log entries that matter to a reconstruction (chat and the status lines). */
const RELEVANT: ReadonlySet<string> = new Set([...CHAT_TYPES, MessageType.STATUS]);

/** The hub's event log and registry as a ReconstructionSource. */
export function hubSource(hub: Pick<Hub, 'log' | 'agent' | 'agents' | 'id'>): ReconstructionSource {
  return {
    logEntries(agentId: string, sinceMs: number, limit: number): LogEntry[] {
      return hub.log.query({ agent_id: agentId, message_type: [...RELEVANT], since: sinceMs, limit });
    },
    agent(agentId) {
      const a = hub.agent(agentId);
      return a ? { last_seen: a.last_seen, last_status_text: a.last_status_text ?? null } : undefined;
    },
    onlineAgents() {
      return hub.agents().filter((a) => a.status !== 'offline').map((a) => a.agent_id);
    },
  };
}

export type ContextCarrier = 'auto' | 'hub' | 'kafka' | 'rabbitmq';

export interface HubReconstructionOptions {
  /** Which carrier; 'auto' follows the hub's bus kind (memory → the hub's relay). */
  carrier?: ContextCarrier;
  settings?: Parameters<typeof resolveContextSettings>[0];
  logger?: Logger;
  /** Answer REGISTER_AGENT {restore_from} with RESTORE_CONTEXT (default true). */
  restoreOnRegister?: boolean;
  /** Options for the reconstruction run on a restore_from registration. */
  restoreOptions?: ReconstructOptions;
}

/** A hub with reconstruction attached: what the CLI `hub` command and the extension hold. */
export class HubReconstruction {
  readonly reconstructor: Reconstructor;
  private readonly gateway: ContextGateway | undefined;
  private readonly peerTransport: (ContextPeerTransport & ContextTransport) | undefined;

  private constructor(
    private readonly hub: Hub,
    reconstructor: Reconstructor,
    gateway: ContextGateway | undefined,
    peerTransport: (ContextPeerTransport & ContextTransport) | undefined,
  ) {
    this.reconstructor = reconstructor;
    this.gateway = gateway;
    this.peerTransport = peerTransport;
  }

  /** Attach to a started hub. On a broker carrier this joins the broker (consumer groups, queues) before resolving. */
  static async attach(hub: Hub, opts: HubReconstructionOptions = {}): Promise<HubReconstruction> {
    const bus = hub.busStatus();
    const carrier = opts.carrier && opts.carrier !== 'auto' ? opts.carrier : carrierOf(bus.kind);
    // on a Kafka bus, the hub's own bootstrap list (kafka://a,b in its status) unless told otherwise
    const busBrokers = bus.kind === 'kafka' && bus.url.startsWith('kafka://') ? bus.url.slice('kafka://'.length).split(',').filter(Boolean) : [];
    const given = opts.settings ?? {};
    const settings: ContextSettings = resolveContextSettings(
      busBrokers.length && !given.kafka?.brokers ? { ...given, kafka: { ...given.kafka, brokers: busBrokers } } : given,
    );
    const logger = opts.logger ?? silentLogger;
    let transport: ContextTransport;
    let gateway: ContextGateway | undefined;
    let peer: (ContextPeerTransport & ContextTransport) | undefined;
    if (carrier === 'hub') {
      transport = new HubContextTransport(hub.context, `reconstructor_${hub.id}`);
    } else {
      const requesterId = `reconstructor-${hub.id}`;
      // loaded on demand: kafkajs and amqplib are most of the bundle, and a memory hub (the default) needs neither,
      // so the extension activates without evaluating them
      peer =
        carrier === 'kafka'
          ? new (await import('./kafkaContextTransport')).KafkaContextTransport({ kafka: settings.kafka, requesterId, logger, cleanupOnClose: true })
          : new (await import('./rabbitmqContextTransport')).RabbitMqContextTransport({ rabbitmq: settings.rabbitmq, requesterId, logger });
      transport = peer;
      gateway = new ContextGateway(hub.context, peer, `hub-${hub.id}`, logger);
    }
    const reconstructor = new Reconstructor({ transport, source: hubSource(hub), settings, logger });
    const out = new HubReconstruction(hub, reconstructor, gateway, peer);
    try {
      await gateway?.start();
      await reconstructor.start();
    } catch (err) {
      await out.close();
      throw err;
    }
    if (opts.restoreOnRegister !== false) {
      hub.context.setRestoreProvider((failed, replacement) =>
        reconstructor.reconstruct(failed, { ...opts.restoreOptions, excludePeers: [...(opts.restoreOptions?.excludePeers ?? []), replacement] }),
      );
    }
    return out;
  }

  /**
   * Attach and close again when the hub stops (for code that holds only the Hub, like the CLI's startHub). A carrier
   * that cannot be reached is logged and the hub runs on without reconstruction (undefined).
   */
  static attachUntilStopped(hub: Hub, opts: HubReconstructionOptions = {}): Promise<HubReconstruction | undefined> {
    let stopped = false;
    let attached: HubReconstruction | undefined;
    const onState = (state: string): void => {
      if (state !== 'stopping' && state !== 'stopped') return;
      stopped = true;
      hub.events.off('state', onState);
      void attached?.close();
    };
    hub.events.on('state', onState);
    return HubReconstruction.attach(hub, opts).then(
      (r) => {
        attached = r;
        if (!stopped) return r;
        void r.close();
        return undefined;
      },
      (err: unknown) => {
        hub.events.off('state', onState);
        (opts.logger ?? silentLogger).warn(`context reconstruction unavailable: ${err instanceof Error ? err.message : String(err)}`);
        return undefined;
      },
    );
  }

  reconstruct(agentId: string, opts?: ReconstructOptions): Promise<ReconstructionT> {
    return this.reconstructor.reconstruct(agentId, opts);
  }

  /** Send a reconstruction to a (replacement) agent connected to this hub as RESTORE_CONTEXT. */
  handOver(result: ReconstructionT, agentId: string): void {
    if (!this.hub.context.handOver(agentId, result)) {
      throw new SwitchboardError('unknown_receiver', `Agent ${agentId} is not connected to this hub; start the replacement first.`);
    }
  }

  async close(): Promise<void> {
    this.hub.context.setRestoreProvider(undefined);
    await this.gateway?.stop();
    await this.reconstructor.close();
    await this.peerTransport?.close();
  }
}

function carrierOf(kind: string): ContextCarrier {
  return kind === 'kafka' || kind === 'rabbitmq' ? kind : 'hub';
}
