// The seed's third generation end to end from Python (issue 15, 4): a gRPC agent on Debian's python3-grpcio (stubs
// generated from our .proto files) that reads its chat with pika from the queue named by its id and publishes its
// reply to broker_input_queue, as the seed's agent does — against a hub on the real RabbitMQ with no routing broker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { rabbitWorld } from './rabbitHarness';
import { Proc, ROOT } from '../integration/cliHarness';
import { generateSeedStubs, SEED_PYTHON } from '../integration/seedGrpcPython';

const AGENT = join(ROOT, 'test', 'integration', 'seedGrpcAgent.py');

test('a Python gRPC agent (grpcio + pika) gets a front-end TEXT on its RabbitMQ queue and its reply reaches that front-end; shutdown from the hub ends it', async (t) => {
  const stubs = generateSeedStubs(t, ['pika']);
  if (!stubs) return;
  const w = await rabbitWorld(t, 'grpcpy');
  if (!w) return;
  const hub = await w.hub({ grpcPort: 0 });
  const url = process.env.SWITCHBOARD_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
  const proc = new Proc(spawn(SEED_PYTHON, [AGENT, String(hub.grpcPort), stubs, 'py-seed', url, w.prefix], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
  try {
    const [, id] = await proc.waitForLine(/^registered (agent_[0-9a-f-]{36}) True$/, 20_000);
    await proc.waitForLine(/^queue ready$/, 20_000);
    const fe = await w.client(hub.agentUrl);
    const feId = await fe.register('frontend');
    fe.send({ message_type: 'TEXT', message_id: 'py-1', sender_id: feId, receiver_id: id, text_payload: 'status of the benchmark?' });
    await proc.waitForLine(/^replied py-1$/, 20_000);
    const reply = await fe.next((m) => m.message_type === 'TEXT' && m.in_reply_to_message_id === 'py-1', 'the Python agent reply');
    assert.equal(reply.sender_id, id);
    assert.equal(reply.text_payload, 'py-seed read: status of the benchmark?');

    hub.controlAgent('deregister', id!);
    await proc.waitForLine(/^unregistered True$/, 20_000);
    assert.equal((await proc.waitExit(20_000)).code, 0, proc.transcript());
  } finally {
    await proc.kill();
  }
});
