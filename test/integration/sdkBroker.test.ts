// The SDK's BrokerClient on real sockets: registration and the agent list from a real Hub, the same broker id after
// the hub restarts, a broker started before its hub, and PONG to a hub's PING (from a scripted hub, since ours pings
// agents only).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { BrokerClient, type AgentStatusFrame } from '../../src/sdk/brokerClient';
import { AgentClient } from '../../src/sdk/agentClient';
import type { Hub } from '../../src/hub/hub';
import { startHub, waitUntil } from './hubHarness';

const FAST_RECONNECT = { initialMs: 50, maxMs: 200 };

test('a BrokerClient registers as broker_…, hears the full agent list, and keeps its id across a hub restart', async () => {
  let hub: Hub = await startHub();
  const agent = new AgentClient({ url: hub.agentUrl, name: 'worker', reconnect: FAST_RECONNECT });
  const broker = new BrokerClient({ url: hub.agentUrl, name: 'router', reconnect: FAST_RECONNECT });
  try {
    const { agent_id } = await agent.connect();
    const updates: AgentStatusFrame[] = [];
    broker.onAgentStatus((u) => updates.push(u));
    const { broker_id } = await broker.connect();
    assert.match(broker_id, /^broker_[0-9a-f]{8}$/);
    assert.equal(hub.localBrokerCount(), 1);
    await waitUntil(() => updates.some((u) => u.full && u.agents.some((a) => a.agent_id === agent_id)), 3000, 'a full update listing the agent');

    const { port, token } = hub;
    await hub.stop();
    await waitUntil(() => broker.state === 'reconnecting', 3000, 'the broker to notice');
    hub = await startHub({ port, token, portFallback: false });
    await waitUntil(() => broker.connected, 5000, 'the broker back in');
    assert.equal(broker.id, broker_id, 'registered again under the same id');
    assert.equal(hub.localBrokerCount(), 1);
  } finally {
    await broker.close();
    await agent.close();
    await hub.stop();
  }
});

test('a BrokerClient started before its hub keeps trying and registers once the hub is up', async () => {
  const probe = await startHub();
  const { port, token, agentUrl } = probe;
  await probe.stop();
  const broker = new BrokerClient({ url: agentUrl, reconnect: FAST_RECONNECT });
  let hub: Hub | undefined;
  try {
    broker.start();
    await waitUntil(() => broker.state === 'reconnecting', 3000, 'a failed first attempt');
    hub = await startHub({ port, token, portFallback: false });
    await waitUntil(() => broker.connected, 5000, 'registered after the hub came up');
    assert.match(broker.id ?? '', /^broker_/);
  } finally {
    await broker.close();
    await hub?.stop();
  }
});

test('a BrokerClient answers PING with PONG, and a throwing handler does not stop the others', async () => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await once(wss, 'listening');
  const frames: Record<string, unknown>[] = [];
  wss.on('connection', (ws: WebSocket) => {
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as Record<string, unknown>;
      frames.push(m);
      if (m.message_type === 'REGISTER_BROKER') {
        ws.send(JSON.stringify({ message_type: 'REGISTER_BROKER_RESPONSE', status: 'success', broker_id: 'broker_0000abcd' }));
        ws.send(JSON.stringify({ message_type: 'ERROR', text_payload: 'first' }));
        ws.send(JSON.stringify({ message_type: 'PING', timestamp: new Date().toISOString() }));
      }
    });
  });
  const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/ws?token=t`;
  const broker = new BrokerClient({ url, name: 'scripted', reconnect: false });
  try {
    const heard: string[] = [];
    broker.onError(() => {
      throw new Error('a broken handler');
    });
    broker.onError((m) => heard.push(String(m.text_payload)));
    await broker.connect();
    await waitUntil(() => frames.some((f) => f.message_type === 'PONG'), 3000, 'a PONG');
    assert.deepEqual(heard, ['first']);
    assert.equal(frames[0]?.message_type, 'REGISTER_BROKER');
    assert.equal(frames[0]?.broker_name, 'scripted');
  } finally {
    await broker.close();
    for (const c of wss.clients) c.terminate();
    wss.close();
  }
});
