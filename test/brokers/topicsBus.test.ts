// Topic messages between two hubs on one real broker (RabbitMQ, then Kafka): one bus channel per namespace, subscribed
// while a hub has a local subscriber in it (first in subscribes, last out — UNSUBSCRIBE or disconnect — drops it,
// checked on the broker itself), delivered to subscribers on both hubs once, and never into another namespace.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { connect as amqpConnect } from 'amqplib';
import { Kafka, logLevel } from 'kafkajs';
import type { Hub } from '../../src/hub/hub';
import { agent } from '../integration/hubHarness';
import { ask, publish, subscribe, topicMessages } from '../integration/topicHarness';
import { cleanupRabbit, requireBroker, uniquePrefix, waitFor } from './helpers';
import { startRabbitHub } from './rabbitHarness';
import { cleanupKafka, startKafkaHub } from './kafkaTestKit';
import type { StartHub } from './hubScenarios';

/** How many subscriptions the broker holds for a namespace's channel: at least one (true) or none (false). */
type BrokerProbe = (namespace: string) => Promise<boolean>;

async function twoHubScenario(t: TestContext, start: StartHub, brokerHas: BrokerProbe): Promise<void> {
  const hubs: Hub[] = [];
  const closers: (() => Promise<void>)[] = [];
  try {
    const hubA = await start({ hubId: 'hub_topa0001', topicMachineId: 1 });
    hubs.push(hubA);
    const hubB = await start({ hubId: 'hub_topb0002', topicMachineId: 2 });
    hubs.push(hubB);
    const a1 = await agent(hubA, 'a1', { namespace: 'crew' });
    const b1 = await agent(hubB, 'b1', { namespace: 'crew' });
    const b2 = await agent(hubB, 'b2', { namespace: 'crew' });
    const stranger = await agent(hubB, 'stranger', { namespace: 'other' });
    for (const c of [a1, b1, b2, stranger]) closers.push(() => c.c.close());
    assert.equal(await brokerHas('crew'), false, 'nobody subscribes yet: no subscription on the broker');

    // ref counting on one hub: the first subscriber makes the bus subscription, the last one leaving drops it
    await subscribe(b1.c, 'plan');
    await subscribe(b2.c, 'plan');
    await hubB.topics.settled();
    assert.deepEqual(hubB.topics.busNamespaces(), ['crew']);
    await waitFor(() => brokerHas('crew'), 'the broker to hold B\'s subscription of crew');
    b2.c.send({ message_type: 'UNSUBSCRIBE', topic: 'plan' });
    await ask(b2.c, { message_type: 'HISTORY', topic: 'plan', limit: 1 });
    await hubB.topics.settled();
    assert.deepEqual(hubB.topics.busNamespaces(), ['crew'], 'one local subscriber left: still subscribed');
    b1.c.send({ message_type: 'UNSUBSCRIBE', topic: 'plan' });
    await ask(b1.c, { message_type: 'HISTORY', topic: 'plan', limit: 1 });
    await hubB.topics.settled();
    assert.deepEqual(hubB.topics.busNamespaces(), [], 'the last one left: dropped');
    await waitFor(async () => !(await brokerHas('crew')), 'the broker to drop the subscription');

    // across hubs: subscribers on both get each message once, whichever hub it was published on
    await subscribe(a1.c, 'plan');
    await subscribe(b1.c, 'plan');
    await subscribe(stranger.c, 'plan');
    await hubA.topics.settled();
    await hubB.topics.settled();
    assert.deepEqual(hubB.topics.busNamespaces().sort(), ['crew', 'other']);
    const fromA = await publish(a1.c, 'plan', { from: 'A' });
    const fromB = await publish(b2.c, 'plan', { from: 'B' });
    for (const c of [a1.c, b1.c]) {
      await c.waitFor((f) => f.message_id === fromA.id, 20_000, 'the message published on A');
      await c.waitFor((f) => f.message_id === fromB.id, 20_000, 'the message published on B');
    }
    // a marker after both, on each hub's channel, so that a late duplicate would have arrived before it
    const marker = await publish(a1.c, 'plan', { marker: true });
    await b1.c.waitFor((f) => f.message_id === marker.id, 20_000, 'the marker');
    await a1.c.waitFor((f) => f.message_id === marker.id, 20_000, 'the marker');
    for (const c of [a1.c, b1.c]) {
      // once each; the order across hubs is the bus's (a local message may overtake one from the other hub)
      assert.deepEqual(topicMessages(c).map((m) => m.id).sort(), [fromA.id, fromB.id, marker.id].sort(), 'each message once');
    }
    assert.deepEqual(topicMessages(stranger.c), [], 'another namespace\'s subscriber of the same topic name got nothing');
    const historyOnB = await hubB.topics.history('crew', 'plan');
    assert.deepEqual(historyOnB.map((m) => m.id), [fromA.id, fromB.id, marker.id], 'B stored what came over the bus');

    // disconnecting the last local subscriber drops the hub's subscription too
    await a1.c.close();
    await b1.c.close();
    await waitFor(async () => {
      await hubA.topics.settled();
      await hubB.topics.settled();
      return hubA.topics.busNamespaces().length === 0 && !hubB.topics.busNamespaces().includes('crew');
    }, 'both hubs to drop crew after their subscribers left');
    await waitFor(async () => !(await brokerHas('crew')), 'the broker to have no subscription of crew left');
    t.diagnostic('ref counts checked on the broker');
  } finally {
    for (const c of closers) await c().catch(() => undefined);
    for (const h of hubs.reverse()) {
      await h.stop();
      h.dispose();
    }
  }
}

test('two hubs on one RabbitMQ: topic messages reach subscribers on both once; bus subscriptions are reference counted', async (t) => {
  const b = await requireBroker('rabbitmq', t);
  if (!b) return;
  const prefix = uniquePrefix('rtopics');
  const conn = await amqpConnect(b.url);
  try {
    const ch = await conn.createConfirmChannel();
    let returned = 0;
    ch.on('return', () => void returned++);
    // A mandatory publish that no queue is bound for comes back (basic.return before its confirm): a binding probe.
    // The probe is an already-expired topic message, which a hub that receives it drops without a word.
    const probe: BrokerProbe = async (ns) => {
      const before = returned;
      const body = {
        message_type: 'TOPIC_MESSAGE',
        origin_hub: 'probe',
        message: { id: '1', namespace: ns, sender: {}, topics: 'probe', topic_published_to: 'probe', payload: {}, format: 'x', priority: 0, timestamp: 1, thread: [], ttl: 1 },
      };
      await ch.assertExchange(`${prefix}switchboard.bus`, 'topic', { durable: true });
      await new Promise<void>((resolve, reject) =>
        ch.publish(`${prefix}switchboard.bus`, `${prefix}topics.${ns}`, Buffer.from(JSON.stringify(body)), { mandatory: true }, (err) => (err ? reject(err) : resolve())),
      );
      return returned === before;
    };
    await twoHubScenario(t, (o) => startRabbitHub(b.url, prefix, o), probe);
    await ch.close();
  } finally {
    await conn.close();
    await cleanupRabbit(b.url, { prefix, exchanges: [`${prefix}switchboard.bus`] });
  }
});

test('two hubs on one Kafka: topic messages reach subscribers on both once; bus subscriptions are reference counted', async (t) => {
  const k = await requireBroker('kafka', t);
  if (!k) return;
  const prefix = uniquePrefix('ktopics');
  const kafka = new Kafka({ clientId: 'switchboard-topics-test', brokers: k.brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    // a consumer group with members on the namespace's topic is a live subscription (groups of our own are deleted when they end)
    const probe: BrokerProbe = async (ns) => {
      const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.includes(prefix) && g.includes(`topics.${ns}.`));
      if (groups.length === 0) return false;
      const described = await admin.describeGroups(groups);
      return described.groups.some((g) => g.members.length > 0);
    };
    await twoHubScenario(t, (o) => startKafkaHub(k.brokers, prefix, o), probe);
  } finally {
    await admin.disconnect();
    await cleanupKafka(k.brokers, prefix);
  }
});
