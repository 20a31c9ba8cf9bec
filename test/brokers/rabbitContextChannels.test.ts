// Seed 002 channels on the RabbitMQ bus against the real broker: a raw amqplib peer that knows only the seed's wire
// (fanout exchange `agent.context.request`, reply queue `agent.context.response.<requester_id>`, reply_to and
// correlation id) talks with bus publish/subscribe on contextRequestChannel / contextResponseChannel, both ways.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type ConsumeMessage } from 'amqplib';
import { RabbitMqBus } from '../../src/bus/rabbitmqBus';
import { contextRequestChannel, contextResponseChannel } from '../../src/bus/contextChannels';
import type { Envelope } from '../../src/protocol/schemas';
import { cleanupRabbit, requireBroker, testLogger, uniquePrefix, waitFor } from './helpers';

function request(requester: string, replyTo: string, id: string): Envelope {
  return { message_type: 'REQUEST_CONTEXT', request_id: id, requester_id: requester, failed_agent_id: 'agent_dead0001', time_window_seconds: 60, reply_to: replyTo };
}

test('rabbitmq context channels: a raw amqplib seed peer answers a bus request through reply_to, and the bus requester gets it', async (t) => {
  const b = await requireBroker('rabbitmq', t);
  if (!b) return;
  const p = uniquePrefix('ctxch');
  const reqName = `${p}agent.context.request`;
  const respPrefix = `${p}agent.context.response`;
  const bus = new RabbitMqBus({ url: b.url, prefix: p, logger: testLogger(p) });
  const raw = await connect(b.url);
  try {
    await bus.ready();
    const replyChannel = contextResponseChannel('reconstructor-1', respPrefix);
    assert.equal(replyChannel, `context-response:${respPrefix}.reconstructor-1`);
    const replyQueue = `${respPrefix}.reconstructor-1`;
    const answers: Envelope[] = [];
    await bus.subscribe(replyChannel, (m) => void answers.push(m));

    // the peer, written as a seed agent would be: its own exclusive queue on the fanout exchange
    const ch = await raw.createChannel();
    await ch.assertExchange(reqName, 'fanout', { durable: true });
    const { queue } = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(queue, reqName, '');
    const seen: ConsumeMessage[] = [];
    await ch.consume(
      queue,
      (msg) => {
        if (!msg) return;
        seen.push(msg);
        const req = JSON.parse(msg.content.toString()) as { request_id: string; failed_agent_id: string };
        const answer = { message_type: 'PROVIDE_CONTEXT', request_id: req.request_id, responder_id: 'raw-peer', failed_agent_id: req.failed_agent_id, interactions: [], memory_state: { seen: true } };
        ch.sendToQueue(msg.properties.replyTo as string, Buffer.from(JSON.stringify(answer)), { correlationId: msg.properties.correlationId as string });
      },
      { noAck: true },
    );

    await bus.publish(contextRequestChannel(reqName), request('reconstructor-1', replyQueue, 'req-1'));
    await waitFor(() => answers.length === 1, 'the raw peer\'s answer on the reply queue');
    assert.equal(seen[0]!.properties.replyTo, replyQueue, 'the AMQP replyTo carries the reply queue');
    assert.equal(seen[0]!.properties.correlationId, 'req-1', 'the AMQP correlationId carries the request id');
    assert.equal(answers[0]!.message_type, 'PROVIDE_CONTEXT');
    assert.equal(answers[0]!.responder_id, 'raw-peer');
    assert.equal(answers[0]!.request_id, 'req-1');

    // releaseChannel deletes the reply queue (the requester is done with it)
    await bus.releaseChannel(replyChannel);
    const probe = await raw.createChannel();
    probe.on('error', () => undefined); // the 404 closes it
    const gone = await probe.checkQueue(replyQueue).then(
      () => false,
      () => true,
    );
    assert.ok(gone, 'the reply queue is deleted');
  } finally {
    await bus.close();
    await raw.close().catch(() => undefined);
    await cleanupRabbit(b.url, { prefix: p, exchanges: [reqName] });
  }
});

test('rabbitmq context channels: bus peers in groups answer a raw amqplib requester; each group sees each request once, from when it joined', async (t) => {
  const b = await requireBroker('rabbitmq', t);
  if (!b) return;
  const p = uniquePrefix('ctxgr');
  const reqName = `${p}agent.context.request`;
  const respPrefix = `${p}agent.context.response`;
  const buses = [0, 1, 2].map((i) => new RabbitMqBus({ url: b.url, prefix: p, logger: testLogger(`${p}${i}`) }));
  const raw = await connect(b.url);
  try {
    await Promise.all(buses.map((x) => x.ready()));
    const ch = await raw.createConfirmChannel();
    // the raw requester: the seed's exchange and its own exclusive reply queue
    await ch.assertExchange(reqName, 'fanout', { durable: true });
    const replyQueue = `${respPrefix}.raw-requester`;
    await ch.assertQueue(replyQueue, { exclusive: true, autoDelete: true, durable: false });
    const answers: Array<{ body: Record<string, unknown>; correlationId: unknown }> = [];
    await ch.consume(replyQueue, (msg) => msg && answers.push({ body: JSON.parse(msg.content.toString()) as Record<string, unknown>, correlationId: msg.properties.correlationId }), { noAck: true });
    const publishRaw = (body: unknown): Promise<void> =>
      new Promise((resolve, reject) => ch.publish(reqName, '', Buffer.from(JSON.stringify(body)), { replyTo: replyQueue }, (err) => (err ? reject(err) : resolve())));

    // published before any peer listens: nobody gets it later
    await publishRaw(request('raw-requester', replyQueue, 'before'));

    const got: Record<string, string[]> = { a1: [], a2: [], b: [] };
    const peer = (name: string, group: string, bus: RabbitMqBus) =>
      bus.subscribe(
        contextRequestChannel(reqName),
        async (m) => {
          got[name]!.push(String(m.request_id));
          await bus.publish(contextResponseChannel(String(m.requester_id), respPrefix), {
            message_type: 'PROVIDE_CONTEXT',
            request_id: m.request_id,
            responder_id: group,
            failed_agent_id: m.failed_agent_id,
            interactions: [],
            memory_state: {},
          });
        },
        { group },
      );
    await peer('a1', 'paas-agent-a', buses[0]!);
    await peer('a2', 'paas-agent-a', buses[1]!);
    await peer('b', 'paas-agent-b', buses[2]!);
    for (let i = 0; i < 6; i++) await publishRaw(request('raw-requester', replyQueue, `r${i}`));
    await waitFor(() => answers.length === 12, '12 answers (6 requests × 2 groups)');
    assert.equal(got.a1!.length + got.a2!.length, 6, 'group a saw each request once');
    assert.equal(got.b!.length, 6, 'group b saw each request');
    assert.ok(!Object.values(got).flat().includes('before'), 'a request from before the peers joined is not replayed');
    assert.deepEqual(new Set(answers.map((a) => a.correlationId)), new Set(['r0', 'r1', 'r2', 'r3', 'r4', 'r5']), 'answers carry the request id as correlation id');
    assert.deepEqual(new Set(answers.map((a) => a.body.responder_id)), new Set(['paas-agent-a', 'paas-agent-b']));
  } finally {
    await Promise.all(buses.map((x) => x.close()));
    await raw.close().catch(() => undefined);
    await cleanupRabbit(b.url, { prefix: p, exchanges: [reqName] });
  }
});

test('rabbitmq context channels: a body that is not an envelope is dropped and reported to onUndecodable; the next one arrives', async (t) => {
  const b = await requireBroker('rabbitmq', t);
  if (!b) return;
  const p = uniquePrefix('ctxbad');
  const respPrefix = `${p}agent.context.response`;
  const bus = new RabbitMqBus({ url: b.url, prefix: p, logger: testLogger(p) });
  const raw = await connect(b.url);
  try {
    await bus.ready();
    const bad: Array<{ bytes: number; preview: string }> = [];
    const good: Envelope[] = [];
    await bus.subscribe(contextResponseChannel('r1', respPrefix), (m) => void good.push(m), { onUndecodable: (i) => void bad.push(i) });
    const ch = await raw.createChannel();
    ch.sendToQueue(`${respPrefix}.r1`, Buffer.from('{{ not json at all'));
    ch.sendToQueue(`${respPrefix}.r1`, Buffer.from(JSON.stringify({ message_type: 'PROVIDE_CONTEXT', responder_id: 'x' })));
    await waitFor(() => good.length === 1 && bad.length === 1, 'one dropped, one delivered');
    assert.equal(bad[0]!.preview, '{{ not json at all');
    assert.equal(bad[0]!.bytes, 18);
  } finally {
    await bus.close();
    await raw.close().catch(() => undefined);
    await cleanupRabbit(b.url, { prefix: p });
  }
});
