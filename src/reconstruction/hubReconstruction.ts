// Plugs reconstruction into a running Hub: picks the carrier by what the hub's bus can do (a bus other hubs and seed
// peers share carries the seed 002 channels, with a gateway that relays their requests to this hub's WebSocket
// agents; a private bus leaves it to the hub's own relay), reads the hub's event log, answers REGISTER_AGENT
// {restore_from} and hands results over.

import type { ReconstructionT } from '../protocol/contextSchemas';
import type { LogEntry } from '../protocol/logEntry';
import type { Logger } from '../protocol/logger';
import { silentLogger } from '../protocol/logger';
import { CHAT_TYPES, MessageType } from '../protocol/messageTypes';
import type { Hub } from '../hub/hub';
import { SwitchboardError } from '../protocol/errors';
import { Reconstructor, type ReconstructOptions, type ReconstructionSource } from './reconstructor';
import type { ContextTransport } from './contextTransport';
import { HubContextTransport } from './hubContextTransport';
import { BusContextTransport, type ContextChannels } from './busContextTransport';
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

/**
 * 'auto': over the hub's bus when that bus is shared (other hubs, seed peers on the broker), else the hub's relay;
 * 'hub': always the hub's relay to its own WebSocket agents; 'bus': always over the hub's bus.
 */
export type ContextCarrier = 'auto' | 'hub' | 'bus';

export interface HubReconstructionOptions {
  carrier?: ContextCarrier;
  settings?: Partial<ContextSettings>;
  /** The seed 002 channel names on the bus (default: the bus's own; tests use unique ones on a shared broker). */
  channels?: ContextChannels;
  /** A peer's group on the request channel is `<groupPrefix>-<peer id>` (default settings.peerGroupPrefix). */
  groupPrefix?: string;
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
  private readonly busTransport: BusContextTransport | undefined;

  private constructor(
    private readonly hub: Hub,
    reconstructor: Reconstructor,
    gateway: ContextGateway | undefined,
    busTransport: BusContextTransport | undefined,
  ) {
    this.reconstructor = reconstructor;
    this.gateway = gateway;
    this.busTransport = busTransport;
  }

  /** Attach to a started hub. Over a bus this joins its channels (subscriptions, groups) before resolving. */
  static async attach(hub: Hub, opts: HubReconstructionOptions = {}): Promise<HubReconstruction> {
    const bus = hub.activeBus;
    const carrier = opts.carrier ?? 'auto';
    const overBus = carrier === 'bus' || (carrier === 'auto' && bus?.capabilities.shared === true);
    const settings: ContextSettings = resolveContextSettings(opts.settings ?? {});
    const logger = opts.logger ?? silentLogger;
    let transport: ContextTransport;
    let gateway: ContextGateway | undefined;
    let busTransport: BusContextTransport | undefined;
    if (!overBus) {
      transport = new HubContextTransport(hub.context, `reconstructor_${hub.id}`);
    } else {
      if (!bus) throw new SwitchboardError('bus_down', 'The hub has no bus to reconstruct over: start the hub first.');
      // the hub's id is new on every start (unless configured), so its response channel is released on close
      busTransport = new BusContextTransport({
        bus,
        requesterId: `reconstructor-${hub.id}`,
        releaseOnClose: true,
        logger,
        groupPrefix: opts.groupPrefix ?? settings.peerGroupPrefix,
        ...(opts.channels ? { channels: opts.channels } : {}),
      });
      transport = busTransport;
      gateway = new ContextGateway(hub.context, busTransport, `hub-${hub.id}`, logger);
    }
    const reconstructor = new Reconstructor({ transport, source: hubSource(hub), settings, logger });
    const out = new HubReconstruction(hub, reconstructor, gateway, busTransport);
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
    await this.busTransport?.close();
  }
}
