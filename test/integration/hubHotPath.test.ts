// The hub's fast paths keep every behaviour: a chat frame forwarded from its own text (plus the keys the hub adds)
// carries exactly what serialising the routed message would; spoofed senders and in-place keys fall back to
// serialising; the log and monitors get the same entries; a burst of frames written in one batch arrives in order;
// many monitors at the same position get the same batch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHub, connect, agent, frontend, closeAll, waitUntil, type TestClient } from './hubHarness';
import type { Envelope } from '../../src/protocol/schemas';
import type { LogEntry } from '../../src/protocol/logEntry';

async function monitor(hub: Awaited<ReturnType<typeof startHub>>): Promise<TestClient> {
  const m = await connect(hub);
  m.send({ message_type: 'REGISTER_MONITOR', monitor_name: 'm', backlog: 0 });
  await m.waitType('REGISTER_MONITOR_RESPONSE');
  return m;
}

function monitorEntries(m: TestClient): LogEntry[] {
  return m.ofType('MONITOR_EVENTS').flatMap((f) => f.entries as LogEntry[]);
}

test('a chat frame forwarded from its own text equals the routed message, for the receiver, the log and monitors', async () => {
  const hub = await startHub({ monitorBatchMs: 10 });
  const a = await agent(hub, 'a');
  const b = await agent(hub, 'b');
  const m = await monitor(hub);
  // spacing and key order of the sender's own JSON; no message_id, no send_timestamp
  a.c.sendRaw(`{ "message_type" : "TEXT", "receiver_id": "${b.id}", "sender_id": "${a.id}", "text_payload": "caf\\u00e9 \\"q\\"", "n": 1.5, "nested": {"k": [1, 2]} }`);
  const got = await b.c.waitType('TEXT');
  assert.equal(got.text_payload, 'café "q"');
  assert.equal(got.sender_id, a.id);
  assert.equal(got.n, 1.5);
  assert.deepEqual(got.nested, { k: [1, 2] });
  assert.match(String(got.message_id), /^msg_/);
  assert.equal(typeof got.send_timestamp, 'string');
  assert.equal(got._client_id, a.id);
  assert.equal(got.routing_status, 'routed');
  const mid = got.message_id as string;
  // the in-memory log and the monitor carry the same entries, bodies included
  const logged = hub.log.query({ thread: mid });
  assert.deepEqual(logged.map((e) => e.direction), ['in', 'out']);
  assert.equal(logged[0]!.body.routing_status, undefined, 'the inbound entry is the message as it came in');
  assert.deepEqual(logged[1]!.body, got, 'the outbound entry is the frame as sent');
  await waitUntil(() => monitorEntries(m).filter((e) => e.message_id === mid).length === 2, 3000, 'both entries at the monitor');
  const streamed = monitorEntries(m).filter((e) => e.message_id === mid);
  assert.deepEqual(streamed, JSON.parse(JSON.stringify(logged)));
  await closeAll(hub, a, b, m);
});

test('a spoofed sender_id is replaced in the forwarded frame and in the log, whatever the frame text said', async () => {
  const hub = await startHub({ monitorBatchMs: 10 });
  const a = await agent(hub, 'a');
  const b = await agent(hub, 'b');
  a.c.sendRaw(JSON.stringify({ message_type: 'TEXT', sender_id: b.id, receiver_id: b.id, text_payload: 'spoof', message_id: 'mid-1' }));
  const got = await b.c.waitType('TEXT');
  assert.equal(got.sender_id, a.id);
  assert.equal(got.message_id, 'mid-1');
  const logged = hub.log.query({ thread: 'mid-1' });
  assert.ok(logged.length === 2 && logged.every((e) => e.sender_id === a.id && e.body.sender_id === a.id));
  assert.ok(!hub.log.export('ndjson').includes(`"sender_id":"${b.id}","receiver_id"`), 'no log line carries the spoofed id as sender');
  await closeAll(hub, a, b);
});

test('keys the router would overwrite in place (routing_status, _client_id, a null send_timestamp) are overwritten', async () => {
  const hub = await startHub();
  const a = await agent(hub, 'a');
  const b = await agent(hub, 'b');
  a.c.sendRaw(JSON.stringify({ message_type: 'TEXT', receiver_id: b.id, text_payload: 'x', routing_status: 'fake', _client_id: 'someone', send_timestamp: null }));
  const got = await b.c.waitType('TEXT');
  assert.equal(got.routing_status, 'routed');
  assert.equal(got._client_id, a.id);
  assert.equal(got.sender_id, a.id);
  assert.equal(typeof got.send_timestamp, 'string');
  assert.match(String(got.message_id), /^msg_/);
  const logged = hub.log.query({ thread: got.message_id as string });
  assert.equal(logged[0]!.body.routing_status, 'fake', 'the inbound entry keeps what the client sent');
  assert.deepEqual(logged[1]!.body, got);
  await closeAll(hub, a, b);
});

test('a broadcast reaches agents and front-ends as the same routed message', async () => {
  const hub = await startHub();
  const a = await agent(hub, 'a');
  const b = await agent(hub, 'b');
  const f = await frontend(hub);
  a.c.sendRaw(JSON.stringify({ message_type: 'TEXT', sender_id: a.id, receiver_id: 'broadcast', text_payload: 'all' }));
  const atB = await b.c.waitType('TEXT');
  const atF = await f.c.waitType('TEXT');
  assert.deepEqual(atF, atB);
  assert.equal(atB.routing_status, 'routed');
  await closeAll(hub, a, b, f);
});

test('a burst of frames to one client, written in one batch per event-loop turn, arrives complete and in order', async () => {
  const hub = await startHub({ rateLimitPerSecond: 100_000 });
  const a = await agent(hub, 'a');
  const b = await agent(hub, 'b');
  const N = 500;
  const frames: string[] = [];
  for (let i = 0; i < N; i++) frames.push(JSON.stringify({ message_type: 'TEXT', sender_id: a.id, receiver_id: b.id, text_payload: `n${i}` }));
  a.c.ws.send(frames.join('')); // one invalid frame first (several objects), then the burst
  for (const fr of frames) a.c.ws.send(fr);
  await waitUntil(() => b.c.ofType('TEXT').length === N, 5000, 'every frame');
  assert.deepEqual(b.c.ofType('TEXT').map((m: Envelope) => m.text_payload), frames.map((_, i) => `n${i}`));
  assert.equal((await a.c.waitType('ERROR')).error_code ?? 'invalid_json', 'invalid_json');
  await closeAll(hub, a, b);
});

test('monitors at the same position get the same batches; entries appended while none listens are not kept', async () => {
  const hub = await startHub({ monitorBatchMs: 10 });
  const a = await agent(hub, 'a');
  const b = await agent(hub, 'b');
  const ms = [await monitor(hub), await monitor(hub), await monitor(hub)];
  for (let i = 0; i < 20; i++) a.c.send({ message_type: 'TEXT', receiver_id: b.id, text_payload: `m${i}` });
  const texts = (m: TestClient): unknown[] => monitorEntries(m).filter((e) => e.direction === 'in' && e.message_type === 'TEXT').map((e) => e.body.text_payload);
  await waitUntil(() => ms.every((m) => texts(m).length === 20), 3000, 'every monitor to see every message');
  for (const m of ms) assert.deepEqual(texts(m), Array.from({ length: 20 }, (_, i) => `m${i}`));
  await closeAll(hub, a, b, ...ms);
});
