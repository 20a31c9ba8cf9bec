// Presence: PINGs to silent agents only, PONG attributed to its connection, inactivity → offline + close 1011, heartbeats,
// coalesced and periodic AGENT_STATUS_UPDATE, REQUEST_AGENT_STATUS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startHub, connect, agent, frontend, closeAll, waitUntil } from './hubHarness';

test('agents receive PING every pingIntervalMs; front-ends do not', async () => {
  const hub = await startHub({ pingIntervalMs: 40 });
  const a = await agent(hub);
  const f = await frontend(hub);
  await waitUntil(() => a.c.ofType('PING').length >= 3, 5000, '3 pings');
  assert.equal(f.c.ofType('PING').length, 0);
  await closeAll(hub, a, f);
});

test('an agent that never answers PING goes offline after inactivityTimeoutMs and is closed with 1011', async () => {
  const hub = await startHub({ pingIntervalMs: 50, inactivityTimeoutMs: 300 });
  const f = await frontend(hub);
  // taken before the agent registers: the hub's last sight of it is its registration, so under load a clock read
  // after the registration's answer came back started late and the lower bound below failed
  const started = Date.now();
  const silent = await agent(hub, 'silent');
  const closed = await silent.c.waitClose(10_000);
  assert.equal(closed.code, 1011);
  assert.match(closed.reason, /disconnection/i);
  assert.ok(Date.now() - started >= 250, 'not before the timeout');
  assert.equal(hub.agent(silent.id)?.status, 'offline');
  const update = await f.c.waitFor(
    (m) => m.message_type === 'AGENT_STATUS_UPDATE' && (m.agents as { agent_id: string; is_online: boolean }[]).some((x) => x.agent_id === silent.id && !x.is_online),
    3000,
    'offline update',
  );
  assert.equal(update.is_full_update, false);
  await closeAll(hub, f, silent);
});

test('an agent answering PONG stays online well past the inactivity timeout', async () => {
  const hub = await startHub({ pingIntervalMs: 50, inactivityTimeoutMs: 600 });
  const a = await agent(hub, 'alive');
  a.c.ws.on('message', (d) => {
    const m = JSON.parse(d.toString()) as { message_type: string };
    if (m.message_type === 'PING') a.c.send({ message_type: 'PONG', agent_id: a.id });
  });
  await waitUntil(() => a.c.ofType('PING').length >= 36, 20_000, '36 pings (≥3× the timeout)');
  assert.equal(a.c.closed, undefined);
  assert.equal(hub.agent(a.id)?.status, 'online');
  await closeAll(hub, a);
});

test('a PONG naming another agent keeps only the sender alive (attributed to the connection, not the body)', async () => {
  const hub = await startHub({ pingIntervalMs: 50, inactivityTimeoutMs: 600 });
  const victim = await agent(hub, 'victim');
  const liar = await agent(hub, 'liar');
  liar.c.ws.on('message', (d) => {
    const m = JSON.parse(d.toString()) as { message_type: string };
    if (m.message_type === 'PING') liar.c.send({ message_type: 'PONG', agent_id: victim.id });
  });
  await victim.c.waitClose(10_000);
  assert.equal(hub.agent(victim.id)?.status, 'offline');
  assert.equal(hub.agent(liar.id)?.status, 'online');
  await closeAll(hub, victim, liar);
});

test('an agent that keeps talking gets neither PING nor SERVER_HEARTBEAT; a silent one still gets PINGs', async () => {
  const hub = await startHub({ pingIntervalMs: 300, heartbeatIntervalMs: 300, inactivityTimeoutMs: 60_000, rateLimitPerSecond: 0 });
  const chatty = await agent(hub, 'chatty');
  const silent = await agent(hub, 'silent');
  // the chatty agent sends its next PING as soon as the hub's PONG arrives: it is never silent and always sent to
  let talking = true;
  chatty.c.ws.on('message', (d) => {
    if (talking && (JSON.parse(d.toString()) as { message_type: string }).message_type === 'PONG') chatty.c.send({ message_type: 'PING' });
  });
  chatty.c.send({ message_type: 'PING' });
  await waitUntil(() => silent.c.ofType('PING').length >= 3, 20_000, '3 PINGs to the silent agent');
  talking = false;
  assert.ok(chatty.c.ofType('PONG').length >= 3, 'the chatty agent was talking all along');
  assert.equal(chatty.c.ofType('PING').length, 0, 'no PING to an agent that talks');
  assert.equal(chatty.c.ofType('SERVER_HEARTBEAT').length, 0, 'no heartbeat to a client that is being sent frames');
  // once it stops talking it is PINGed like any silent agent
  await chatty.c.waitType('PING');
  await closeAll(hub, chatty, silent);
});

test('SERVER_HEARTBEAT reaches every registered client (agents, front-ends, brokers)', async () => {
  const hub = await startHub({ heartbeatIntervalMs: 40 });
  const a = await agent(hub);
  const f = await frontend(hub);
  const b = await connect(hub);
  b.send({ message_type: 'REGISTER_BROKER', broker_name: 'b' });
  await Promise.all([a.c, f.c, b].map((c) => c.waitType('SERVER_HEARTBEAT')));
  await closeAll(hub, a, f, b);
});

test('a burst of 600 registrations reaches a front-end as a handful of coalesced updates naming every agent', async () => {
  const hub = await startHub({ statusCoalesceMs: 200, fullStatusIntervalMs: 600_000 });
  const f = await frontend(hub);
  const before = hub.stats().statusBroadcasts;
  const N = 600;
  const sockets: WebSocket[] = [];
  const seen = new Set<string>();
  f.c.ws.on('message', (d) => {
    const m = JSON.parse(d.toString()) as { message_type: string; agents?: { agent_id: string }[] };
    if (m.message_type === 'AGENT_STATUS_UPDATE') for (const x of m.agents ?? []) seen.add(x.agent_id);
  });
  // Open every socket first (slow on a loaded machine, and not what is measured), then register all at once.
  await Promise.all(
    Array.from({ length: N }, () => {
      const ws = new WebSocket(`ws://127.0.0.1:${hub.port}/ws?token=${hub.token}`);
      sockets.push(ws);
      return new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
    }),
  );
  const responses = sockets.map((ws) => new Promise<void>((resolve) => ws.once('message', () => resolve())));
  sockets.forEach((ws, i) => ws.send(JSON.stringify({ message_type: 'REGISTER_AGENT', agent_name: `burst${i}`, agent_id: `agent_burst${i}` })));
  await Promise.all(responses);
  await waitUntil(() => seen.size >= N, 10_000, 'all agents announced');
  const updates = hub.stats().statusBroadcasts - before;
  console.log(`# ${N} registrations → ${updates} AGENT_STATUS_UPDATE broadcasts`);
  assert.ok(updates >= 1 && updates <= 30, `expected a handful of broadcasts, got ${updates}`);
  const frontendUpdates = f.c.ofType('AGENT_STATUS_UPDATE').length - 1; // minus the full one at registration
  assert.ok(frontendUpdates <= 30, `front-end received ${frontendUpdates} updates for ${N} registrations`);
  for (const ws of sockets) ws.terminate();
  await closeAll(hub, f);
});

test('a full AGENT_STATUS_UPDATE goes out every fullStatusIntervalMs; REQUEST_AGENT_STATUS is answered to the asker only', async () => {
  const hub = await startHub({ fullStatusIntervalMs: 80 });
  const a = await agent(hub);
  const f1 = await frontend(hub);
  await f1.c.waitNext((m) => m.message_type === 'AGENT_STATUS_UPDATE' && m.is_full_update === true, 3000);
  await closeAll(hub, a, f1);

  const hub2 = await startHub({ fullStatusIntervalMs: 600_000 });
  const x = await frontend(hub2, 'x');
  const y = await frontend(hub2, 'y');
  const yBefore = y.c.ofType('AGENT_STATUS_UPDATE').length;
  x.c.send({ message_type: 'REQUEST_AGENT_STATUS' });
  const r = await x.c.waitNext((m) => m.message_type === 'AGENT_STATUS_UPDATE');
  assert.equal(r.is_full_update, true);
  await new Promise((res) => setTimeout(res, 50));
  assert.equal(y.c.ofType('AGENT_STATUS_UPDATE').length, yBefore);
  await closeAll(hub2, x, y);
});

test('an agent that disconnects is shown offline to front-ends with its last_seen kept', async () => {
  const hub = await startHub();
  const f = await frontend(hub);
  const a = await agent(hub);
  await a.c.close();
  const m = await f.c.waitFor(
    (u) => u.message_type === 'AGENT_STATUS_UPDATE' && (u.agents as { agent_id: string; is_online: boolean }[]).some((x) => x.agent_id === a.id && !x.is_online),
  );
  const entry = (m.agents as { agent_id: string; last_seen: string | null }[]).find((x) => x.agent_id === a.id)!;
  assert.ok(entry.last_seen && !Number.isNaN(Date.parse(entry.last_seen)));
  await closeAll(hub, f);
});

test('in-process listeners get coalesced agent changes on the agents event', async () => {
  const hub = await startHub({ statusCoalesceMs: 100 });
  const batches: string[][] = [];
  hub.events.on('agents', (changed) => batches.push(changed.map((a) => `${a.agent_id}:${a.status}`)));
  const a = await agent(hub, 'a', { agent_id: 'agent_evt00001' });
  const b = await agent(hub, 'b', { agent_id: 'agent_evt00002' });
  await waitUntil(() => batches.flat().length >= 2, 3000, 'agents event');
  assert.ok(batches.length <= 2, `coalesced: ${JSON.stringify(batches)}`);
  assert.deepEqual(batches.flat().sort(), ['agent_evt00001:online', 'agent_evt00002:online']);
  hub.controlAgent('pause', 'agent_evt00001');
  await waitUntil(() => batches.flat().includes('agent_evt00001:paused'), 3000, 'paused event');
  await closeAll(hub, a, b);
});
