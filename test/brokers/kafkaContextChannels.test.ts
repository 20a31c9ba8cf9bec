// Seed 002 channels on the Kafka bus against the real broker: raw kafkajs clients that know only the seed's topics
// (`agent.context.request`, `agent.context.response.<requester_id>`, a consumer group `paas-agent-<peer>` each) and
// write raw JSON with no headers talk with bus publish/subscribe on contextRequestChannel / contextResponseChannel.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { contextRequestChannel, contextResponseChannel } from '../../src/bus/contextChannels';
import type { Envelope } from '../../src/protocol/schemas';
import { waitFor } from './helpers';
import { kafkaSetup } from './kafkaTestKit';

test('kafka context channels: a raw kafkajs seed peer in its own group answers a bus request with raw JSON; the bus requester gets it', async (t) => {
  const s = await kafkaSetup(t, 'kctx');
  if (!s) return;
  const reqTopic = `${s.prefix}agent.context.request`;
  const respPrefix = `${s.prefix}agent.context.response`;
  const kafka = new Kafka({ clientId: `${s.prefix}raw`, brokers: s.brokers, logLevel: logLevel.NOTHING });
  const requester = s.bus();
  const replyChannel = contextResponseChannel('reconstructor-1', respPrefix);
  assert.equal(requester.topicFor(replyChannel), `${respPrefix}.reconstructor-1`, 'the response topic under its exact name');
  assert.equal(requester.topicFor(contextRequestChannel(reqTopic)), reqTopic, 'the request topic under its exact name');
  const answers: Envelope[] = [];
  await requester.subscribe(replyChannel, (m) => void answers.push(m));
  // the request topic exists before the raw peer subscribes (as the seed's deployment creates it)
  await requester.publish(contextRequestChannel(reqTopic), { message_type: 'REQUEST_CONTEXT', request_id: 'warm-up', requester_id: 'nobody', failed_agent_id: 'x', time_window_seconds: 1 });

  const consumer: Consumer = kafka.consumer({ groupId: `${s.prefix}paas-agent-raw-peer`, maxWaitTimeInMs: 100 });
  const producer: Producer = kafka.producer();
  t.after(async () => {
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
  });
  await producer.connect();
  await consumer.connect();
  // from the beginning, as a seed peer that filters stale requests does: a new group at 'latest' resolves its
  // offset at its first fetch, after the join, and could miss a request published right after the join
  await consumer.subscribe({ topics: [reqTopic], fromBeginning: true });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.run({
    eachMessage: async ({ message }) => {
      const req = JSON.parse(message.value!.toString()) as { message_type: string; requester_id: string; failed_agent_id: string };
      if (req.message_type !== 'REQUEST_CONTEXT' || req.requester_id === 'nobody') return;
      // the seed's answer: no request_id, no message_id, no headers; the topic says whom it is for
      await producer.send({
        topic: `${respPrefix}.${req.requester_id}`,
        messages: [{ value: JSON.stringify({ message_type: 'PROVIDE_CONTEXT', responder_id: 'raw-peer', failed_agent_id: req.failed_agent_id, interactions: [], memory_state: { n: 1 } }) }],
      });
    },
  });
  await joined;
  await requester.publish(contextRequestChannel(reqTopic), { message_type: 'REQUEST_CONTEXT', request_id: 'req-1', requester_id: 'reconstructor-1', failed_agent_id: 'agent_dead', time_window_seconds: 60 });
  await waitFor(() => answers.length >= 1, 'the raw peer\'s answer', 30_000);
  assert.equal(answers.length, 1);
  assert.equal(answers[0]!.responder_id, 'raw-peer');
  assert.deepEqual(answers[0]!.memory_state, { n: 1 });

  // releaseChannel ends the subscription and deletes the response topic
  await requester.releaseChannel(replyChannel);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await waitFor(async () => !(await admin.listTopics()).includes(`${respPrefix}.reconstructor-1`), 'the response topic to be deleted', 15_000);
  } finally {
    await admin.disconnect();
  }
});

test('kafka context channels: a bus subscription with group paas-agent-<peer> is that consumer group, starts at the end, and answers a raw requester', async (t) => {
  const s = await kafkaSetup(t, 'kctxg');
  if (!s) return;
  const reqTopic = `${s.prefix}agent.context.request`;
  const respPrefix = `${s.prefix}agent.context.response`;
  const respTopic = `${respPrefix}.raw-requester`;
  const kafka = new Kafka({ clientId: `${s.prefix}raw`, brokers: s.brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer();
  const consumer = kafka.consumer({ groupId: `${s.prefix}paas-agent-raw-requester`, maxWaitTimeInMs: 100 });
  t.after(async () => {
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  });
  await admin.connect();
  await producer.connect();
  await admin.createTopics({ topics: [{ topic: reqTopic, numPartitions: 1 }, { topic: respTopic, numPartitions: 1 }], waitForLeaders: true });
  const sendRaw = (id: string): Promise<unknown> =>
    producer.send({ topic: reqTopic, messages: [{ value: JSON.stringify({ message_type: 'REQUEST_CONTEXT', request_id: id, requester_id: 'raw-requester', failed_agent_id: 'agent_x', time_window_seconds: 60 }) }] });
  await sendRaw('before'); // published before the peer's group exists: not replayed to it

  const answers: Array<Record<string, unknown>> = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [respTopic], fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void answers.push(JSON.parse(message.value!.toString()) as Record<string, unknown>) });

  const peerBus = s.bus();
  const group = `${s.prefix}paas-agent-bus-peer`;
  const seen: string[] = [];
  const offNamed = await peerBus.subscribe(
    contextRequestChannel(reqTopic),
    async (m) => {
      seen.push(String(m.request_id));
      await peerBus.publish(contextResponseChannel(String(m.requester_id), respPrefix), {
        message_type: 'PROVIDE_CONTEXT',
        request_id: m.request_id,
        responder_id: 'bus-peer',
        failed_agent_id: m.failed_agent_id,
        interactions: [],
        memory_state: {},
      });
    },
    { group },
  );
  const groups = (await admin.listGroups()).groups.map((g) => g.groupId);
  assert.ok(groups.includes(group), `a consumer group named exactly ${group} (groups: ${groups.filter((g) => g.includes(s.prefix)).join(', ')})`);
  const described = await admin.describeGroups([group]);
  assert.equal(described.groups[0]!.members.length, 1, 'the bus peer is its member');

  await sendRaw('r1');
  await sendRaw('r2');
  await waitFor(() => answers.length >= 2, 'two answers on the raw requester\'s topic', 30_000);
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(seen, ['r1', 'r2'], 'only the requests published after the group joined');
  assert.deepEqual(answers.map((a) => a.request_id), ['r1', 'r2']);
  assert.equal(answers[0]!.responder_id, 'bus-peer');

  // a transient group (a hub serves as a peer under an id that is new on every start) is deleted when its
  // subscription ends; a peer's named group keeps its offsets on the broker, as a seed peer's does
  const transient = `${s.prefix}paas-agent-hub-transient`;
  const listed = async (id: string): Promise<boolean> => (await admin.listGroups()).groups.some((g) => g.groupId === id);
  const offTransient = await peerBus.subscribe(contextRequestChannel(reqTopic), () => undefined, { group: transient, transientGroup: true });
  await waitFor(() => listed(transient), 'the transient group to exist', 30_000);
  await offTransient();
  await waitFor(async () => !(await listed(transient)), 'the transient group to be deleted when its subscription ends', 15_000);
  await offNamed();
  assert.ok(await listed(group), 'the named group stays after its subscription ends');
});
