// The seed 001 RabbitMQ topology against the real broker: SERVER_AVAILABLE and agent metadata for routing brokers,
// chat through broker_input_queue → our routing broker → broker_output_queue → agents and front-ends, queue agents
// and WebSocket agents side by side (each message once, no pile-up), and the embedded router without a broker.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentClient } from '../../src/sdk/agentClient';
import type { Envelope } from '../../src/protocol/schemas';
import { waitFor } from './helpers';
import { withTimeout } from '../../src/bus/busSupport';
import { rabbitWorld } from './rabbitHarness';

test('the hub advertises SERVER_AVAILABLE at start and again when a broker registers; registrations and departures reach agent_metadata_queue', async (t) => {
  const w = await rabbitWorld(t, 'advert');
  if (!w) return;
  const q = w.queues;
  const amqp = await w.amqp();
  const hub = await w.hub();
  const ad = await waitFor(() => amqp.getJson(q.serverAdvertisement), 'SERVER_AVAILABLE at start');
  assert.equal(ad.message_type, 'SERVER_AVAILABLE');
  assert.equal(ad.server_id, hub.id);
  assert.equal(ad.websocket_url, hub.agentUrl);
  // No broker yet: nothing is published for one (the metadata queue does not pile up).
  const early = await w.client(hub.agentUrl);
  await early.register('agent', { delivery: 'websocket' });
  assert.equal(await amqp.depth(q.agentMetadata), 0);

  const broker = await w.client(hub.agentUrl);
  await broker.register('broker');
  const again = await waitFor(() => amqp.getJson(q.serverAdvertisement), 'SERVER_AVAILABLE on broker registration');
  assert.equal(again.server_id, hub.id);
  // The broker learns the agents that were already there (the seed broker forgot them on restart).
  const known = await waitFor(() => amqp.getJson(q.agentMetadata), 'the agent list on broker registration');
  assert.equal(known.message_type, 'REGISTER_AGENT');

  const agent = await w.client(hub.agentUrl);
  const agentId = await agent.register('agent');
  const seen: Envelope[] = [];
  await waitFor(async () => {
    let m: Envelope | undefined;
    while ((m = await amqp.getJson(q.agentMetadata))) seen.push(m);
    return seen.some((x) => x.message_type === 'REGISTER_AGENT' && x.agent_id === agentId);
  }, 'REGISTER_AGENT of the new agent');
  const reg = seen.find((x) => x.message_type === 'REGISTER_AGENT' && x.agent_id === agentId)!;
  assert.equal(reg._client_id, agentId);
  await agent.close();
  const gone = await waitFor(async () => {
    let m: Envelope | undefined;
    while ((m = await amqp.getJson(q.agentMetadata))) seen.push(m);
    return seen.find((x) => x.message_type === 'CLIENT_DISCONNECTED' && x.agent_id === agentId);
  }, 'CLIENT_DISCONNECTED');
  assert.equal(gone.connection_type, 'agent');
});

test('seed flow end to end through our routing broker: front-end → broker_input_queue → broker → agent → reply to the front-end; offline agent gets the broker ERROR', async (t) => {
  const w = await rabbitWorld(t, 'seedflow');
  if (!w) return;
  const hub = await w.hub();
  const broker = await w.broker(); // finds the hub through SERVER_AVAILABLE
  const agents: AgentClient[] = [];
  for (const name of ['alpha', 'beta']) agents.push(await w.agent({ url: hub.agentUrl, name, reconnect: false }, (text) => `${name} got: ${text}`));
  const ids = agents.map((a) => a.id!);
  await waitFor(() => ids.every((id) => broker.knownAgents().some((k) => k.agent_id === id && k.online)), 'the broker to know both agents');

  const fe = await w.client(hub.agentUrl);
  const feId = await fe.register('frontend');
  fe.send({ message_type: 'TEXT', message_id: 'm-direct', sender_id: feId, receiver_id: ids[0], text_payload: 'hi alpha', send_timestamp: new Date().toISOString() });
  const reply = await fe.next((m) => m.message_type === 'REPLY' && m.in_reply_to_message_id === 'm-direct', 'the reply through the broker');
  assert.equal(reply.text_payload, 'alpha got: hi alpha');
  assert.equal(reply.sender_id, ids[0]);
  assert.equal(fe.of('TEXT').filter((m) => m.message_id === 'm-direct').length, 0, 'the sender gets no copy of its own message back');

  // "broker" means: let the routing broker choose — round-robin over both agents.
  for (let i = 0; i < 4; i++) {
    fe.send({ message_type: 'TEXT', message_id: `m-rr-${i}`, sender_id: feId, receiver_id: 'broker', text_payload: `rr ${i}` });
  }
  const rr = await waitFor(() => {
    const r = fe.of('REPLY').filter((m) => String(m.in_reply_to_message_id).startsWith('m-rr-'));
    return r.length === 4 ? r : undefined;
  }, 'four round-robin replies');
  const by = new Set(rr.map((m) => m.sender_id));
  assert.equal(by.size, 2, 'both agents took turns');

  await agents[1]!.close();
  await waitFor(() => broker.knownAgents().some((k) => k.agent_id === ids[1] && !k.online), 'the broker to see beta offline');
  fe.send({ message_type: 'TEXT', message_id: 'm-off', sender_id: feId, receiver_id: ids[1], text_payload: 'are you there' });
  const err = await fe.next((m) => m.message_type === 'ERROR' && m.sender_id === 'broker', 'the broker ERROR');
  assert.match(String(err.text_payload), /currently offline/);
  assert.equal(err.receiver_id, feId);
  fe.send({ message_type: 'TEXT', message_id: 'm-unknown', sender_id: feId, receiver_id: 'agent_deadbeef', text_payload: 'anyone?' });
  const unknown = await fe.next((m) => m.message_type === 'ERROR' && /Unknown agent ID: agent_deadbeef/.test(String(m.text_payload)), 'the unknown-agent ERROR');
  assert.equal(unknown.sender_id, 'broker');
  assert.equal(unknown._target_agent_id, undefined, 'routing annotations stripped');
  assert.ok(broker.counters.routed >= 5);
});

test('a queue agent (seed style) and an SDK agent side by side each get every message exactly once, and the SDK agent’s queue stays empty', async (t) => {
  const w = await rabbitWorld(t, 'sidebyside');
  if (!w) return;
  const q = w.queues;
  const amqp = await w.amqp();
  const hub = await w.hub();
  // A seed agent: registers without a delivery field and lets the hub pick its id → reads agent_queue_<id>.
  const seed = await w.client(hub.agentUrl);
  const seedId = await seed.register('agent');
  const sdk = await w.agent({ url: hub.agentUrl, name: 'sdk', reconnect: false });
  const sdkGot: string[] = [];
  sdk.onMessage((m) => void sdkGot.push(String(m.text_payload)));
  const fe = await w.client(hub.agentUrl);
  const feId = await fe.register('frontend');

  const N = 20;
  const run = async (label: string): Promise<void> => {
    for (let i = 0; i < N; i++) {
      fe.send({ message_type: 'TEXT', sender_id: feId, receiver_id: seedId, text_payload: `${label} seed ${i}` });
      fe.send({ message_type: 'TEXT', sender_id: feId, receiver_id: sdk.id, text_payload: `${label} sdk ${i}` });
    }
    fe.send({ message_type: 'TEXT', sender_id: feId, receiver_id: 'broadcast', text_payload: `${label} all` });
  };
  const drainSeed = async (into: string[]): Promise<void> => {
    let m: Envelope | undefined;
    while ((m = await amqp.getJson(q.agentQueue(seedId)))) into.push(String(m.text_payload));
  };

  // 1) embedded router (no broker registered), 2) through our routing broker
  let broker: Awaited<ReturnType<typeof w.broker>> | undefined;
  for (const label of ['embedded', 'brokered']) {
    if (label === 'brokered') {
      const br = (broker = await w.broker());
      await waitFor(() => br.knownAgents().filter((k) => k.online).length >= 2, 'the broker to know both agents');
    }
    const seedGot: string[] = [];
    sdkGot.length = 0;
    await run(label);
    await waitFor(async () => {
      await drainSeed(seedGot);
      return seedGot.length >= N + 1 && sdkGot.length >= N + 1;
    }, `${label}: both agents to get ${N + 1} messages`);
    await new Promise((r) => setTimeout(r, 300)); // a duplicate would arrive here
    await drainSeed(seedGot);
    const expect = (who: string): string[] => [...Array.from({ length: N }, (_, i) => `${label} ${who} ${i}`), `${label} all`].sort();
    assert.deepEqual([...seedGot].sort(), expect('seed'), `${label}: queue agent got each message once, from its queue`);
    assert.deepEqual([...sdkGot].sort(), expect('sdk'), `${label}: SDK agent got each message once, over its socket`);
    assert.equal(seed.of('TEXT').length, 0, `${label}: the queue agent got no chat over its socket`);
    if (broker) assert.ok(broker.counters.routed >= 2 * N && broker.counters.broadcast >= 1, `${label}: the routing broker routed them`);
    const sdkQueueDepth = await amqp.depth(q.agentQueue(sdk.id!));
    assert.ok(sdkQueueDepth <= 0, `${label}: nothing piles up in the SDK agent's queue (depth ${sdkQueueDepth})`);
  }
});

test('a routing broker that restarts finds the hub again through a fresh SERVER_AVAILABLE and relearns every agent', async (t) => {
  const w = await rabbitWorld(t, 'brokerrestart');
  if (!w) return;
  const hub = await w.hub();
  const first = await w.broker();
  const agent = await w.agent({ url: hub.agentUrl, name: 'steady' }, (text) => `steady: ${text}`);
  await withTimeout(first.stop(), 60_000, 'stopping the first routing broker'); // the seed's broker would never come back from this
  await waitFor(() => hub.localBrokerCount() === 0, 'the hub to see the broker gone');

  const second = await w.broker(); // no URL: it needs an advertisement
  await waitFor(() => second.knownAgents().some((k) => k.agent_id === agent.id && k.online), 'the new broker to know the agent');
  const fe = await w.client(hub.agentUrl);
  const feId = await fe.register('frontend');
  fe.send({ message_type: 'TEXT', message_id: 'after-restart', sender_id: feId, receiver_id: 'broker', text_payload: 'anyone?' });
  const r = await fe.next((m) => m.message_type === 'REPLY' && m.in_reply_to_message_id === 'after-restart', 'a reply routed by the new broker');
  assert.equal(r.text_payload, 'steady: anyone?');
  assert.ok(second.counters.routed >= 1);
});

test('the early seed UI (REGISTER_FRONTEND {timestamp}, chat from an unregistered user_ id to "broker") gets its reply through the routing broker', async (t) => {
  const w = await rabbitWorld(t, 'earlyui');
  if (!w) return;
  const hub = await w.hub();
  const broker = await w.broker();
  const agent = await w.agent({ url: hub.agentUrl, name: 'helper', reconnect: false }, (text) => `helper: ${text}`);
  await waitFor(() => broker.knownAgents().some((k) => k.agent_id === agent.id && k.online), 'the broker to know the agent');
  const ui = await w.client(hub.agentUrl);
  ui.send({ message_type: 'REGISTER_FRONTEND', timestamp: new Date().toISOString() });
  await ui.next((m) => m.message_type === 'AGENT_STATUS_UPDATE' && m.is_full_update === true, 'the full status list');
  ui.send({ message_type: 'TEXT', message_id: 'early-1', sender_id: 'user_k3j4h5g6f', receiver_id: 'broker', text_payload: 'hello?', send_timestamp: '4:33:01 PM' });
  const r = await ui.next((m) => m.message_type === 'REPLY' && m.in_reply_to_message_id === 'early-1', 'the reply to the early UI');
  assert.equal(r.receiver_id, 'user_k3j4h5g6f');
  assert.equal(r.text_payload, 'helper: hello?');
});

test('RESET_ALL_QUEUES from a front-end empties the agent queues of queue agents', async (t) => {
  const w = await rabbitWorld(t, 'reset');
  if (!w) return;
  const q = w.queues;
  const amqp = await w.amqp();
  const hub = await w.hub();
  const seed = await w.client(hub.agentUrl); // a queue agent that is not reading right now
  const seedId = await seed.register('agent');
  for (let i = 0; i < 5; i++) hub.sendMessage({ receiver_id: seedId, text_payload: `waiting ${i}` });
  await waitFor(async () => (await amqp.depth(q.agentQueue(seedId))) === 5, 'five messages waiting in its queue');
  const fe = await w.client(hub.agentUrl);
  await fe.register('frontend');
  fe.send({ message_type: 'RESET_ALL_QUEUES' });
  await waitFor(async () => (await amqp.depth(q.agentQueue(seedId))) === 0, 'the queue emptied');
});
