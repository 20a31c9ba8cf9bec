// What a hub runs on a bus it can share: chosen by what the bus can do, never by its kind or URL. A shared bus
// links hubs (presence, hub-to-hub forwarding: busBridge.ts); a bus with durable queues carries the seed 001
// topology (routing broker, agent_queue_<id>: seedTopology.ts). Each reaches the Router as a route strategy.

import type { Bus } from '../bus/bus';
import type { Logger } from '../protocol/logger';
import { MemoryBus } from '../bus/memoryBus';
import { createBus } from '../bus/createBus';
import type { HubOptions } from './options';
import type { HubPlugin, HubPort } from './port';
import { BusBridge, type BusBridgeOptions } from './busBridge';
import { SeedTopology, type SeedTopologyOptions } from './seedTopology';

export interface BusIntegration extends HubPlugin {
  bridge: BusBridge | undefined;
  /** Present when the bus has durable queues (RabbitMQ): the seed 001 topology. */
  seed: SeedTopology | undefined;
}

export interface BusIntegrationOptions extends BusBridgeOptions, SeedTopologyOptions {}

/** Undefined when the hub's bus is its own (nothing to integrate with). */
export async function startBusIntegration(port: HubPort, opts: BusIntegrationOptions = {}): Promise<BusIntegration | undefined> {
  const bus = port.bus;
  if (!bus || (!bus.capabilities.shared && !bus.capabilities.durableQueues)) return undefined;
  const bridge = bus.capabilities.shared ? new BusBridge(port, bus, { ...opts, channelPrefix: opts.channelPrefix ?? opts.queuePrefix }) : undefined;
  const seed = bus.capabilities.durableQueues ? new SeedTopology(port, bus, bridge, opts) : undefined;
  // The seed's strategy first: a broker's answer for another hub's queue agent goes straight to its queue (the
  // two intercepts never compete: the seed's skips the UI user the bridge's takes).
  const removers = [seed, bridge].flatMap((p) => (p ? [port.addRouteStrategy(p.strategy)] : []));
  try {
    await bridge?.start();
    await seed?.start();
  } catch (err) {
    for (const r of removers) r();
    await bridge?.stop();
    throw err;
  }
  return {
    bridge,
    seed,
    async stop(): Promise<void> {
      for (const r of removers) r();
      await seed?.stop();
      await bridge?.stop();
    },
  };
}

/** The bus a hub opens for itself when none is handed in: a private memory bus, or a broker from its options. */
export function openHubBus(opts: HubOptions, hubId: string, logger: Logger): Bus {
  if (opts.bus === 'memory') return new MemoryBus({ shared: false });
  return createBus(
    {
      kind: opts.bus,
      ...(opts.rabbitmqUrl ? { rabbitmqUrl: opts.rabbitmqUrl } : {}),
      ...(opts.kafkaBrokers.length ? { kafkaBrokers: opts.kafkaBrokers } : {}),
      ...(opts.busPrefix ? { prefix: opts.busPrefix } : {}),
      clientName: `switchboard-hub-${hubId}`,
    },
    logger,
  );
}
