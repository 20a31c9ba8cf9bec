// KafkaBus against the real single-node Kafka (tools/kafka/kafka.sh start; SWITCHBOARD_KAFKA_BROKERS=127.0.0.1:19092):
// fan-out, competing groups, per-sender order, de-duplication, committed offsets, queue and presence topics.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel, ConfigResourceTypes } from 'kafkajs';
import { uniquePrefix, waitFor } from './helpers';
import { kafkaSetup, numbered, orderViolation, prefixedBus } from './kafkaTestKit';
import type { BusStatus } from '../../src/bus/bus';
import { queueChannel } from '../../src/bus/bus';
import type { Envelope } from '../../src/protocol/schemas';
import { createLogger } from '../../src/protocol/logger';

test('kafka bus: every subscriber without a group receives every message', async (t) => {
  const s = await kafkaSetup(t, 'kfanout');
  if (!s) return;
  const pub = s.bus();
  const subA = s.bus();
  const subB = s.bus();
  const a: Envelope[] = [];
  const b: Envelope[] = [];
  await subA.subscribe('chat.default', (m) => void a.push(m));
  await subB.subscribe('chat.default', (m) => void b.push(m));
  // Published the moment subscribe() resolved: nothing may be lost to the consumers' start-up.
  await Promise.all(Array.from({ length: 200 }, (_, i) => pub.publish('chat.default', numbered(`s${i % 4}`, i))));
  await waitFor(() => a.length >= 200 && b.length >= 200, 'both subscribers to receive 200 messages', 30_000);
  assert.equal(a.length, 200);
  assert.equal(b.length, 200);
  assert.equal(new Set(a.map((m) => m.message_id)).size, 200);
  assert.equal(pub.status().published, 200);
  assert.equal(subA.status().received, 200);
});

test('kafka bus: a subscription that is not running when subscribe() returns still gets everything published after it', async (t) => {
  const s = await kafkaSetup(t, 'klate');
  if (!s) return;
  const pub = s.bus();
  await pub.publish('chat.default', numbered('before', 0)); // the topic exists and pub is connected
  // subscribeWaitMs 0: subscribe() returns before the consumer is placed (as when the broker is away at first); the
  // publishes below land while the new bus is still connecting, before it looks up where to start.
  const sub = s.bus({ subscribeWaitMs: 0 });
  const got: Envelope[] = [];
  await sub.subscribe('chat.default', (m) => void got.push(m));
  await Promise.all(Array.from({ length: 40 }, (_, i) => pub.publish('chat.default', numbered(`s${i % 4}`, i))));
  await waitFor(() => got.length >= 40, 'the 40 published after subscribe() returned', 30_000).catch((err: Error) => {
    throw new Error(`${err.message}: got ${got.length}`);
  });
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(got.map((m) => m.message_id).sort(), Array.from({ length: 40 }, (_, i) => `s${i % 4}-${i}`).sort());
  assert.equal(orderViolation(got), undefined);
});

test('kafka bus: subscribers sharing a group compete, each message going to exactly one of them', async (t) => {
  const s = await kafkaSetup(t, 'kgroup');
  if (!s) return;
  const pub = s.bus();
  const one = s.bus();
  const two = s.bus();
  const got1: Envelope[] = [];
  const got2: Envelope[] = [];
  await one.subscribe('chat.default', (m) => void got1.push(m), { group: 'router' });
  await two.subscribe('chat.default', (m) => void got2.push(m), { group: 'router' });
  // 12 senders spread over the topic's 3 partitions, so both members own some of the traffic.
  await Promise.all(Array.from({ length: 240 }, (_, i) => pub.publish('chat.default', numbered(`sender${i % 12}`, i))));
  await waitFor(() => got1.length + got2.length >= 240, '240 messages across the group', 30_000);
  await new Promise((r) => setTimeout(r, 500)); // a duplicate would show up now
  const ids = [...got1, ...got2].map((m) => m.message_id);
  assert.equal(ids.length, 240, 'each message delivered once within the group');
  assert.equal(new Set(ids).size, 240);
  assert.ok(got1.length > 0 && got2.length > 0, `both members got work (${got1.length} / ${got2.length})`);
  const senders1 = new Set(got1.map((m) => m.sender_id));
  for (const m of got2) assert.ok(!senders1.has(m.sender_id), 'one sender is served by one member (keyed partitions)');
});

test('kafka bus: messages of each sender arrive in the order they were published', async (t) => {
  const s = await kafkaSetup(t, 'korder');
  if (!s) return;
  const pub = s.bus({ maxBatch: 50 }); // many produce requests, so order must hold across them
  const sub = s.bus();
  const got: Envelope[] = [];
  await sub.subscribe('events.default', (m) => void got.push(m));
  const sends: Promise<void>[] = [];
  for (let i = 0; i < 900; i++) sends.push(pub.publish('events.default', numbered(`agent_${i % 5}`, i)));
  await Promise.all(sends);
  await waitFor(() => got.length >= 900, '900 messages', 30_000);
  assert.equal(orderViolation(got), undefined);
});

test('kafka bus: a message id seen before is dropped at the receiver; distinct messages without an id are not', async (t) => {
  const s = await kafkaSetup(t, 'kdedup');
  if (!s) return;
  const pub = s.bus();
  const sub = s.bus();
  const got: Envelope[] = [];
  await sub.subscribe('chat.default', (m) => void got.push(m));
  const dup = numbered('agent_a', 1);
  await pub.publish('chat.default', dup);
  await pub.publish('chat.default', { ...dup, text_payload: 'resent copy' });
  await pub.publish('chat.default', { message_type: 'STATUS', sender_id: 'agent_a', text_payload: 'no id 1' });
  await pub.publish('chat.default', { message_type: 'STATUS', sender_id: 'agent_a', text_payload: 'no id 1' });
  await pub.publish('chat.default', numbered('agent_a', 2));
  await waitFor(() => got.some((m) => m.message_id === 'agent_a-2'), 'the last message', 20_000);
  assert.deepEqual(
    got.map((m) => m.text_payload),
    ['1', 'no id 1', 'no id 1', '2'],
  );
  assert.equal(sub.duplicatesDropped, 1);
});

test('kafka bus: a named group resumes from its committed offset (nothing replayed, nothing skipped)', async (t) => {
  const s = await kafkaSetup(t, 'kresume');
  if (!s) return;
  const pub = s.bus();
  const first: Envelope[] = [];
  const sub1 = s.bus();
  const un = await sub1.subscribe('chat.default', (m) => void first.push(m), { group: 'worker' });
  for (let i = 0; i < 10; i++) await pub.publish('chat.default', numbered('agent_r', i));
  await waitFor(() => first.length >= 10, 'the first 10', 20_000);
  await un(); // leaves the group; offsets stay committed
  for (let i = 10; i < 20; i++) await pub.publish('chat.default', numbered('agent_r', i));
  const second: Envelope[] = [];
  const sub2 = s.bus();
  await sub2.subscribe('chat.default', (m) => void second.push(m), { group: 'worker' });
  await waitFor(() => second.length >= 10, 'the 10 published while nobody consumed', 20_000);
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(
    second.map((m) => m.text_payload),
    ['10', '11', '12', '13', '14', '15', '16', '17', '18', '19'],
  );
});

test('kafka bus: a queue channel keeps messages until its first consumer comes, and its consumers compete', async (t) => {
  const s = await kafkaSetup(t, 'kqueue');
  if (!s) return;
  const pub = s.bus();
  const ch = queueChannel('agent_queue_agent_1234abcd');
  for (let i = 0; i < 5; i++) await pub.publish(ch, numbered('web_1', i));
  const a: Envelope[] = [];
  const b: Envelope[] = [];
  const c1 = s.bus();
  const c2 = s.bus();
  await c1.subscribe(ch, (m) => void a.push(m));
  await c2.subscribe(ch, (m) => void b.push(m));
  await waitFor(() => a.length + b.length >= 5, 'the 5 waiting messages', 20_000);
  for (let i = 5; i < 10; i++) await pub.publish(ch, numbered('web_1', i));
  await waitFor(() => a.length + b.length >= 10, 'all 10', 20_000);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(a.length + b.length, 10, 'each queued message consumed once');
  assert.equal(orderViolation([...a, ...b].sort((x, y) => Number(x.text_payload) - Number(y.text_payload))), undefined);
  assert.equal(pub.topicFor(ch), `${s.prefix}queue.agent_queue_agent_1234abcd`);
});

test('kafka bus: presence goes to a compacted topic and a late subscriber sees the presence published before it', async (t) => {
  const s = await kafkaSetup(t, 'kpres');
  if (!s) return;
  const pub = s.bus();
  await pub.publish('presence', { message_type: 'AGENT_STATUS_UPDATE', sender_id: 'hub_a', agent_id: 'agent_1', is_online: true });
  await pub.publish('presence', { message_type: 'AGENT_STATUS_UPDATE', sender_id: 'hub_a', agent_id: 'agent_2', is_online: true });
  const late = s.bus();
  const got: Envelope[] = [];
  await late.subscribe('presence', (m) => void got.push(m));
  await waitFor(() => got.length >= 2, 'the earlier presence', 20_000);
  assert.deepEqual(got.map((m) => m.agent_id).sort(), ['agent_1', 'agent_2']);

  const kafka = new Kafka({ clientId: 'switchboard-test', brokers: s.brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topic = pub.topicFor('presence');
    const cfg = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }] });
    const policy = cfg.resources[0]?.configEntries.find((e) => e.configName === 'cleanup.policy')?.configValue;
    assert.equal(policy, 'compact');
    const chat = pub.topicFor('chat.default');
    await pub.publish('chat.default', numbered('x', 1));
    const meta = await admin.fetchTopicMetadata({ topics: [topic, chat] });
    const parts = new Map(meta.topics.map((m) => [m.name, m.partitions.length]));
    assert.equal(parts.get(topic), 1, 'presence: one partition');
    assert.equal(parts.get(chat), 3, 'chat: three partitions');
  } finally {
    await admin.disconnect();
  }
});

test('kafka bus: a throwing handler and a non-JSON record do not stop the subscription', async (t) => {
  const s = await kafkaSetup(t, 'kthrow');
  if (!s) return;
  const pub = s.bus();
  const sub = s.bus();
  const got: string[] = [];
  await sub.subscribe('chat.default', (m) => {
    got.push(String(m.text_payload));
    if (m.text_payload === 'boom') throw new Error('handler failure');
  });
  const kafka = new Kafka({ clientId: 'switchboard-test', brokers: s.brokers, logLevel: logLevel.NOTHING });
  const raw = kafka.producer();
  await raw.connect();
  await pub.publish('chat.default', numbered('a', 0, { text_payload: 'boom' }));
  await raw.send({ topic: pub.topicFor('chat.default'), messages: [{ key: 'a', value: 'this is not json' }, { key: 'a', value: '[1,2]' }] });
  await raw.disconnect();
  await pub.publish('chat.default', numbered('a', 1, { text_payload: 'after' }));
  await waitFor(() => got.includes('after'), 'the message after the bad ones', 20_000);
  assert.deepEqual(got, ['boom', 'after']);
});

test('kafka bus: status goes connecting → up, names the brokers without credentials, and close() ends it down', async (t) => {
  const s = await kafkaSetup(t, 'kstatus');
  if (!s) return;
  const bus = s.bus();
  assert.equal(bus.state, 'connecting');
  const seen: BusStatus[] = [];
  bus.onStatus((st) => seen.push(st));
  assert.equal(bus.kind, 'kafka');
  await bus.ready(20_000);
  assert.equal(bus.state, 'up');
  assert.equal(seen[0]?.state, 'up');
  assert.equal(bus.status().url, `kafka://${s.brokers.join(',')}`);
  assert.equal(bus.status().reconnectAttempt, 0);
  await bus.close();
  assert.equal(bus.state, 'down');
  assert.equal(seen.at(-1)?.state, 'down');
  await assert.rejects(bus.publish('chat.default', numbered('a', 1)), /closed/);
});

test('kafka bus: an unreachable broker reports down with the error and a growing attempt count, and publish() holds', async (t) => {
  // Needs no broker at all: a port nothing listens on.
  const { createServer } = await import('node:net');
  const port = await new Promise<number>((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
  const lines: string[] = [];
  const logger = createLogger((level, line) => void lines.push(`${level} ${line}`), 'debug');
  const bus = prefixedBus([`127.0.0.1:${port}`], uniquePrefix('kdown'), { reconnect: { initialMs: 50, maxMs: 200 }, logger });
  t.after(() => bus.close());
  let held: Promise<void> | undefined;
  try {
    await waitFor(() => bus.state === 'down' && bus.status().reconnectAttempt >= 2, 'down with attempts', 30_000);
    assert.match(bus.status().lastError ?? '', /ECONNREFUSED|Connection|connect/i);
    held = bus.publish('chat.default', numbered('a', 1));
    held.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(bus.unconfirmed, 1, 'the message waits for the broker');
    await assert.rejects(bus.publish('chat.default', { message_type: 'TEXT', big: 1n }), /cannot be written as JSON/);
    // kafkajs's own lines come through our logger, under the bus's component.
    assert.ok(lines.some((l) => /\[kafka\] (Connection|BrokerPool|Admin|Producer)/.test(l) && /ECONNREFUSED/.test(l)), 'kafkajs logs reach the Logger');
    assert.ok(lines.some((l) => l.startsWith('warn ') && /cannot reach|failed/.test(l)), 'the bus itself says what is wrong');
    const t0 = Date.now();
    const un = await bus.subscribe('chat.default', () => undefined);
    assert.ok(Date.now() - t0 < 5_000, 'subscribe() does not wait for a broker known to be away');
    await un();
  } finally {
    await bus.close();
  }
  await assert.rejects(held!, /closed before/);
});

test('kafka bus: a message the broker refuses (too large) is rejected alone; the messages around it are delivered in order', { timeout: 60_000 }, async (t) => {
  const s = await kafkaSetup(t, 'krefuse');
  if (!s) return;
  const pub = s.bus();
  const sub = s.bus();
  const got: Envelope[] = [];
  await sub.subscribe('chat.default', (m) => void got.push(m));
  const before = pub.publish('chat.default', numbered('agent_z', 0));
  // Above the broker's message.max.bytes (1 MiB by default).
  const huge = pub.publish('chat.default', numbered('agent_z', 1, { text_payload: 'x'.repeat(1_500_000) }));
  const after = pub.publish('chat.default', numbered('agent_z', 2));
  await assert.rejects(huge, (err: Error & { code?: string }) => err.code === 'frame_too_large' && /refused/.test(err.message));
  await before;
  await after;
  await waitFor(() => got.length >= 2, 'the two deliverable messages', 20_000);
  assert.deepEqual(
    got.map((m) => m.message_id),
    ['agent_z-0', 'agent_z-2'],
  );
  // A presence record with neither agent nor sender still gets a key (compacted topics refuse keyless records).
  await pub.publish('presence', { message_type: 'HUB_PRESENCE', agents: [] });
});
