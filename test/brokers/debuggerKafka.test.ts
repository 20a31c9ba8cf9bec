// Message breakpoints on a message from another hub (issue 20): two hubs on the real Kafka; a front-end on hub B asks
// an agent on hub A; hub A's debugger holds the forward (via 'hub') before delivery, an edit is delivered, and the
// agent's answer to the edited text comes back to B.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { AgentClient } from '../../src/sdk/agentClient';
import type { Hub } from '../../src/hub/hub';
import type { HeldInfoT } from '../../src/protocol/debugger';
import { requireBroker, uniquePrefix, waitFor } from './helpers';
import { cleanupKafka, startKafkaHub } from './kafkaTestKit';
import { RawClient } from './rabbitHarness';
import { statusOf } from './hubScenarios';

test('Kafka: a message forwarded from another hub is held before delivery, edited, and answered as edited', async (t) => {
  const k = await requireBroker('kafka', t);
  if (!k) return;
  const prefix = uniquePrefix('kdebug');
  const hubs: Hub[] = [];
  let fe: RawClient | undefined;
  let agent: AgentClient | undefined;
  try {
    const hubA = await startKafkaHub(k.brokers, prefix, { hubId: 'hub_dbga0001' });
    hubs.push(hubA);
    const hubB = await startKafkaHub(k.brokers, prefix, { hubId: 'hub_dbgb0002' });
    hubs.push(hubB);
    fe = await RawClient.open(hubB.agentUrl);
    const feId = await fe.register('frontend');
    agent = new AgentClient({ url: hubA.agentUrl, name: 'kafka-planner', reconnect: false });
    agent.onMessage((m, ctx) => ctx.reply(`A says: ${String(m.text_payload)}`));
    await agent.connect();
    const agentId = agent.id!;
    await waitFor(() => statusOf(fe!, agentId)?.is_online === true, 'B to see the agent of A online', 15_000, 5);

    hubA.debugger.setBreakpoints('kafka-test', [{ filter: 'to:kafka-planner text:refund' }]);
    const heldSoon = once(hubA.debugger.events, 'held') as Promise<[HeldInfoT]>;
    fe.send({ message_type: 'TEXT', message_id: 'kd-1', sender_id: feId, receiver_id: agentId, text_payload: 'refund 10' });
    const [held] = await heldSoon;
    assert.equal(held.via, 'hub', 'held on A, where the forward from B is routed');
    assert.equal(held.message.text_payload, 'refund 10');
    hubA.debugger.edit(held.held_id, { text_payload: 'refund 100' });
    const reply = await fe.next((m) => m.message_type === 'REPLY' && m.in_reply_to_message_id === 'kd-1', 'the reply from A', 15_000);
    assert.equal(reply.text_payload, 'A says: refund 100');
  } finally {
    await fe?.close();
    await agent?.close().catch(() => undefined);
    for (const h of hubs.reverse()) await h.stop();
    await cleanupKafka(k.brokers, prefix);
  }
});
