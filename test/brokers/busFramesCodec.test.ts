// Anyone who can publish on the broker can put bytes in front of the hub. Raw bytes published straight onto the
// channels a hub consumes (on the real RabbitMQ and the real Kafka) — malformed JSON, an oversized frame, an unknown
// type, an invalid message, a forward whose inner message is invalid, and forwards that claim this hub's own agent
// or a third hub's agent as their sender — are each logged and dropped, the codec's refusals counted by error code
// as a socket's would be, and the hub's clients carry on: a chat round trip works after. On RabbitMQ an invalid
// message on broker_output_queue (the seed topology's input from a routing broker) is refused the same way.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect } from 'amqplib';
import { Kafka, logLevel } from 'kafkajs';
import type { Hub, HubDeps } from '../../src/hub/hub';
import type { HubOptions } from '../../src/hub/options';
import type { Logger } from '../../src/protocol/logger';
import { createLogger } from '../../src/protocol/logger';
import { AgentClient } from '../../src/sdk/agentClient';
import { kafkaNamesFromEnv, planTopic } from '../../src/bus/kafkaConfig';
import { cleanupRabbit, requireBroker, uniquePrefix, waitFor, type BrokerInfo } from './helpers';
import { cleanupKafka, startKafkaHub } from './kafkaTestKit';
import { RawClient, startRabbitHub } from './rabbitHarness';

const MAX_PAYLOAD = 16_384;

/** Publishes raw bytes on a bus channel, bypassing every Bus implementation. */
type PublishRaw = (channel: string, body: Buffer) => Promise<void>;

function capturingLogger(lines: string[]): Logger {
  return createLogger((level, line) => {
    if (level === 'warn' || level === 'error') lines.push(line);
  }, 'warn');
}

async function badFramesScenario(t: TestContext, hub: Hub, prefix: string, warnings: string[], publishRaw: PublishRaw, queues: string[]): Promise<void> {
  const direct = `${prefix}hubs.direct.${hub.id}`;
  const agent = new AgentClient({ url: hub.agentUrl, name: 'steady', reconnect: false });
  agent.onMessage((m, ctx) => ctx.reply(`steady: ${String(m.text_payload)}`));
  await agent.connect();
  const fe = await RawClient.open(hub.agentUrl);
  try {
    const feId = await fe.register('frontend');
    const agentId = agent.id!;
    const forward = (message: Record<string, unknown>, origin = 'hub_elsewhere'): Buffer =>
      Buffer.from(JSON.stringify({ message_type: 'HUB_FORWARD', origin_hub: origin, message }));

    // A well-formed forward from another hub's front-end gets through: the channel is live (retried until the
    // consumer is in place; each try has its own id).
    await waitFor(
      async () => {
        await publishRaw(direct, forward({ message_type: 'TEXT', message_id: `probe-${randomBytes(4).toString('hex')}`, sender_id: 'web_elsewhere', receiver_id: feId, text_payload: 'probe' }));
        return fe.next((m) => m.text_payload === 'probe', 'the probe forward', 2_000).catch(() => undefined);
      },
      'a valid forward to reach the front-end',
      60_000,
    );

    const rejected = (code: string): number => hub.stats().framesRejected[code] ?? 0;
    const expectRefused = async (what: string, code: string, body: Buffer, channel = direct): Promise<void> => {
      const before = rejected(code);
      const busBefore = hub.stats().busFramesRejected;
      await publishRaw(channel, body);
      await waitFor(() => rejected(code) > before, `${what} to be refused with ${code}`, 15_000);
      assert.ok(hub.stats().busFramesRejected > busBefore, `${what}: counted as a frame from the bus`);
      const entry = hub.log.query({}).reverse().find((e) => e.client_id === `bus:${channel}` && e.body.error === code);
      assert.ok(entry, `${what}: an inbound log entry names the bus channel and ${code}`);
      t.diagnostic(`${what}: ${String(entry.body.detail)}`);
    };

    // Malformed JSON never becomes a message: the bus drops it and says so through the hub's logger, and the hub
    // counts it as it counts a socket's invalid JSON.
    await expectRefused('malformed JSON', 'invalid_json', Buffer.from('{"message_type": "HUB_FORWARD", "origin_hub": '));
    await waitFor(() => warnings.some((w) => /not a JSON object/.test(w)), 'the malformed frame to be logged as dropped', 15_000);
    await expectRefused('JSON that is not a message', 'invalid_message', Buffer.from('[1, 2, 3]'));

    await expectRefused(
      'an oversized frame',
      'frame_too_large',
      forward({ message_type: 'TEXT', sender_id: 'web_elsewhere', receiver_id: feId, text_payload: 'x'.repeat(MAX_PAYLOAD + 1) }),
    );
    await expectRefused('an unknown message type', 'unknown_message_type', Buffer.from(JSON.stringify({ message_type: 'NOT_A_SWITCHBOARD_TYPE', x: 1 })));
    await expectRefused('a forward without its origin hub', 'invalid_message', Buffer.from(JSON.stringify({ message_type: 'HUB_FORWARD', message: { message_type: 'TEXT' } })));
    await expectRefused('a forward whose inner message is invalid', 'invalid_message', forward({ message_type: 'TEXT', sender_id: 'web_elsewhere', receiver_id: feId }));
    await expectRefused(
      "a forward claiming this hub's own agent as sender",
      'forbidden',
      forward({ message_type: 'TEXT', sender_id: agentId, receiver_id: feId, text_payload: 'spoofed' }),
    );

    // A third hub announces its agent; a forward from yet another hub that claims that agent as sender is spoofed.
    const third = { message_type: 'HUB_PRESENCE', hub_id: 'hub_third', sender_id: 'hub_third', sent_at: Date.now(), is_full_update: true, brokers: 0 };
    await publishRaw(`${prefix}hubs.presence`, Buffer.from(JSON.stringify({ ...third, agents: [{ agent_id: 'agent_third', agent_name: 'third', status: 'online', is_online: true }] })));
    await waitFor(() => hub.agent('agent_third')?.is_online, "the third hub's agent to show online", 15_000);
    await expectRefused(
      "a forward claiming a third hub's agent as sender",
      'forbidden',
      forward({ message_type: 'TEXT', sender_id: 'agent_third', receiver_id: feId, text_payload: 'spoofed' }),
    );

    // The seed topology's queues (RabbitMQ): a routing broker's answer goes through the codec too.
    for (const queue of queues) {
      await expectRefused(`an invalid message on ${queue}`, 'invalid_message', Buffer.from(JSON.stringify({ message_type: 'TEXT', sender_id: agentId, receiver_id: feId })), queue);
    }

    // Nothing refused reached a client, and both clients carry on: a chat round trip works.
    fe.send({ message_type: 'TEXT', message_id: 'after-1', sender_id: feId, receiver_id: agentId, text_payload: 'still there?' });
    const reply = await fe.next((m) => m.message_type === 'REPLY' && m.in_reply_to_message_id === 'after-1', 'the reply after the bad frames');
    assert.equal(reply.text_payload, 'steady: still there?');
    assert.equal(fe.frames.filter((m) => m.text_payload === 'spoofed' || (typeof m.text_payload === 'string' && m.text_payload.startsWith('xxxx'))).length, 0);
    assert.equal(hub.agent(agentId)?.is_online, true);
  } finally {
    await fe.close();
    await agent.close();
  }
}

interface BrokerCase {
  kind: 'rabbitmq' | 'kafka';
  title: string;
  start(b: BrokerInfo, prefix: string, options: Partial<HubOptions>, deps: HubDeps): Promise<Hub>;
  /** Publishes raw bytes onto a channel the way the broker's own clients would, bypassing every Bus. */
  openPublisher(b: BrokerInfo, prefix: string): Promise<{ publishRaw: PublishRaw; close(): Promise<void> }>;
  cleanup(b: BrokerInfo, prefix: string): Promise<void>;
  /** `queue:` channels the hub consumes on this broker. */
  queues(prefix: string): string[];
}

const CASES: BrokerCase[] = [
  {
    kind: 'rabbitmq',
    title: 'RabbitMQ: malformed, oversized, unknown, invalid and spoofed frames on the hub channel are logged and dropped, clients carry on',
    start: (b, prefix, options, deps) => startRabbitHub(b.url, prefix, options, deps),
    async openPublisher(b, prefix) {
      const conn = await connect(b.url);
      const ch = await conn.createConfirmChannel();
      // The hub's pub/sub channels are routing keys on its topic exchange (see RabbitMQBus).
      // A `queue:` channel is the queue of that name, behind the default exchange (as seed 001 clients publish).
      const publishRaw: PublishRaw = async (channel, body) => {
        const queue = channel.startsWith('queue:') ? channel.slice('queue:'.length) : undefined;
        ch.publish(queue === undefined ? `${prefix}switchboard.bus` : '', queue ?? channel, body, { messageId: `raw_${randomBytes(8).toString('hex')}` });
        await ch.waitForConfirms();
      };
      return { publishRaw, close: () => conn.close() };
    },
    cleanup: (b, prefix) => cleanupRabbit(b.url, { prefix }),
    queues: (prefix) => [`queue:${prefix}broker_output_queue`],
  },
  {
    kind: 'kafka',
    title: 'Kafka: malformed, oversized, unknown, invalid and spoofed frames on the hub topic are logged and dropped, clients carry on',
    start: (b, prefix, options, deps) => startKafkaHub(b.brokers, prefix, options, deps),
    async openPublisher(b, prefix) {
      const producer = new Kafka({ clientId: 'switchboard-test-raw', brokers: b.brokers, logLevel: logLevel.NOTHING }).producer();
      await producer.connect();
      const names = kafkaNamesFromEnv();
      // The hub's topic for a channel, as KafkaBus names it; a key, because presence topics are compacted.
      const publishRaw: PublishRaw = async (channel, body) => {
        await producer.send({ topic: planTopic(channel, prefix, names).topic, messages: [{ key: 'hub_raw_test', value: body }] });
      };
      return { publishRaw, close: () => producer.disconnect() };
    },
    cleanup: (b, prefix) => cleanupKafka(b.brokers, prefix),
    queues: () => [],
  },
];

for (const c of CASES) {
  test(c.title, async (t) => {
    const b = await requireBroker(c.kind, t);
    if (!b) return;
    const prefix = uniquePrefix(`busframes${c.kind}`);
    const warnings: string[] = [];
    let hub: Hub | undefined;
    let publisher: Awaited<ReturnType<BrokerCase['openPublisher']>> | undefined;
    try {
      hub = await c.start(b, prefix, { maxPayloadBytes: MAX_PAYLOAD }, { logger: capturingLogger(warnings) });
      publisher = await c.openPublisher(b, prefix);
      await badFramesScenario(t, hub, prefix, warnings, publisher.publishRaw, c.queues(prefix));
    } finally {
      await publisher?.close().catch(() => undefined);
      await hub?.stop();
      hub?.dispose();
      await c.cleanup(b, prefix);
    }
  });
}
