// Clients no one here wrote read and write what the hub puts on RabbitMQ: `amqp-consume` (amqp-tools) reads
// broker_input_queue and gets valid seed JSON; a python3-pika seed agent consumes agent_queue_<id> and replies over
// WebSocket; and `switchboard broker` run as a person runs it routes the seed flow.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { validateMessage } from '../../src/protocol/codec';
import { AgentClient } from '../../src/sdk/agentClient';
import { seedQueueNames } from '../../src/hub/seedTopology';
import type { Hub } from '../../src/hub/hub';
import { brokersRequired, cleanupRabbit, requireBroker, uniquePrefix, waitFor } from './helpers';
import { RawClient, rawAmqp, startRabbitHub } from './rabbitHarness';
import { Proc } from '../integration/cliHarness';

const ROOT = join(__dirname, '..', '..');
const PY = '/usr/bin/python3';

/** A Debian tool the test needs; skipped loudly (or failed under SWITCHBOARD_REQUIRE_BROKERS=1) when it is absent. */
function requireTool(t: TestContext, what: string, check: () => boolean, install: string): boolean {
  if (check()) return true;
  const reason = `${what} is not installed: ${install}`;
  if (brokersRequired()) throw new Error(reason);
  process.stderr.write(`\n*** SKIPPED: ${reason}\n`);
  t.skip(reason);
  return false;
}

test('amqp-consume reads what the hub put on broker_input_queue: valid seed JSON with _client_id and _connection_type', async (t) => {
  const b = await requireBroker('rabbitmq', t);
  if (!b) return;
  if (!requireTool(t, 'amqp-consume', () => spawnSync('amqp-consume', ['--help']).status !== null, 'apt-get install amqp-tools')) return;
  const prefix = uniquePrefix('amqpconsume');
  const q = seedQueueNames(prefix);
  let hub: Hub | undefined;
  const clients: RawClient[] = [];
  try {
    hub = await startRabbitHub(b.url, prefix);
    const broker = await RawClient.open(hub.agentUrl); // a registered routing broker: chat now goes to its queue
    clients.push(broker);
    await broker.register('broker');
    const agent = await RawClient.open(hub.agentUrl);
    clients.push(agent);
    const agentId = await agent.register('agent', { delivery: 'websocket' });
    const fe = await RawClient.open(hub.agentUrl);
    clients.push(fe);
    const feId = await fe.register('frontend');
    fe.send({ message_type: 'TEXT', message_id: 'm-amqp', sender_id: feId, receiver_id: agentId, text_payload: 'for the broker', send_timestamp: '4:33:01 PM' });

    const consume = new Proc(spawn('amqp-consume', ['-u', b.url, '-q', q.brokerInput, '-c', '1', 'cat'], { stdio: ['ignore', 'pipe', 'pipe'] }));
    const { code } = await consume.waitExit(20_000).finally(() => consume.kill());
    assert.equal(code, 0, `amqp-consume exited ${code}:\n${consume.transcript()}`);
    const body = JSON.parse(consume.stdout.join('\n')) as Record<string, unknown>;
    const v = validateMessage(body);
    assert.ok(v.ok, `valid against the protocol schema: ${v.ok ? '' : v.error.message}`);
    assert.equal(body.message_type, 'TEXT');
    assert.equal(body.message_id, 'm-amqp');
    assert.equal(body.sender_id, feId);
    assert.equal(body.receiver_id, agentId);
    assert.equal(body.text_payload, 'for the broker');
    assert.equal(body.send_timestamp, '4:33:01 PM', 'timestamps pass through as opaque strings');
    assert.equal(body._client_id, feId);
    assert.equal(body._connection_type, 'frontend');
  } finally {
    for (const c of clients) await c.close();
    await hub?.stop();
    await cleanupRabbit(b.url, { prefix });
  }
});

test('a python3-pika seed agent consumes agent_queue_<id> with basic_get and replies over WebSocket, with and without a routing broker', async (t) => {
  const b = await requireBroker('rabbitmq', t);
  if (!b) return;
  const hasPy = (): boolean => spawnSync(PY, ['-c', 'import pika, websockets']).status === 0;
  if (!requireTool(t, 'python3-pika / python3-websockets', hasPy, 'apt-get install python3-pika python3-websockets')) return;
  const prefix = uniquePrefix('pika');
  let hub: Hub | undefined;
  let child: Proc | undefined;
  let brokerProc: Proc | undefined;
  const clients: RawClient[] = [];
  try {
    hub = await startRabbitHub(b.url, prefix);
    child = new Proc(spawn(PY, [join(__dirname, 'rabbitSeedAgent.py'), hub.agentUrl, b.url, prefix, '2'], { stdio: ['ignore', 'pipe', 'pipe'] }));
    // a Python that died (broker refused, hub closed) is reported with its exit code and what it said
    const agentId = (await child.waitForLine(/^REGISTERED (\S+)/, 45_000))[1]!;
    const fe = await RawClient.open(hub.agentUrl);
    clients.push(fe);
    const feId = await fe.register('frontend');

    // 1) embedded router on the bus (no routing broker)
    fe.send({ message_type: 'TEXT', message_id: 'm-py-1', sender_id: feId, receiver_id: agentId, text_payload: 'one' });
    const r1 = await fe.next((m) => m.message_type === 'REPLY' && m.in_reply_to_message_id === 'm-py-1', 'the pika agent reply (embedded)', 20_000);
    assert.equal(r1.text_payload, 'pika got: one');

    // 2) through `switchboard broker`, started the way a person starts it
    brokerProc = new Proc(
      spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'broker', '--rabbitmq-url', b.url, '--bus-prefix', prefix], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    await brokerProc.waitForLine(/broker ready/, 30_000);
    const h = hub;
    await waitFor(() => h.localBrokerCount() === 1, 'the broker to register with the hub (after SERVER_AVAILABLE)', 30_000);
    fe.send({ message_type: 'TEXT', message_id: 'm-py-2', sender_id: feId, receiver_id: agentId, text_payload: 'two' });
    const r2 = await fe.next((m) => m.message_type === 'REPLY' && m.in_reply_to_message_id === 'm-py-2', 'the pika agent reply (brokered)', 20_000);
    assert.equal(r2.text_payload, 'pika got: two');
    assert.equal((await child.waitExit(10_000)).code, 0, `the pika agent answered twice and exited cleanly:\n${child.transcript()}`);
  } finally {
    for (const c of clients) await c.close();
    await child?.kill();
    if (brokerProc && !brokerProc.exit) {
      brokerProc.child.kill('SIGTERM');
      await brokerProc.waitExit(5_000).catch(() => brokerProc!.kill());
    }
    await hub?.stop();
    await cleanupRabbit(b.url, { prefix });
  }
});

test('an SDK agent on a RabbitMQ hub reads its socket: it gets chat exactly once and never an agent queue', async (t) => {
  const b = await requireBroker('rabbitmq', t);
  if (!b) return;
  const prefix = uniquePrefix('sdkws');
  let hub: Hub | undefined;
  let a: AgentClient | undefined;
  try {
    hub = await startRabbitHub(b.url, prefix);
    a = new AgentClient({ url: hub.agentUrl, name: 'sdk', reconnect: false });
    const got: string[] = [];
    a.onMessage((m) => void got.push(String(m.text_payload)));
    await a.connect();
    for (let i = 0; i < 10; i++) hub.sendMessage({ receiver_id: a.id!, text_payload: `n${i}` });
    await waitFor(() => got.length === 10, '10 messages');
    assert.deepEqual(got, Array.from({ length: 10 }, (_, i) => `n${i}`));
    const amqp = await rawAmqp(b.url);
    try {
      assert.equal(await amqp.depth(seedQueueNames(prefix).agentQueue(a.id!)), -1, 'no agent_queue_<id> was even declared for it');
    } finally {
      await amqp.conn.close();
    }
  } finally {
    await a?.close().catch(() => undefined);
    await hub?.stop();
    await cleanupRabbit(b.url, { prefix });
  }
});

test('AGENT_EVENT reaches the agent.events routing key of the bus exchange as seed 000 JSON (read by a plain AMQP consumer)', async (t) => {
  const b = await requireBroker('rabbitmq', t);
  if (!b) return;
  const prefix = uniquePrefix('agentevents');
  let hub: Hub | undefined;
  let a: AgentClient | undefined;
  const amqp = await rawAmqp(b.url);
  try {
    hub = await startRabbitHub(b.url, prefix);
    const ch = await amqp.conn.createChannel();
    const exchange = `${prefix}switchboard.bus`;
    await ch.assertExchange(exchange, 'topic', { durable: true });
    const q = (await ch.assertQueue(`${prefix}events_reader`, { durable: false })).queue;
    await ch.bindQueue(q, exchange, 'agent.events');
    a = new AgentClient({ url: hub.agentUrl, name: 'eventful', reconnect: false });
    await a.connect();
    a.event('tool_called', { tool: 'search', ms: 12 });
    const ev = await waitFor(() => amqp.getJson(q), 'the AGENT_EVENT on the exchange');
    assert.equal(ev.event_type, 'tool_called');
    assert.deepEqual(ev.data, { tool: 'search', ms: 12 });
    assert.match(String(ev.timestamp), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/, 'UTC ISO');
    assert.ok('websocket_session_id' in ev);
    await ch.close();
  } finally {
    await a?.close().catch(() => undefined);
    await hub?.stop();
    await amqp.conn.close();
    await cleanupRabbit(b.url, { prefix });
  }
});
