// The seed's third generation on the real RabbitMQ (issue 15, 4): agents registered over gRPC get their chat on the
// queue named by their id, and their replies (broker_input_queue, no receiver, original_message_id) come back to
// whoever asked. Without a routing broker the hub reads broker_input_queue; a broker that registers over gRPC reads it
// and answers on server_input_queue; one that registers over WebSocket (the first generation) takes it too. The test
// plays the seed's agents and broker with raw amqplib, frame for frame as their code does.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Channel } from 'amqplib';
import type { Envelope } from '../../src/protocol/schemas';
import { waitFor } from './helpers';
import { rabbitWorld, type RabbitWorld } from './rabbitHarness';
import { SeedGrpcClient, agentInfo } from '../integration/seedGrpcClient';

interface SeedSide {
  /** Publish as the seed's Python clients do: default exchange, durable queue, persistent JSON, no content type. */
  publish(queue: string, body: Record<string, unknown>): Promise<void>;
  consumers(queue: string): Promise<number>;
  getJson(queue: string): Promise<Envelope | undefined>;
}

async function seedSide(w: RabbitWorld): Promise<SeedSide> {
  const amqp = await w.amqp();
  const ch: Channel = await amqp.conn.createChannel();
  return {
    async publish(queue, body) {
      await ch.assertQueue(queue, { durable: true });
      ch.sendToQueue(queue, Buffer.from(JSON.stringify(body)), { persistent: true });
    },
    async consumers(queue) {
      return (await ch.checkQueue(queue)).consumerCount;
    },
    getJson: (queue) => amqp.getJson(queue),
  };
}

/** A seed agent's reply, as agent/src/messaging.py writes it: no receiver_id, no in_reply_to_message_id. */
function seedReply(agentId: string, originalId: string, text: string): Record<string, unknown> {
  return { message_id: `msg_${randomUUID()}`, sender_id: agentId, message_type: 'TEXT', text_payload: text, original_message_id: originalId, routing_status: 'pending' };
}

async function grpcAgents(client: SeedGrpcClient, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = `agent_${randomUUID()}`;
    const r = await client.registerAgent({ agent_id: id, agent_name: `seed-${i}`, version: '0.0.1' });
    assert.equal(r.success, true);
    client.commands(id);
    ids.push(id);
  }
  return ids;
}

test('no routing broker: chat reaches a gRPC agent on the queue named by its id, its reply comes back to the asking front-end only (never to the other agent), and a broker registering over WebSocket takes broker_input_queue over', async (t) => {
  const w = await rabbitWorld(t, 'grpcnobroker');
  if (!w) return;
  const hub = await w.hub({ grpcPort: 0 });
  const client = new SeedGrpcClient(hub.grpcPort);
  t.after(() => client.close());
  const seed = await seedSide(w);
  const [a1, a2] = await grpcAgents(client, 2);
  const fe = await w.client(hub.agentUrl);
  const feId = await fe.register('frontend');
  const other = await w.client(hub.agentUrl);
  await other.register('frontend');
  const brokerInput = `${w.prefix}broker_input_queue`;
  await waitFor(async () => (await seed.consumers(brokerInput)) === 1, 'the hub reading broker_input_queue');

  fe.send({ message_type: 'TEXT', message_id: 'g3-1', sender_id: feId, receiver_id: a1, text_payload: 'hi seed agent' });
  const got = await waitFor(() => seed.getJson(`${w.prefix}${a1}`), 'the TEXT on the agent queue');
  assert.equal(got.text_payload, 'hi seed agent');
  assert.equal(got.sender_id, feId);
  assert.equal(got.routing_status, 'routed');
  assert.deepEqual(Object.keys(got).filter((k) => k.startsWith('_')), []);

  await seed.publish(brokerInput, seedReply(a1!, 'g3-1', 'hello human'));
  const reply = await fe.next((m) => m.message_type === 'TEXT' && m.in_reply_to_message_id === 'g3-1', 'the reply at the front-end');
  assert.equal(reply.sender_id, a1);
  assert.equal(reply.text_payload, 'hello human');
  assert.equal(await seed.getJson(`${w.prefix}${a2}`), undefined, 'the other agent is not handed the reply');
  assert.equal(other.of('TEXT').length, 0, 'the other front-end sees none of it');

  // A routing broker registering over WebSocket is the first generation's: it reads broker_input_queue, the hub stops.
  const wsBroker = await w.client(hub.agentUrl);
  await wsBroker.register('broker');
  await waitFor(async () => (await seed.consumers(brokerInput)) === 0, 'the hub leaving broker_input_queue to the broker');
  await seed.publish(brokerInput, seedReply(a1!, 'g3-1', 'for the broker'));
  const forBroker = await waitFor(() => seed.getJson(brokerInput), 'the reply left for the broker');
  assert.equal(forBroker.text_payload, 'for the broker');
  await wsBroker.close();
  await waitFor(async () => (await seed.consumers(brokerInput)) === 1, 'the hub reading broker_input_queue again');
});

test('a routing broker registered over gRPC (third generation): front-end chat goes to broker_input_queue, its routed answers on server_input_queue reach the agent queue, and agent replies it misroutes (to another agent, or as an ERROR to a lone agent) reach the front-end that asked', async (t) => {
  const w = await rabbitWorld(t, 'grpcbroker');
  if (!w) return;
  const hub = await w.hub({ grpcPort: 0 });
  const client = new SeedGrpcClient(hub.grpcPort);
  t.after(() => client.close());
  const seed = await seedSide(w);
  const brokerInput = `${w.prefix}broker_input_queue`;
  const serverInput = `${w.prefix}server_input_queue`;
  const [a1, a2] = await grpcAgents(client, 2);
  const brokerId = 'broker_4242';
  assert.equal((await client.registerBroker(brokerId, 'BrokerService_brok')).success, true);
  const status = client.subscribeStatus(brokerId);
  await status.waitFor(() => true, 5000, 'the broker gets its snapshot');
  await waitFor(async () => (await seed.consumers(brokerInput)) === 0, 'broker_input_queue left to the broker');
  // it learns agents from its status stream: nothing is published for it on the first generation's metadata queue
  const late = `agent_${randomUUID()}`;
  await client.registerAgent({ agent_id: late, agent_name: 'late' });
  await status.waitFor((u) => agentInfo(u, late) !== undefined, 5000, 'the new agent on the status stream');
  assert.equal(await (await w.amqp()).depth(`${w.prefix}agent_metadata_queue`), 0, 'nothing piles up on agent_metadata_queue');

  const fe = await w.client(hub.agentUrl);
  const feId = await fe.register('frontend');
  fe.send({ message_type: 'TEXT', message_id: 'g3-b1', sender_id: feId, receiver_id: a1, text_payload: 'route me' });
  // the broker (played here) reads it, marks it routed and hands it back, as broker/src/broker.py does
  const pending = await waitFor(() => seed.getJson(brokerInput), 'the front-end TEXT on broker_input_queue');
  assert.equal(pending.receiver_id, a1);
  assert.equal(pending._client_id, feId);
  await seed.publish(serverInput, { ...pending, routing_status: 'routed' });
  const atAgent = await waitFor(() => seed.getJson(`${w.prefix}${a1}`), 'the routed TEXT on the agent queue');
  assert.equal(atAgent.text_payload, 'route me');

  // The agent replies (no receiver); the seed's broker sends it on to a random other agent: the hub returns it to the asker.
  await seed.publish(brokerInput, seedReply(a1!, 'g3-b1', 'answer one'));
  const reply = await waitFor(() => seed.getJson(brokerInput), 'the reply on broker_input_queue, for the broker');
  const misrouted: Record<string, unknown> = { ...reply, receiver_id: a2, routing_status: 'routed' };
  delete misrouted._client_id;
  await seed.publish(serverInput, misrouted);
  const back = await fe.next((m) => m.message_type === 'TEXT' && m.text_payload === 'answer one', 'the reply at the front-end');
  assert.equal(back.sender_id, a1);
  assert.equal(back.in_reply_to_message_id, 'g3-b1');
  assert.equal(await seed.getJson(`${w.prefix}${a2}`), undefined, 'no agent-to-agent reply loop');

  // With one agent online the seed's broker turns the reply into an ERROR to that agent, the reply as its text.
  await seed.publish(serverInput, {
    message_id: String(reply.message_id),
    message_type: 'ERROR',
    sender_id: brokerId,
    receiver_id: a1,
    routing_status: 'error',
    error_details: 'Only you (seed-0) are online right now.',
    text_payload: 'answer two',
  });
  const lone = await fe.next((m) => m.message_type === 'TEXT' && m.text_payload === 'answer two', 'the lone agent reply at the front-end');
  assert.equal(lone.sender_id, a1);

  // The third generation's UI addresses "server": with its broker registered, the hub hands that to the broker to place.
  fe.send({ message_type: 'TEXT', message_id: 'g3-srv', sender_id: feId, receiver_id: 'server', text_payload: 'anyone?' });
  const toPlace = await waitFor(() => seed.getJson(brokerInput), 'the "server" TEXT on broker_input_queue');
  assert.equal(toPlace.message_id, 'g3-srv');
  assert.equal(toPlace.routing_status, 'pending');
  assert.equal(toPlace._client_id, feId);

  // A routing error for the front-end's own message reaches it.
  await seed.publish(serverInput, {
    message_id: 'g3-b1',
    message_type: 'ERROR',
    sender_id: brokerId,
    receiver_id: feId,
    routing_status: 'error',
    error_details: 'No other online agents available to handle the message.',
    text_payload: 'route me',
  });
  const err = await fe.next((m) => m.message_type === 'ERROR' && m.error_details !== undefined, 'the routing ERROR');
  assert.match(String(err.error_details), /No other online agents/);
});
