// Two hubs on one RabbitMQ: each shows the other's agents (marked with their hub_id), a front-end on hub B talks to
// an agent on hub A and gets the reply (embedded router on the bus, and through a routing broker registered on A),
// and an agent dropping off A goes offline on B.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentClient } from '../../src/sdk/agentClient';
import { Hub } from '../../src/hub/hub';
import type { Envelope } from '../../src/protocol/schemas';
import { cleanupRabbit, requireBroker, uniquePrefix, waitFor } from './helpers';
import { rabbitWorld, startRabbitHub } from './rabbitHarness';
import { broadcastAcrossHubs, statusOf } from './hubScenarios';

test('two hubs on one RabbitMQ: presence shared with hub_id, a front-end on B gets replies from an agent on A, an agent leaving A goes offline on B', async (t) => {
  const w = await rabbitWorld(t, 'twohubs');
  if (!w) return;
  const hubA = await w.hub({ hubId: 'hub_aaaaaaaa' });
  const hubB = await w.hub({ hubId: 'hub_bbbbbbbb' });
  const fe = await w.client(hubB.agentUrl);
  const feId = await fe.register('frontend');

  const registeredAt = Date.now();
  const agent = await w.agent({ url: hubA.agentUrl, name: 'on-a', reconnect: false }, (text) => `A says: ${text}`);
  const agentId = agent.id!;
  const seen = await waitFor(() => {
    const e = statusOf(fe, agentId);
    return e && e.is_online === true ? e : undefined;
  }, 'the front-end on B to see the agent of A online', 10_000, 5);
  const presenceMs = Date.now() - registeredAt;
  t.diagnostic(`agent registered on A → online in B's AGENT_STATUS_UPDATE after ${presenceMs} ms`);
  assert.equal(seen.hub_id, hubA.id, 'marked with the hub it lives on');
  assert.equal(hubB.agents().find((a) => a.agent_id === agentId)?.hub_id, hubA.id, 'hub.agents() on B lists it too');

  // Embedded router on the bus (no routing broker anywhere).
  fe.send({ message_type: 'TEXT', message_id: 'x-1', sender_id: feId, receiver_id: agentId, text_payload: 'across hubs' });
  const r1 = await fe.next((m) => m.message_type === 'REPLY' && m.in_reply_to_message_id === 'x-1', 'the reply from A');
  assert.equal(r1.text_payload, 'A says: across hubs');

  // Through a routing broker that registered on A: B learns of it through presence and sends chat to its queue.
  const broker = await w.broker({ hubUrl: hubA.agentUrl });
  await waitFor(() => hubA.localBrokerCount() === 1, 'A to have the broker');
  await waitFor(() => broker.knownAgents().some((k) => k.agent_id === agentId && k.online), 'the broker to know the agent');
  await new Promise((r) => setTimeout(r, 700)); // B hears of A's broker with the next presence (300 ms)
  const routedBefore = broker.counters.routed;
  fe.send({ message_type: 'TEXT', message_id: 'x-2', sender_id: feId, receiver_id: agentId, text_payload: 'via the broker' });
  const r2 = await fe.next((m) => m.message_type === 'REPLY' && m.in_reply_to_message_id === 'x-2', 'the brokered reply from A');
  assert.equal(r2.text_payload, 'A says: via the broker');
  assert.ok(broker.counters.routed > routedBefore, 'the routing broker routed it');

  // The agent drops off A: B shows it offline.
  const leftAt = Date.now();
  await agent.close();
  await waitFor(() => statusOf(fe, agentId)?.is_online === false, 'B to show the agent offline', 10_000, 5);
  t.diagnostic(`agent left A → offline on B after ${Date.now() - leftAt} ms`);
  assert.equal(hubB.agents().find((a) => a.agent_id === agentId)?.is_online, false);
});

test('a hub that stops takes its agents offline on the other hub at once', async (t) => {
  const w = await rabbitWorld(t, 'hubstop');
  if (!w) return;
  const hubA = await w.hub();
  const hubB = await w.hub();
  const agent = await w.agent({ url: hubA.agentUrl, name: 'short-lived', reconnect: false });
  const id = agent.id!;
  await waitFor(() => hubB.agent(id)?.is_online === true, 'B to see the agent');
  await hubA.stop();
  await waitFor(() => hubB.agent(id)?.is_online === false, 'B to see it offline after A stopped', 5_000);
});

test('a broadcast sent on one hub reaches the agents of the other hub once', async (t) => {
  const b = await requireBroker('rabbitmq', t);
  if (!b) return;
  const prefix = uniquePrefix('hubcast');
  try {
    await broadcastAcrossHubs((o) => startRabbitHub(b.url, prefix, o));
  } finally {
    await cleanupRabbit(b.url, { prefix });
  }
});

test('the person at hub B (web_switchboard) asks an agent on hub A and the reply comes back to B, not to A’s own user', async (t) => {
  const w = await rabbitWorld(t, 'hubuser');
  if (!w) return;
  const hubA = await w.hub();
  const hubB = await w.hub();
  const agent = await w.agent({ url: hubA.agentUrl, name: 'answers', reconnect: false }, (text) => `answer to ${text}`);
  await waitFor(() => hubB.agent(agent.id!)?.is_online === true, 'B to see the agent');
  const onB: Envelope[] = [];
  const onA: Envelope[] = [];
  hubB.events.on('message', (m) => void (m.message_type === 'REPLY' && onB.push(m)));
  hubA.events.on('message', (m) => void (m.message_type === 'REPLY' && onA.push(m)));
  const asked = hubB.sendMessage({ receiver_id: agent.id!, text_payload: 'the question' });
  const reply = await waitFor(() => onB.find((m) => m.in_reply_to_message_id === asked.message_id), 'the reply on B');
  assert.equal(reply.text_payload, 'answer to the question');
  assert.equal(onA.filter((m) => m.routing_status === 'routed' && m.receiver_id === 'web_switchboard').length, 0, 'A did not keep it for its own user');
});

test('a hub whose RabbitMQ is unreachable still starts, serves its own clients, reports the bus down, and stops promptly', async () => {
  const hub = new Hub({ port: 0, bus: 'rabbitmq', rabbitmqUrl: 'amqp://guest:guest@127.0.0.1:1', pingIntervalMs: 60_000, heartbeatIntervalMs: 60_000 });
  let agent: AgentClient | undefined;
  try {
    await hub.start();
    await waitFor(() => hub.busStatus().reconnectAttempt >= 1, 'a failed connection attempt');
    assert.notEqual(hub.busStatus().state, 'up');
    assert.match(hub.busStatus().lastError ?? '', /ECONNREFUSED/);
    agent = new AgentClient({ url: hub.agentUrl, name: 'local', reconnect: false });
    const got: string[] = [];
    agent.onMessage((m) => void got.push(String(m.text_payload)));
    await agent.connect();
    hub.sendMessage({ receiver_id: agent.id!, text_payload: 'still here' });
    await waitFor(() => got.length === 1, 'local delivery without the broker');
  } finally {
    await agent?.close().catch(() => undefined);
    const t0 = Date.now();
    await hub.stop();
    assert.ok(Date.now() - t0 < 10_000, 'stop() did not wait for the absent broker');
  }
});
