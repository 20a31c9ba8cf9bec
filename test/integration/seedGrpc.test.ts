// The seed's third generation (issue 15, 4): agents and brokers registering over gRPC, with @grpc/grpc-js clients
// calling the services as the seed's agent and broker do. No broker needed: registration, presence from the command
// stream and heartbeats, commands, status, the status stream. Chat over RabbitMQ is in test/brokers/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Hub } from '../../src/hub/hub';
import { startHub, agent, frontend, closeAll, waitUntil } from './hubHarness';
import { cliRun } from './cliHarness';
import { SeedGrpcClient, agentInfo } from './seedGrpcClient';

async function hubWithGrpc(extra: Parameters<typeof startHub>[0] = {}): Promise<{ hub: Hub; client: SeedGrpcClient }> {
  const hub = await startHub({ grpcPort: 0, ...extra });
  assert.ok(hub.grpcPort > 0, 'the gRPC services listen');
  return { hub, client: new SeedGrpcClient(hub.grpcPort) };
}

async function stop(hub: Hub, client: SeedGrpcClient): Promise<void> {
  client.close();
  await closeAll(hub);
}

test('a gRPC agent registers under its own id, is listed by hub.agents() and `switchboard agents`, gets pause and resume as commands, and its status is shown', async () => {
  const { hub, client } = await hubWithGrpc();
  try {
    const id = `agent_${crypto.randomUUID()}`;
    const reg = await client.registerAgent({ agent_id: id, agent_name: 'grpc-coder', version: '0.0.1' });
    assert.deepEqual(reg, { success: true, message: 'Agent registered successfully', server_assigned_id: id });
    const commands = client.commands(id);
    await waitUntil(() => hub.agent(id)?.status === 'online', 5000, 'the agent online');
    assert.equal(hub.agent(id)?.agent_name, 'grpc-coder');

    const status = await client.sendStatus({ agent_id: id, agent_name: 'grpc-coder', metrics: { internal_state: 'busy', last_error: 'None' } });
    assert.deepEqual(status, { success: true, message: 'Status update received' });
    await waitUntil(() => hub.agent(id)?.last_status_text === 'busy', 5000, 'the status text');

    // the command stream may open a moment after the call returns: commands sent before it opens wait for it
    hub.controlAgent('pause', id);
    const pause = await commands.waitFor((c) => c.type === 'pause', 5000, 'pause');
    assert.match(String(pause.command_id), /^[0-9a-f-]{36}$/);
    assert.deepEqual([pause.content, pause.parameters, pause.is_cancellation], ['', {}, false]);
    assert.equal(hub.agent(id)?.status, 'paused');
    const ack = await client.commandResult({ command_id: pause.command_id, agent_id: id, success: true, output: 'paused', exit_code: 0, execution_time_ms: '3' });
    assert.deepEqual(ack, { received: true, message: 'Command result received successfully' });
    assert.equal(agentInfo(await client.getStatus(), id)?.metrics.last_command, `${String(pause.command_id)} succeeded`);
    hub.controlAgent('resume', id);
    await commands.waitFor((c) => c.type === 'resume', 5000, 'resume');

    const table = await cliRun(['agents', '--url', hub.agentUrl]);
    assert.equal(table.exit?.code, 0, table.transcript());
    assert.match(table.stdout.join('\n'), new RegExp(`${id}\\s+grpc-coder\\s+online\\s+\\S+\\s+busy`));

    const unreg = await client.unregisterAgent(id);
    assert.deepEqual(unreg, { success: true, message: 'Agent unregistered successfully' });
    await waitUntil(() => hub.agent(id)?.status === 'offline', 5000, 'offline after UnregisterAgent');
    await waitUntil(() => commands.ended, 5000, 'the command stream ended by the hub');
  } finally {
    await stop(hub, client);
  }
});

test('control frames from a front-end reach a gRPC agent as commands (PAUSE_AGENT → pause, DEREGISTER_AGENT → shutdown) and the front-end keeps its socket', async () => {
  const { hub, client } = await hubWithGrpc();
  const ui = await frontend(hub);
  try {
    const id = `agent_${crypto.randomUUID()}`;
    await client.registerAgent({ agent_id: id, agent_name: 'worker' });
    const commands = client.commands(id);
    ui.c.send({ message_type: 'PAUSE_AGENT', agent_id: id });
    await commands.waitFor((c) => c.type === 'pause', 5000, 'pause');
    ui.c.send({ message_type: 'DEREGISTER_AGENT', agent_id: id });
    await commands.waitFor((c) => c.type === 'shutdown', 5000, 'shutdown');
    await waitUntil(() => hub.agent(id)?.status === 'offline', 5000, 'shown offline');
    assert.equal(ui.c.closed, undefined);
  } finally {
    await closeAll(hub, ui);
    client.close();
  }
});

test('an empty agent_id gets a server-assigned id; an id a WebSocket agent holds is refused with the reason', async () => {
  const { hub, client } = await hubWithGrpc();
  const ws = await agent(hub, 'ws-agent');
  try {
    const reg = await client.registerAgent({ agent_id: '', agent_name: '' });
    assert.equal(reg.success, true);
    const assigned = String(reg.server_assigned_id);
    assert.match(assigned, /^[0-9a-f-]{36}$/);
    assert.equal(hub.agent(assigned)?.agent_name, `Agent-${assigned.slice(0, 8)}`);
    const taken = await client.registerAgent({ agent_id: ws.id, agent_name: 'thief' });
    assert.equal(taken.success, false);
    assert.match(String(taken.message), /held by a live connection/);
    assert.equal(hub.agent(ws.id)?.agent_name, 'ws-agent');
  } finally {
    await closeAll(hub, ws);
    client.close();
  }
});

test('presence: the command stream keeps a gRPC agent online and its end takes it offline at once; without a stream, heartbeats do, and when they stop it goes offline after the inactivity timeout', async () => {
  const { hub, client } = await hubWithGrpc({ pingIntervalMs: 50, inactivityTimeoutMs: 400 });
  try {
    const streamed = `agent_${crypto.randomUUID()}`;
    await client.registerAgent({ agent_id: streamed, agent_name: 'streamed' });
    const commands = client.commands(streamed);
    // it answers the hub's PINGs through its stream: still online after several inactivity timeouts' worth of PINGs
    const pingsBefore = hub.agent(streamed)!.last_seen;
    await waitUntil(() => hub.agent(streamed)!.last_seen !== pingsBefore, 5000, 'a PONG through the stream');
    commands.cancel();
    await waitUntil(() => hub.agent(streamed)?.status === 'offline', 5000, 'offline when the stream ends');

    const beating = `agent_${crypto.randomUUID()}`;
    await client.registerAgent({ agent_id: beating, agent_name: 'beating' });
    const hb = await client.heartbeat({ agent_id: beating, status: 'IDLE', metrics: { load: '0.1' } });
    assert.deepEqual(hb, { success: true, interval: 1 });
    await waitUntil(() => hub.agent(beating)?.last_status_text === 'idle', 5000, 'heartbeat status shown');
    // no stream, no more heartbeats: offline as a silent WebSocket agent goes
    await waitUntil(() => hub.agent(beating)?.status === 'offline', 5000, 'offline after silence');
    // a heartbeat from an agent the hub took offline registers it again under its name
    await client.heartbeat({ agent_id: beating, status: 'busy' });
    await waitUntil(() => hub.agent(beating)?.status === 'online' && hub.agent(beating)?.agent_name === 'beating', 5000, 'back online');
  } finally {
    await stop(hub, client);
  }
});

test('SubscribeToAgentStatus: a full snapshot first (WebSocket and gRPC agents, offline ones included, metrics with internal_state, agent_name, last_seen), then one on every change; a broker registered over gRPC is listed until its subscription ends', async () => {
  const { hub, client } = await hubWithGrpc();
  const ws = await agent(hub, 'ws-agent');
  try {
    const brokerId = `broker_${1000 + Math.floor(Math.random() * 9000)}`;
    const b = await client.registerBroker(brokerId, `BrokerService_${brokerId.slice(0, 4)}`);
    assert.deepEqual(b, { success: true, message: `Broker 'BrokerService_brok' registered successfully with ID '${brokerId}'.` });
    assert.equal(hub.localBrokerCount(), 1);
    const sub = client.subscribeStatus(brokerId);
    const first = await sub.waitFor(() => true, 5000, 'the snapshot');
    assert.equal(first.is_full_update, true);
    assert.deepEqual(agentInfo(first, ws.id)?.metrics, { internal_state: 'idle', agent_name: 'ws-agent', last_seen: hub.agent(ws.id)!.last_seen! });

    const id = `agent_${crypto.randomUUID()}`;
    await client.registerAgent({ agent_id: id, agent_name: 'g' });
    await client.sendStatus({ agent_id: id, metrics: { internal_state: 'busy', llm_client_status: 'configured' } });
    const busy = await sub.waitFor((u) => agentInfo(u, id)?.metrics.internal_state === 'busy', 5000, 'busy in an update');
    assert.equal(agentInfo(busy, id)?.metrics.llm_client_status, 'configured');
    assert.equal(busy.is_full_update, true);
    await client.unregisterAgent(id);
    await sub.waitFor((u) => agentInfo(u, id)?.metrics.internal_state === 'offline', 5000, 'offline listed');
    assert.equal(agentInfo(await client.getStatus(brokerId), id)?.metrics.internal_state, 'offline');

    sub.cancel();
    await waitUntil(() => hub.localBrokerCount() === 0, 5000, 'the broker gone with its subscription');
  } finally {
    await closeAll(hub, ws);
    client.close();
  }
});

test('chat to a gRPC agent on a hub without RabbitMQ is refused with an ERROR that says how to fix it', async () => {
  const { hub, client } = await hubWithGrpc();
  const ui = await frontend(hub);
  try {
    const id = `agent_${crypto.randomUUID()}`;
    await client.registerAgent({ agent_id: id, agent_name: 'g' });
    ui.c.send({ message_type: 'TEXT', receiver_id: id, text_payload: 'hello' });
    const err = await ui.c.waitFor((m) => m.message_type === 'ERROR', 5000, 'an ERROR');
    assert.match(String(err.text_payload), /receives chat on RabbitMQ: start the hub with --bus rabbitmq/);
  } finally {
    await closeAll(hub, ui);
    client.close();
  }
});

test('under seedCompat the third generation\'s web UI gets what it reads: full AGENT_STATUS_UPDATEs with metrics.internal_state, agent_name and last_seen for gRPC and WebSocket agents', async () => {
  const { hub, client } = await hubWithGrpc({ seedCompat: true });
  const ui = await frontend(hub, 'ChatUI');
  const ws = await agent(hub, 'ws-agent');
  try {
    const id = `agent_${crypto.randomUUID()}`;
    await client.registerAgent({ agent_id: id, agent_name: 'grpc-agent' });
    type Entry = { agent_id: string; metrics?: Record<string, string> };
    const entry = (m: Record<string, unknown>, agentId: string): Entry | undefined => (m.agents as Entry[] | undefined)?.find((a) => a.agent_id === agentId);
    const both = await ui.c.waitFor((m) => m.message_type === 'AGENT_STATUS_UPDATE' && entry(m, id) !== undefined && entry(m, ws.id) !== undefined, 5000, 'both agents listed');
    assert.equal(both.is_full_update, true);
    assert.deepEqual(entry(both, id)?.metrics, { internal_state: 'idle', agent_name: 'grpc-agent', last_seen: hub.agent(id)!.last_seen! });
    hub.controlAgent('pause', id);
    const paused = await ui.c.waitFor((m) => m.message_type === 'AGENT_STATUS_UPDATE' && entry(m, id)?.metrics?.internal_state === 'paused', 5000, 'paused in metrics');
    assert.equal(paused.is_full_update, true, 'a change goes out as a full list, as the seed sends it');
    assert.equal(entry(paused, ws.id)?.metrics?.internal_state, 'idle');
  } finally {
    await closeAll(hub, ui, ws);
    client.close();
  }
});

test('under seedCompat GET /health answers as the seed\'s server does (its compose file waits on it); without it there is no /health', async () => {
  const { hub, client } = await hubWithGrpc({ seedCompat: true });
  const plain = await startHub();
  try {
    const r = await fetch(`http://127.0.0.1:${hub.port}/health`);
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { status: 'service_healthy', services: { websocket: true, grpc: true, rabbitmq: false } });
    assert.equal((await fetch(`http://127.0.0.1:${plain.port}/health`)).status, 404);
  } finally {
    await stop(hub, client);
    await closeAll(plain);
  }
});

test('the gRPC services, which take no token, listen on loopback even when the hub binds a wider address, and say so', async () => {
  const warnings: string[] = [];
  const hub = new Hub({ host: '0.0.0.0', port: 0, grpcPort: 0, pingIntervalMs: 60_000, heartbeatIntervalMs: 60_000 });
  hub.events.on('warning', (w) => warnings.push(w));
  await hub.start();
  try {
    assert.equal(hub.grpcAddress, `127.0.0.1:${hub.grpcPort}`);
    assert.ok(warnings.some((w) => /take no token .* listen on 127\.0\.0\.1 only, not on 0\.0\.0\.0/.test(w)), warnings.join(' / '));
  } finally {
    await hub.stop();
  }
});

test('the third generation\'s web UI addresses its chat to "server" under its own Human-… id: with no routing broker the hub gives it to an online agent, and the reply to Human-… reaches that UI only', async () => {
  const { hub, client } = await hubWithGrpc({ seedCompat: true });
  const ui = await frontend(hub, 'ChatUI');
  const other = await frontend(hub, 'ChatUI');
  const ws = await agent(hub, 'ws-agent');
  try {
    ui.c.send({ message_id: 'k3x9qa', sender_id: 'Human-a1b', receiver_id: 'server', text_payload: 'who is there?', send_timestamp: '4:33:01 PM', message_type: 'TEXT' });
    const got = await ws.c.waitFor((m) => m.message_type === 'TEXT' && m.text_payload === 'who is there?', 5000, 'the TEXT at the agent');
    assert.equal(got.sender_id, 'Human-a1b');
    ws.c.send({ message_type: 'REPLY', sender_id: ws.id, receiver_id: 'Human-a1b', text_payload: 'me', in_reply_to_message_id: 'k3x9qa' });
    const reply = await ui.c.waitFor((m) => m.message_type === 'REPLY' && m.text_payload === 'me', 5000, 'the reply at the UI');
    assert.equal(reply.sender_id, ws.id);
    assert.equal(other.c.ofType('REPLY').length + other.c.ofType('TEXT').length, 0, 'the other UI sees none of it');
  } finally {
    await closeAll(hub, ui, other, ws);
    client.close();
  }
});

test('a gRPC port that is taken moves to a free one with a warning that names it (or, with the port fallback off, gRPC stays off with a warning); the hub starts either way', async () => {
  const first = await startHub({ grpcPort: 0 });
  const warnings: string[] = [];
  const moved = new Hub({ port: 0, grpcPort: first.grpcPort, pingIntervalMs: 60_000, heartbeatIntervalMs: 60_000 });
  const off = new Hub({ port: 0, grpcPort: first.grpcPort, portFallback: false, pingIntervalMs: 60_000, heartbeatIntervalMs: 60_000 });
  for (const h of [moved, off]) h.events.on('warning', (w) => warnings.push(w));
  try {
    await moved.start();
    assert.ok(moved.grpcPort > 0 && moved.grpcPort !== first.grpcPort);
    assert.ok(warnings.some((w) => w.includes(`gRPC port ${first.grpcPort} is taken`) && w.includes(`GRPC_PORT=${moved.grpcPort}`)), warnings.join(' / '));
    await off.start();
    assert.equal(off.state, 'running');
    assert.equal(off.grpcPort, 0);
    assert.ok(warnings.some((w) => /gRPC services did not start .*EADDRINUSE/.test(w)), warnings.join(' / '));
  } finally {
    await off.stop();
    await moved.stop();
    await closeAll(first);
  }
});
