// The pure parts of reconstruction: timeline merge and de-duplication, what is owed, the peer's answer, settings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LogEntry } from '../../src/protocol/logEntry';
import { mergeTimeline, toEpochMs } from '../../src/reconstruction/timeline';
import { ContextResponder } from '../../src/sdk/contextResponder';
import { resolveContextSettings } from '../../src/reconstruction/contextConfig';
import { AnswerCollector } from '../../src/reconstruction/answerCollector';
import type { Envelope } from '../../src/protocol/schemas';

let seq = 0;
function entry(direction: LogEntry['direction'], body: Record<string, unknown>, extra: Partial<LogEntry> = {}): LogEntry {
  return {
    seq: ++seq,
    time: (extra.time as number) ?? 1_000_000 + seq,
    direction,
    message_type: body.message_type as string,
    message_id: body.message_id as string | undefined,
    sender_id: body.sender_id as string | undefined,
    receiver_id: body.receiver_id as string | undefined,
    in_reply_to_message_id: body.in_reply_to_message_id as string | undefined,
    size: 10,
    body,
    ...extra,
  };
}

const F = 'agent_dead';

test('hub log and peer answers merge into one timeline, de-duplicated by message_id, sources combined', () => {
  const m1 = { message_type: 'TEXT', message_id: 'm1', sender_id: 'agent_p', receiver_id: F, text_payload: 'do it' };
  const out = mergeTimeline({
    failedAgentId: F,
    threadId: null,
    hubEntries: [entry('in', m1, { client_id: 'agent_p' }), entry('out', m1, { client_id: F })],
    answers: [{ responder_id: 'agent_p', interactions: [{ message_id: 'm1', direction: 'sent', text_payload: 'do it' }, { message_id: 'm0', direction: 'received', timestamp: 1000, text_payload: 'earlier' }] }],
    maxEntries: 100,
  });
  assert.deepEqual(out.timeline.map((e) => e.message_id), ['m0', 'm1']);
  assert.deepEqual(out.timeline[1]!.sources, ['hub', 'agent_p']);
  assert.equal(out.timeline[0]!.sender_id, F, 'a received interaction came from the failed agent');
  assert.deepEqual(out.unanswered.map((e) => e.message_id), ['m1']);
});

test('a REPLY with in_reply_to answers; an early agent REPLY without it answers the oldest open one from that sender; a TEXT answers nothing', () => {
  const a = { message_type: 'TEXT', message_id: 'a', sender_id: 'agent_p', receiver_id: F };
  const b = { message_type: 'TEXT', message_id: 'b', sender_id: 'agent_q', receiver_id: F };
  const c = { message_type: 'TEXT', message_id: 'c', sender_id: 'agent_p', receiver_id: F };
  const out = mergeTimeline({
    failedAgentId: F,
    threadId: null,
    hubEntries: [
      entry('out', a, { client_id: F }),
      entry('out', b, { client_id: F }),
      entry('out', c, { client_id: F }),
      entry('in', { message_type: 'REPLY', message_id: 'r1', sender_id: F, receiver_id: 'agent_p', in_reply_to_message_id: 'c' }, { client_id: F }),
      entry('in', { message_type: 'REPLY', message_id: 'r2', sender_id: F, receiver_id: 'agent_p' }, { client_id: F }),
      entry('in', { message_type: 'TEXT', message_id: 't1', sender_id: F, receiver_id: 'agent_q' }, { client_id: F }),
    ],
    answers: [],
    maxEntries: 100,
  });
  assert.deepEqual(out.unanswered.map((e) => e.message_id), ['b']);
});

test('a message the hub received for the agent but never wrote to it is undelivered, not unanswered', () => {
  const m = { message_type: 'TEXT', message_id: 'x', sender_id: 'agent_p', receiver_id: F };
  const out = mergeTimeline({ failedAgentId: F, threadId: null, hubEntries: [entry('in', m, { client_id: 'agent_p' })], answers: [], maxEntries: 100 });
  assert.deepEqual(out.unanswered, []);
  assert.deepEqual(out.undelivered.map((e) => e.message_id), ['x']);
});

test('a thread filter keeps only that thread; the timeline bound drops the oldest and counts them', () => {
  const hubEntries = [1, 2, 3, 4].map((i) =>
    entry('out', { message_type: 'TEXT', message_id: `t${i}`, sender_id: 'agent_p', receiver_id: F, thread: i % 2 ? 'odd' : 'even' }, { client_id: F, thread: i % 2 ? 'odd' : 'even' }),
  );
  const odd = mergeTimeline({ failedAgentId: F, threadId: 'odd', hubEntries, answers: [], maxEntries: 100 });
  assert.deepEqual(odd.timeline.map((e) => e.message_id), ['t1', 't3']);
  const bounded = mergeTimeline({ failedAgentId: F, threadId: null, hubEntries, answers: [], maxEntries: 3 });
  assert.deepEqual(bounded.timeline.map((e) => e.message_id), ['t2', 't3', 't4']);
  assert.equal(bounded.dropped, 1);
});

test('seed-shaped interactions (event_id, content, epoch seconds) are normalised; same content without ids de-duplicates', () => {
  const out = mergeTimeline({
    failedAgentId: F,
    threadId: null,
    hubEntries: [],
    answers: [
      { responder_id: 'py', interactions: [{ event_id: 'e1', event_type: 'TEXT', content: 'hello', timestamp: 1_700_000_000, direction: 'sent' } as never] },
      { responder_id: 'q1', interactions: [{ text_payload: 'same', sender_id: 'q', receiver_id: F, timestamp: '2026-01-01T00:00:00Z' }] },
      { responder_id: 'q2', interactions: [{ text_payload: 'same', sender_id: 'q', receiver_id: F, timestamp: '2026-01-01T00:00:00Z' }] },
    ],
    maxEntries: 100,
  });
  const e1 = out.timeline.find((e) => e.message_id === 'e1')!;
  assert.equal(e1.text_payload, 'hello');
  assert.equal(e1.time, new Date(1_700_000_000_000).toISOString());
  assert.equal(e1.receiver_id, F);
  assert.equal(out.timeline.length, 2);
  assert.deepEqual(out.timeline[1]!.sources, ['q1', 'q2']);
  assert.equal(toEpochMs('4:33:01 PM'), null);
});

function responder(now: { t: number }, opts: Partial<ConstructorParameters<typeof ContextResponder>[0]> = {}): { r: ContextResponder; sent: Envelope[] } {
  const sent: Envelope[] = [];
  const r = new ContextResponder({ selfId: () => 'agent_me', send: (m) => void sent.push(m), now: () => now.t, enabled: true, ...opts });
  return { r, sent };
}

test('a peer answers with its interactions with the failed agent only, within the window and the thread', async () => {
  const now = { t: 1_000_000 };
  const { r, sent } = responder(now);
  r.record('received', { message_type: 'TEXT', message_id: 'old', sender_id: F, receiver_id: 'agent_me' });
  now.t += 7200_000;
  r.record('received', { message_type: 'TEXT', message_id: 'in1', sender_id: F, receiver_id: 'agent_me', thread: 'th' });
  r.record('sent', { message_type: 'REPLY', message_id: 'out1', sender_id: 'agent_me', receiver_id: F, in_reply_to_message_id: 'in1' });
  r.record('sent', { message_type: 'TEXT', message_id: 'other', sender_id: 'agent_me', receiver_id: 'agent_x' });
  r.record('received', { message_type: 'STATUS', sender_id: F });
  r.setMemoryState((q) => ({ about: q.failed_agent_id }));
  assert.equal(r.handle({ message_type: 'REQUEST_CONTEXT', request_id: 'r1', requester_id: 'rec', failed_agent_id: F, time_window_seconds: 3600 }), true);
  await new Promise((res) => setImmediate(res));
  assert.equal(sent.length, 1);
  const a = sent[0]!;
  assert.equal(a.request_id, 'r1');
  assert.equal(a.receiver_id, 'rec');
  assert.deepEqual((a.interactions as { message_id: string }[]).map((i) => i.message_id), ['in1', 'out1']);
  assert.deepEqual(a.memory_state, { about: F });
  const threaded = r.answer({ message_type: 'REQUEST_CONTEXT', requester_id: 'rec', failed_agent_id: F, thread_id: 'th', time_window_seconds: 3600 })!;
  assert.deepEqual(threaded.interactions.map((i) => i.message_id), ['in1']);
  assert.equal(threaded.request_id, undefined, 'a seed request without request_id gets an answer without one');
});

test('a peer trims its answer to the size cap (oldest first) and keeps its log bounded', () => {
  const now = { t: 5_000_000 };
  const { r } = responder(now, { maxAnswerBytes: 4096, maxInteractions: 50 });
  for (let i = 0; i < 80; i++) r.record('received', { message_type: 'TEXT', message_id: `m${i}`, sender_id: F, text_payload: 'x'.repeat(200) });
  assert.equal(r.size, 50);
  const a = r.answer({ message_type: 'REQUEST_CONTEXT', requester_id: 'rec', failed_agent_id: F, time_window_seconds: 3600 })!;
  assert.ok(Buffer.byteLength(JSON.stringify(a)) <= 4096);
  assert.ok(a.interactions.length > 0 && a.interactions.length < 50);
  assert.equal(a.interactions.at(-1)!.message_id, 'm79', 'the newest are kept');
  assert.equal(a.interactions_dropped, 50 - a.interactions.length);
});

test('PEER_CONTEXT_ENABLED=false: the request is consumed but not answered; the failed agent never answers for itself', async () => {
  const { r, sent } = responder({ t: 1 }, { enabled: false });
  assert.equal(r.handle({ message_type: 'REQUEST_CONTEXT', request_id: 'r', requester_id: 'rec', failed_agent_id: F }), true);
  const self = responder({ t: 1 }).r;
  assert.equal(self.answer({ message_type: 'REQUEST_CONTEXT', requester_id: 'rec', failed_agent_id: 'agent_me' }), undefined);
  await new Promise((res) => setImmediate(res));
  assert.equal(sent.length, 0);
});

test('the seed environment variables map onto the settings; explicit overrides win, undefined ones do not', () => {
  const env = { PEER_CONTEXT_ENABLED: 'false', PEER_CONTEXT_TIMEOUT_SECONDS: '2.5', KAFKA_CONSUMER_GROUP_PREFIX: ' grp ' };
  const s = resolveContextSettings({ windowSeconds: 60, maxAnswers: undefined }, env);
  assert.equal(s.peerContextEnabled, false);
  assert.equal(s.timeoutMs, 2500);
  assert.equal(s.peerGroupPrefix, 'grp');
  assert.equal(resolveContextSettings({}, {}).peerGroupPrefix, 'paas-agent');
  assert.equal(s.windowSeconds, 60);
  assert.equal(s.maxAnswers, 1000);
  assert.equal(resolveContextSettings({ timeoutMs: 700 }, env).timeoutMs, 700);
  assert.equal(resolveContextSettings({}, {}).timeoutMs, 5000);
  assert.equal(resolveContextSettings({}, { PEER_CONTEXT_ENABLED: 'yes', PEER_CONTEXT_TIMEOUT_SECONDS: '-1' }).peerContextEnabled, true);
  assert.equal(resolveContextSettings({}, { PEER_CONTEXT_TIMEOUT_SECONDS: 'soon' }).timeoutMs, 5000);
});

test('the collector rejects oversized and off-topic answers, ignores a second answer from a peer, and finishes when all answered', async () => {
  const c = new AnswerCollector({ requestId: 'r', failedAgentId: F, threadId: null, timeoutMs: 60_000, maxAnswerBytes: 600, maxAnswers: 10 });
  c.start();
  c.setExpected(['p1', 'p2']);
  const ok = (p: string): Envelope => ({ message_type: 'PROVIDE_CONTEXT', request_id: 'r', responder_id: p, failed_agent_id: F, interactions: [] });
  assert.equal(c.offer(ok('p1')), 'accepted');
  assert.equal(c.offer(ok('p1')), 'duplicate');
  assert.equal(c.offer({ ...ok('p9'), request_id: 'other' }), 'foreign');
  assert.equal(c.offer({ ...ok('p3'), failed_agent_id: 'agent_else' }), 'rejected');
  assert.equal(c.offer({ ...ok('p2'), interactions: [{ text_payload: 'y'.repeat(1000) }] }), 'rejected');
  const o = await c.done;
  assert.equal(o.reason, 'all_answered', 'p2 responded (badly): nobody waits for it');
  assert.deepEqual(o.answers.map((a) => a.responder_id), ['p1']);
  assert.equal(o.rejected.length, 2);
  assert.deepEqual(o.refused, ['p2']);
  assert.equal(o.duplicates, 1);
});
