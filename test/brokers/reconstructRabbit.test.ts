// Context reconstruction over a real RabbitMQ bus: requests on a fanout exchange, answers on a reply queue per
// requester, plus a peer written with python3 and pika that knows only those names.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect } from 'amqplib';
import { requireBroker, uniquePrefix, waitFor } from './helpers';
import { scenarioTests, earlyFinishWithTimeline, type CarrierSetup } from '../integration/reconstructScenario';
import { createBus } from '../../src/bus/createBus';
import type { Bus } from '../../src/bus/bus';
import { contextRequestChannel, contextResponseChannel } from '../../src/bus/contextChannels';
import { BusContextTransport, type ContextChannels } from '../../src/reconstruction/busContextTransport';
import { Reconstructor } from '../../src/reconstruction/reconstructor';

/** What a test runs on: the seed's names under a prefix of its own, on a shared broker. */
interface RabbitCase extends CarrierSetup {
  makeBus: () => Bus;
  channels: ContextChannels;
  groupPrefix: string;
  url: string;
  requestExchange: string;
}

async function rabbitSetup(t: TestContext): Promise<RabbitCase | undefined> {
  const info = await requireBroker('rabbitmq', t);
  if (!info) return undefined;
  const p = uniquePrefix('ctx');
  const requestExchange = `${p}agent.context.request`;
  t.after(async () => {
    // leave the broker as we found it: the fanout exchange and the bus's exchange are durable (reply queues go with
    // their consumers)
    const conn = await connect(info.url);
    const ch = await conn.createChannel();
    await ch.deleteExchange(requestExchange).catch(() => undefined);
    await ch.deleteExchange(`${p}switchboard.bus`).catch(() => undefined);
    await conn.close().catch(() => undefined);
  });
  return {
    carrier: 'bus',
    makeBus: () => createBus({ kind: 'rabbitmq', rabbitmqUrl: info.url, prefix: p }),
    channels: { request: contextRequestChannel(requestExchange), response: (id) => contextResponseChannel(id, `${p}agent.context.response`) },
    groupPrefix: `${p}paas-agent`,
    url: info.url,
    requestExchange,
  };
}

scenarioTests('rabbitmq', rabbitSetup);

test('rabbitmq: a hub on the RabbitMQ bus reconstructs over RabbitMQ by itself (carrier auto) and finishes early', async (t) => {
  const setup = await rabbitSetup(t);
  if (!setup) return;
  const r = await earlyFinishWithTimeline({ ...setup, carrier: 'auto' });
  assert.equal(r.transport, 'rabbitmq');
  process.stderr.write(`[timing] rabbitmq bus, auto carrier, early finish: ${r.duration_ms} ms\n`);
});

test('rabbitmq: a malformed answer in the reply queue is rejected and reported; a good one is kept', async (t) => {
  const setup = await rabbitSetup(t);
  if (!setup) return;
  const bus = setup.makeBus();
  const requester = new BusContextTransport({ bus, channels: setup.channels });
  const peers = new BusContextTransport({ bus, channels: setup.channels, groupPrefix: setup.groupPrefix });
  const rec = new Reconstructor({ transport: requester });
  try {
    await peers.serve('good-peer', (req, reply) =>
      reply({ message_type: 'PROVIDE_CONTEXT', request_id: req.request_id, responder_id: 'good-peer', failed_agent_id: req.failed_agent_id, interactions: [], memory_state: { ok: 1 } }),
    );
    await peers.serve('bad-peer', (_req, reply) => reply('{{ not json at all'));
    await rec.start();
    const r = await rec.reconstruct('agent_dead0002', { timeoutMs: 1500, expectedPeers: ['good-peer', 'bad-peer'] });
    assert.deepEqual(r.peers_answered, ['good-peer']);
    assert.equal(r.rejected_answers.length, 1, JSON.stringify(r.rejected_answers));
    assert.deepEqual(r.memory_states, { 'good-peer': { ok: 1 } });
    // an unattributable body cannot say who sent it, so bad-peer stays silent and the timeout ends the wait
    assert.deepEqual(r.peers_silent, ['bad-peer']);
  } finally {
    await rec.close();
    await peers.close();
    await bus.close();
  }
});

/** A peer in Python with pika (Debian's package), knowing only the wire: fanout exchange in, reply_to out. */
const PY_PEER = String.raw`
import json, sys, pika
url, exchange, me = sys.argv[1:4]
conn = pika.BlockingConnection(pika.URLParameters(url))
ch = conn.channel()
ch.exchange_declare(exchange=exchange, exchange_type='fanout', durable=True)
q = ch.queue_declare(queue='', exclusive=True).method.queue
ch.queue_bind(queue=q, exchange=exchange)
print('ready', flush=True)
for method, props, body in ch.consume(q, auto_ack=True, inactivity_timeout=30):
    if body is None:
        break
    msg = json.loads(body)
    answer = {'message_type': 'PROVIDE_CONTEXT', 'request_id': msg.get('request_id'), 'responder_id': me,
              'failed_agent_id': msg['failed_agent_id'], 'interactions': [], 'memory_state': {'seen': True}}
    ch.basic_publish(exchange='', routing_key=props.reply_to or msg['reply_to'], body=json.dumps(answer),
                     properties=pika.BasicProperties(correlation_id=props.correlation_id))
    print('answered', flush=True)
    break
conn.close()
`;

test('rabbitmq interoperability: a python3 + pika peer answers through reply_to and is counted', async (t) => {
  const setup = await rabbitSetup(t);
  if (!setup) return;
  const bus = setup.makeBus();
  const rec = new Reconstructor({ transport: new BusContextTransport({ bus, channels: setup.channels }) });
  const py = spawn('/usr/bin/python3', ['-c', PY_PEER, setup.url, setup.requestExchange, 'pika-peer'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  py.stdout.on('data', (d: Buffer) => (out += d.toString()));
  py.stderr.on('data', (d: Buffer) => (out += d.toString()));
  try {
    await rec.start();
    await waitFor(() => out.includes('ready'), 'the python peer to start', 15_000);
    const r = await rec.reconstruct('agent_gone0003', { timeoutMs: 20_000, expectedPeers: ['pika-peer'] });
    assert.equal(r.finished, 'all_answered', out);
    assert.deepEqual(r.peers_answered, ['pika-peer']);
  } finally {
    py.kill();
    await rec.close();
    await bus.close();
  }
});
