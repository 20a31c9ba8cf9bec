// Message breakpoints on RabbitMQ (issue 20): a message for a queue agent (seed 001, reads agent_queue_<id>) is held
// before it is published to the queue; with a routing broker registered, a message is held before the broker takes
// it, an edit goes through the broker to the agent (held once, not again on the broker's return trip) and the agent
// answers the edited text.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Envelope } from '../../src/protocol/schemas';
import type { HeldInfoT } from '../../src/protocol/debugger';
import { waitFor } from './helpers';
import { rabbitWorld } from './rabbitHarness';

test('RabbitMQ: a queue agent’s message is held before its queue; through a routing broker an edit is delivered once and answered', async (t) => {
  const w = await rabbitWorld(t, 'debugger');
  if (!w) return;
  const q = w.queues;
  const amqp = await w.amqp();
  const hub = await w.hub();
  const seed = await w.client(hub.agentUrl);
  const seedId = await seed.register('agent');
  const fe = await w.client(hub.agentUrl);
  const feId = await fe.register('frontend');

  // 1) a queue agent, embedded router
  hub.debugger.setBreakpoints('rabbit-test', [{ filter: `to:${seedId} text:refund` }, { filter: 'to:rabbit-sdk text:refund' }]);
  let heldSoon = once(hub.debugger.events, 'held') as Promise<[HeldInfoT]>;
  fe.send({ message_type: 'TEXT', sender_id: feId, receiver_id: seedId, text_payload: 'refund for the queue agent' });
  let [held] = await heldSoon;
  assert.equal(await amqp.getJson(q.agentQueue(seedId)), undefined, 'nothing in agent_queue while held');
  hub.debugger.continue(held.held_id);
  const fromQueue = await waitFor(() => amqp.getJson(q.agentQueue(seedId)), 'the released message in agent_queue');
  assert.equal(fromQueue.text_payload, 'refund for the queue agent');

  // 2) through our routing broker
  const sdk = await w.agent({ url: hub.agentUrl, name: 'rabbit-sdk', reconnect: false }, (text) => `sdk got: ${text}`);
  const broker = await w.broker();
  await waitFor(() => broker.knownAgents().some((k) => k.agent_id === sdk.id && k.online), 'the broker to know the agent');
  const heldOnce: HeldInfoT[] = [];
  hub.debugger.events.on('held', (h) => heldOnce.push(h));
  heldSoon = once(hub.debugger.events, 'held') as Promise<[HeldInfoT]>;
  fe.send({ message_type: 'TEXT', message_id: 'rd-1', sender_id: feId, receiver_id: sdk.id, text_payload: 'refund 10' });
  [held] = await heldSoon;
  assert.equal(held.via, undefined, 'held before the routing broker took it');
  assert.equal(broker.counters.routed, 0);
  hub.debugger.edit(held.held_id, { text_payload: 'refund 100' });
  const reply = await fe.next((m: Envelope) => m.message_type === 'REPLY' && m.in_reply_to_message_id === 'rd-1', 'the reply through the broker');
  assert.equal(reply.text_payload, 'sdk got: refund 100');
  assert.equal(heldOnce.length, 1, 'held once: not again when the broker routed it back');
});
