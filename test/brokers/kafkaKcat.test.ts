// Interoperability with a Kafka client no one here wrote (Debian's kcat, librdkafka): it reads what our bus produced
// as plain JSON keyed by sender, and what it produces reaches our subscribers.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from './helpers';
import { kafkaSetup, numbered, runTool } from './kafkaTestKit';
import type { Envelope } from '../../src/protocol/schemas';

test('kcat reads what the bus produced: one JSON envelope per record, keyed by its sender', async (t) => {
  const s = await kafkaSetup(t, 'kcatread', true);
  if (!s) return;
  const bus = s.bus();
  const sent: Envelope[] = [numbered('agent_1', 0), numbered('web_2', 1, { text_payload: 'héllo "quoted" ✓' }), numbered('agent_1', 2)];
  for (const m of sent) await bus.publish('chat.default', m);
  const topic = bus.topicFor('chat.default');
  // -J: kcat's JSON envelope around each record (topic, partition, offset, key, payload as a string).
  const r = await runTool('kcat', ['-b', s.brokers.join(','), '-C', '-t', topic, '-o', 'beginning', '-c', String(sent.length), '-e', '-q', '-J'], {
    timeoutMs: 30_000,
  });
  assert.equal(r.code, 0, `kcat failed: ${r.stderr}`);
  const records = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { key: string; payload: string; partition: number });
  assert.equal(records.length, sent.length);
  const payloads = records.map((rec) => {
    const m = JSON.parse(rec.payload) as Envelope; // throws if what we put on the wire is not JSON
    assert.equal(rec.key, m.sender_id, 'the record key is the sender');
    return m;
  });
  const byId = new Map(payloads.map((m) => [m.message_id, m]));
  for (const m of sent) assert.deepEqual(byId.get(m.message_id), m, 'the record is the envelope, field for field');
  const agent1 = records.filter((rec) => rec.key === 'agent_1').map((rec) => rec.partition);
  assert.equal(new Set(agent1).size, 1, "one sender's records share a partition (their order holds)");
});

test('a message kcat produces reaches a subscriber of the bus; a second copy of it is dropped', async (t) => {
  const s = await kafkaSetup(t, 'kcatwrite', true);
  if (!s) return;
  const bus = s.bus();
  const got: Envelope[] = [];
  await bus.subscribe('chat.default', (m) => void got.push(m));
  const topic = bus.topicFor('chat.default');
  const msg = { message_type: 'TEXT', message_id: 'kcat-1', sender_id: 'agent_kcat', receiver_id: 'web_x', text_payload: 'from kcat' };
  const line = `agent_kcat|${JSON.stringify(msg)}\n`;
  // Produced twice (a client retrying): the subscriber must see it once.
  const r = await runTool('kcat', ['-b', s.brokers.join(','), '-P', '-t', topic, '-K', '|', '-q'], { input: line + line, timeoutMs: 30_000 });
  assert.equal(r.code, 0, `kcat failed: ${r.stderr}`);
  await waitFor(() => got.length >= 1, 'the message from kcat', 20_000);
  await bus.publish('chat.default', numbered('agent_kcat', 9)); // a marker behind the copies
  await waitFor(() => got.some((m) => m.message_id === 'agent_kcat-9'), 'the marker', 20_000);
  assert.deepEqual(
    got.map((m) => m.message_id),
    ['kcat-1', 'agent_kcat-9'],
  );
  assert.deepEqual(got[0], msg);
});
