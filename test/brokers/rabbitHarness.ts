// Shared by the RabbitMQ hub tests: a hub on the real broker under a unique prefix, raw WebSocket clients that record
// frames, and a raw AMQP connection to look at queues the way a seed client would.

import WebSocket from 'ws';
import type { TestContext } from 'node:test';
import { connect, type Channel, type ChannelModel, type GetMessage } from 'amqplib';
import { Hub, type HubDeps } from '../../src/hub/hub';
import type { HubOptions } from '../../src/hub/options';
import type { Envelope } from '../../src/protocol/schemas';
import { AgentClient, type AgentClientOptions } from '../../src/sdk/agentClient';
import { RoutingBroker, type RoutingBrokerOptions } from '../../src/cli/broker';
import { seedQueueNames } from '../../src/hub/seedTopology';
import { withTimeout } from '../../src/bus/busSupport';
import { cleanupRabbit, requireBroker, uniquePrefix, waitFor } from './helpers';

type RawAmqp = Awaited<ReturnType<typeof rawAmqp>>;

/**
 * One test's share of the real RabbitMQ: a unique prefix and its seed queue names, and hubs, routing brokers, SDK
 * agents, raw clients and a raw AMQP connection made through it. When the test ends (pass or fail) they are closed
 * in that order (clients first, hubs last, the newest hub first) and everything under the prefix is deleted.
 */
export interface RabbitWorld {
  url: string;
  prefix: string;
  queues: ReturnType<typeof seedQueueNames>;
  hub(options?: Partial<HubOptions>): Promise<Hub>;
  /** A routing broker (`switchboard broker`), started; by default also registered with a hub. */
  broker(options?: Partial<RoutingBrokerOptions>, opts?: { register?: boolean }): Promise<RoutingBroker>;
  /** An SDK agent, connected; `reply` makes it answer every message with reply(text). */
  agent(options: AgentClientOptions, reply?: (text: string) => string): Promise<AgentClient>;
  client(url: string): Promise<RawClient>;
  amqp(): Promise<RawAmqp>;
}

/**
 * Each fixture and cleanup step fails by name after this long instead of holding its file until the runner's
 * 15-minute timeout (rabbitSeed's fourth test once hung like that in CI without a word on where).
 */
const STEP_MS = 60_000;

export async function rabbitWorld(t: TestContext, label: string): Promise<RabbitWorld | undefined> {
  const b = await requireBroker('rabbitmq', t);
  if (!b) return undefined;
  const prefix = uniquePrefix(label);
  const clients: RawClient[] = [];
  const agents: AgentClient[] = [];
  const brokers: RoutingBroker[] = [];
  const hubs: Hub[] = [];
  let amqp: RawAmqp | undefined;
  t.after(async () => {
    // every step bounded and attempted; the first that hung or failed is reported once all ran
    const problems: string[] = [];
    const step = async (what: string, p: Promise<unknown>): Promise<void> => {
      await withTimeout(p, STEP_MS, what).catch((err: Error) => void problems.push(err.message));
    };
    for (const c of clients) await step('closing a raw WebSocket client', c.close());
    for (const a of agents) await step(`closing agent ${a.id ?? '?'}`, a.close());
    for (const br of brokers) await step('stopping a routing broker', br.stop());
    for (const h of hubs.reverse()) await step(`stopping hub ${h.id}`, h.stop());
    if (amqp) await step('closing the raw AMQP connection', amqp.conn.close());
    await step('deleting the test queues', cleanupRabbit(b.url, { prefix }));
    if (problems.length) throw new Error(`cleanup of ${label}: ${problems.join('; ')}`);
  });
  return {
    url: b.url,
    prefix,
    queues: seedQueueNames(prefix),
    async hub(options = {}) {
      const h = await withTimeout(startRabbitHub(b.url, prefix, options), STEP_MS, 'starting a hub');
      hubs.push(h);
      return h;
    },
    async broker(options = {}, opts = {}) {
      const br = new RoutingBroker({ rabbitmqUrl: b.url, queuePrefix: prefix, ...options });
      brokers.push(br);
      await withTimeout(br.start(), STEP_MS, 'starting a routing broker');
      if (opts.register !== false) await br.registered();
      return br;
    },
    async agent(options, reply) {
      const a = new AgentClient(options);
      agents.push(a);
      if (reply) a.onMessage((m, ctx) => ctx.reply(reply(String(m.text_payload))));
      await withTimeout(a.connect(), STEP_MS, `connecting agent ${options.name ?? ''}`);
      return a;
    },
    async client(url) {
      const c = await withTimeout(RawClient.open(url), STEP_MS, 'opening a raw WebSocket client');
      clients.push(c);
      return c;
    },
    async amqp() {
      amqp ??= await withTimeout(rawAmqp(b.url), STEP_MS, 'opening a raw AMQP connection');
      return amqp;
    },
  };
}

export async function startRabbitHub(url: string, prefix: string, options: Partial<HubOptions> = {}, deps: HubDeps = {}): Promise<Hub> {
  const hub = new Hub({
    port: 0,
    bus: 'rabbitmq',
    rabbitmqUrl: url,
    busPrefix: prefix,
    presenceIntervalMs: 300,
    advertiseIntervalMs: 60_000,
    pingIntervalMs: 60_000,
    heartbeatIntervalMs: 60_000,
    inactivityTimeoutMs: 60_000,
    statusCoalesceMs: 20,
    ...options,
  }, deps);
  await hub.start();
  await waitFor(() => hub.busStatus().state === 'up', 'the hub bus to be up');
  return hub;
}

/** A WebSocket client that records every frame (seed-style: raw JSON, no SDK). */
export class RawClient {
  readonly frames: Envelope[] = [];
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => this.frames.push(JSON.parse(d.toString()) as Envelope));
    ws.on('error', () => undefined);
  }

  static async open(url: string): Promise<RawClient> {
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new RawClient(ws);
  }

  send(m: Record<string, unknown>): void {
    this.ws.send(JSON.stringify(m));
  }

  of(type: string): Envelope[] {
    return this.frames.filter((f) => f.message_type === type);
  }

  async next(pred: (m: Envelope) => boolean, what: string, timeoutMs = 10_000): Promise<Envelope> {
    return waitFor(() => this.frames.find(pred), what, timeoutMs);
  }

  /** REGISTER_* and wait for its response; returns the id. */
  async register(kind: 'agent' | 'frontend' | 'broker', extra: Record<string, unknown> = {}): Promise<string> {
    const type = { agent: 'REGISTER_AGENT', frontend: 'REGISTER_FRONTEND', broker: 'REGISTER_BROKER' }[kind];
    const name = { agent: 'agent_name', frontend: 'frontend_name', broker: 'broker_name' }[kind];
    const idField = { agent: 'agent_id', frontend: 'frontend_id', broker: 'broker_id' }[kind];
    this.send({ message_type: type, [name]: `raw-${kind}`, ...extra });
    const r = await this.next((m) => m.message_type === `${type}_RESPONSE`, `${type}_RESPONSE`);
    if (r.status !== 'success') throw new Error(`registration refused: ${JSON.stringify(r)}`);
    return String(r[idField]);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.ws.readyState === WebSocket.CLOSED) return resolve();
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}

/** A raw AMQP connection, as a seed agent or tool would have. */
export async function rawAmqp(url: string): Promise<{ conn: ChannelModel; depth(queue: string): Promise<number>; getJson(queue: string): Promise<Envelope | undefined> }> {
  const conn = await connect(url, { timeout: 10_000 });
  // A get on a queue that does not exist yet (the hub declares agent queues asynchronously) closes the channel with a
  // 404: treat that as "nothing there yet" and open a fresh channel for the next call.
  let ch: Channel | undefined;
  const channel = async (): Promise<Channel> => {
    if (ch) return ch;
    const c = await conn.createChannel();
    c.on('error', () => undefined);
    c.on('close', () => {
      if (ch === c) ch = undefined;
    });
    ch = c;
    return c;
  };
  return {
    conn,
    async depth(queue: string): Promise<number> {
      const c = await conn.createChannel();
      c.on('error', () => undefined);
      try {
        return (await c.checkQueue(queue)).messageCount;
      } catch {
        return -1; // no such queue
      } finally {
        await c.close().catch(() => undefined);
      }
    },
    async getJson(queue: string): Promise<Envelope | undefined> {
      const c = await channel();
      let m: GetMessage | false;
      try {
        m = await c.get(queue, { noAck: false });
      } catch (err) {
        if (ch === c) ch = undefined;
        if (/NOT_FOUND|404/.test(String(err))) return undefined;
        throw err;
      }
      if (!m) return undefined;
      c.ack(m);
      return JSON.parse(m.content.toString()) as Envelope;
    },
  };
}
