// Context reconstruction over a real Kafka bus (seed 002 topics, a consumer group per peer), plus a peer written with
// kcat and python3 that knows nothing of our code.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import { requireBroker, uniquePrefix, waitFor } from './helpers';
import { scenarioTests, earlyFinishWithTimeline, type CarrierSetup } from '../integration/reconstructScenario';
import { createBus } from '../../src/bus/createBus';
import type { Bus } from '../../src/bus/bus';
import { contextRequestChannel, contextResponseChannel } from '../../src/bus/contextChannels';
import { BusContextTransport, type ContextChannels } from '../../src/reconstruction/busContextTransport';
import { Reconstructor } from '../../src/reconstruction/reconstructor';

/** What a test runs on: the seed's layout under names of its own (as KAFKA_CONTEXT_* would give), on a shared broker. */
interface KafkaCase extends CarrierSetup {
  makeBus: () => Bus;
  channels: ContextChannels;
  groupPrefix: string;
  brokers: string[];
  requestTopic: string;
  responseTopicPrefix: string;
}

async function kafkaSetup(t: TestContext): Promise<KafkaCase | undefined> {
  const info = await requireBroker('kafka', t);
  if (!info) return undefined;
  const p = uniquePrefix('ctx');
  const requestTopic = `${p}agent.context.request`;
  const responseTopicPrefix = `${p}agent.context.response`;
  t.after(async () => {
    // delete this test's topics and consumer groups: the broker outlives the run
    const admin = new Kafka({ clientId: 'sbt-cleanup', brokers: info.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const topics = (await admin.listTopics()).filter((x) => x.startsWith(p));
      if (topics.length) await admin.deleteTopics({ topics, timeout: 5000 }).catch(() => undefined);
      const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(p));
      if (groups.length) await admin.deleteGroups(groups).catch(() => undefined);
    } finally {
      await admin.disconnect();
    }
  });
  return {
    carrier: 'bus',
    makeBus: () => createBus({ kind: 'kafka', kafkaBrokers: info.brokers, prefix: `${p}.` }),
    channels: { request: contextRequestChannel(requestTopic), response: (id) => contextResponseChannel(id, responseTopicPrefix) },
    groupPrefix: `${p}paas-agent`,
    settleMs: 1500,
    brokers: info.brokers,
    requestTopic,
    responseTopicPrefix,
  };
}

scenarioTests('kafka', kafkaSetup);

test('kafka: a hub on the Kafka bus reconstructs over Kafka by itself (carrier auto) and finishes early', async (t) => {
  const setup = await kafkaSetup(t);
  if (!setup) return;
  const r = await earlyFinishWithTimeline({ ...setup, carrier: 'auto' });
  assert.equal(r.transport, 'kafka');
  process.stderr.write(`[timing] kafka bus, auto carrier, early finish: ${r.duration_ms} ms\n`);
});

test('kafka: a malformed answer on the response topic is rejected and reported; a good one is kept', async (t) => {
  const setup = await kafkaSetup(t);
  if (!setup) return;
  const bus = setup.makeBus();
  const requester = new BusContextTransport({ bus, channels: setup.channels });
  const peers = new BusContextTransport({ bus, channels: setup.channels, groupPrefix: setup.groupPrefix });
  const rec = new Reconstructor({ transport: requester });
  try {
    await peers.serve('good-peer', (req, reply) =>
      reply({ message_type: 'PROVIDE_CONTEXT', request_id: req.request_id, responder_id: 'good-peer', failed_agent_id: req.failed_agent_id, interactions: [], memory_state: { ok: 1 } }),
    );
    await peers.serve('bad-peer', (req, reply) =>
      reply({ message_type: 'PROVIDE_CONTEXT', request_id: req.request_id, responder_id: 'bad-peer', failed_agent_id: req.failed_agent_id, interactions: { no: 'list' } }),
    );
    await rec.start();
    const r = await rec.reconstruct('agent_dead0001', { timeoutMs: 20_000, expectedPeers: ['good-peer', 'bad-peer'] });
    assert.equal(r.finished, 'all_answered');
    assert.deepEqual(r.peers_answered, ['good-peer']);
    assert.equal(r.rejected_answers.length, 1);
    assert.equal(r.rejected_answers[0]!.responder_id, 'bad-peer');
    assert.deepEqual(r.memory_states, { 'good-peer': { ok: 1 } });
  } finally {
    await rec.close();
    await peers.close();
    await bus.close();
  }
});

/**
 * The interoperability peer: python3 driving kcat, no code of ours. It consumes the request topic in its own group and
 * answers with the seed's PROVIDE_CONTEXT JSON (no request_id: the seed keys answers by the response topic).
 */
const PY_PEER = String.raw`
import json, subprocess, sys
brokers, req_topic, resp_prefix, group, me = sys.argv[1:6]
cons = subprocess.Popen(['kcat', '-b', brokers, '-G', group, '-X', 'auto.offset.reset=earliest', '-u', '-q', '-f', '%s\n', req_topic],
                        stdout=subprocess.PIPE, text=True)
print('ready', flush=True)
for line in cons.stdout:
    try:
        msg = json.loads(line)
    except ValueError:
        continue
    if msg.get('message_type') != 'REQUEST_CONTEXT':
        continue
    answer = {
        'message_type': 'PROVIDE_CONTEXT',
        'responder_id': me,
        'failed_agent_id': msg['failed_agent_id'],
        'thread_id': msg.get('thread_id'),
        'interactions': [{'event_id': 'evt-py-1', 'event_type': 'TEXT', 'agent_id': me, 'timestamp': '2026-11-23T18:00:00Z',
                          'content': 'python peer asked for the quarterly numbers', 'direction': 'sent'}],
        'memory_state': {'last_topic': 'quarterly numbers'},
        'timestamp': '2026-11-23T18:00:01Z',
    }
    topic = resp_prefix + '.' + msg['requester_id']
    subprocess.run(['kcat', '-b', brokers, '-P', '-t', topic], input=json.dumps(answer) + '\n', text=True, check=True)
    print('answered', flush=True)
    cons.terminate()
    break
`;

test('kafka interoperability: a python3 + kcat peer that knows nothing of our code answers with the seed JSON and is counted', async (t) => {
  const setup = await kafkaSetup(t);
  if (!setup) return;
  const bus = setup.makeBus();
  const rec = new Reconstructor({ transport: new BusContextTransport({ bus, channels: setup.channels }) });
  // the request topic must exist before kcat subscribes: librdkafka does not look for it again for minutes
  const admin = new Kafka({ clientId: 'sbt-setup', brokers: setup.brokers, logLevel: logLevel.NOTHING }).admin();
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: setup.requestTopic, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    await rec.start();
  } catch (err) {
    await rec.close();
    await bus.close();
    throw err;
  }
  const py = spawn('/usr/bin/python3', ['-c', PY_PEER, setup.brokers.join(','), setup.requestTopic, setup.responseTopicPrefix, `${setup.groupPrefix}-py-peer`, 'py-peer'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  py.stdout.on('data', (d: Buffer) => (out += d.toString()));
  py.stderr.on('data', (d: Buffer) => (out += d.toString()));
  try {
    await waitFor(() => out.includes('ready'), 'the python peer to start', 15_000);
    const r = await rec.reconstruct('product-agent-1', { timeoutMs: 30_000, expectedPeers: ['py-peer'] });
    assert.equal(r.finished, 'all_answered', `python peer output: ${out}`);
    assert.deepEqual(r.peers_answered, ['py-peer']);
    assert.deepEqual(r.memory_states, { 'py-peer': { last_topic: 'quarterly numbers' } });
    const e = r.timeline.find((x) => x.message_id === 'evt-py-1');
    assert.ok(e, 'the seed-shaped interaction is normalised into the timeline');
    assert.equal(e.text_payload, 'python peer asked for the quarterly numbers');
    assert.equal(e.sender_id, 'py-peer');
    assert.equal(e.receiver_id, 'product-agent-1');
    process.stderr.write(`[timing] kafka python/kcat peer answered in ${r.duration_ms} ms\n`);
  } finally {
    py.kill();
    await rec.close();
    await bus.close();
  }
});
