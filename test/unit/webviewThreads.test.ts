// Thread extraction and the sequence-diagram model: which messages belong to a conversation, one arrow per
// message however many copies the hub logged, lanes in order of appearance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LogEntry } from '../../src/protocol/logEntry';
import { buildSequence, extractThread, isThreadable, layoutSequence, LAYOUT, MAX_THREAD_MESSAGES } from '../../src/webview/threads';

let seq = 0;
function msg(type: string, from: string, to: string, p: Partial<LogEntry> & { text?: string } = {}): LogEntry {
  const { text, ...rest } = p;
  return {
    seq: ++seq,
    time: 1_700_000_000_000 + seq,
    direction: 'in',
    message_type: type,
    sender_id: from,
    receiver_id: to,
    size: 1,
    body: { message_type: type, sender_id: from, receiver_id: to, text_payload: text ?? `${type} ${seq}` },
    ...rest,
  };
}

test('a reply chain is followed up to its root and down to every reply, whichever message is picked', () => {
  const q = msg('TEXT', 'web_1', 'agent_p', { message_id: 'm1' });
  const delegate = msg('TEXT', 'agent_p', 'agent_r', { message_id: 'm2', in_reply_to_message_id: 'm1' });
  const answer = msg('REPLY', 'agent_r', 'agent_p', { message_id: 'm3', in_reply_to_message_id: 'm2' });
  const final = msg('REPLY', 'agent_p', 'web_1', { message_id: 'm4', in_reply_to_message_id: 'm1' });
  const unrelated = msg('TEXT', 'web_2', 'agent_x', { message_id: 'm9' });
  const all = [q, delegate, unrelated, answer, final];
  for (const seed of [q, answer, final]) {
    assert.deepEqual(extractThread(all, seed).map((e) => e.message_id), ['m1', 'm2', 'm3', 'm4']);
  }
  assert.deepEqual(extractThread(all, unrelated).map((e) => e.message_id), ['m9']);
});

test('a shared thread (or conversation_id) joins messages that carry no reply link', () => {
  const a = msg('PUBLISH', 'agent_a', 'topic', { message_id: 'p1', thread: 't-1' });
  const b = msg('PUBLISH', 'agent_b', 'topic', { message_id: 'p2', body: { message_type: 'PUBLISH', thread: 't-1' } });
  const c = msg('PUBLISH', 'agent_c', 'topic', { message_id: 'p3', body: { message_type: 'PUBLISH', conversation_id: 't-1' } });
  const d = msg('TEXT', 'web_1', 'agent_a', { message_id: 'x', in_reply_to_message_id: 'p3' });
  assert.deepEqual(extractThread([a, b, c, d], a).map((e) => e.message_id), ['p1', 'p2', 'p3', 'x']);
});

test('an entry with no id, no parent and no thread is not threadable', () => {
  const bare = msg('REPLY', 'agent_a', 'web_1', { body: { text_payload: 'hi' } });
  assert.equal(isThreadable(bare), false);
  assert.equal(isThreadable(msg('TEXT', 'a', 'b', { message_id: 'm' })), true);
});

test('the diagram shows one arrow per message: inbound and delivered copies of one id collapse', () => {
  const inbound = msg('TEXT', 'web_1', 'agent_a', { message_id: 'm1', direction: 'in', client_id: 'web_1' });
  const delivered = { ...inbound, seq: ++seq, direction: 'out' as const, client_id: 'agent_a' };
  const copy = { ...inbound, seq: ++seq, direction: 'out' as const, client_id: 'web_2' };
  const reply = msg('REPLY', 'agent_a', 'web_1', { message_id: 'm2', in_reply_to_message_id: 'm1' });
  const model = buildSequence([delivered, inbound, copy, reply].sort((x, y) => x.seq - y.seq));
  assert.deepEqual(model.participants, ['web_1', 'agent_a']);
  assert.deepEqual(model.messages.map((m) => [m.type, m.from, m.to]), [['TEXT', 'web_1', 'agent_a'], ['REPLY', 'agent_a', 'web_1']]);
  assert.equal(model.messages[0]!.seq, inbound.seq, 'the inbound copy is the one drawn');
});

test('layout: a lane per participant left to right, rows top to bottom, self-messages marked', () => {
  const model = buildSequence([
    msg('TEXT', 'a', 'b', { message_id: '1' }),
    msg('STATUS', 'b', 'b', { message_id: '2' }),
    msg('REPLY', 'b', 'c', { message_id: '3' }),
  ]);
  const lay = layoutSequence(model);
  assert.deepEqual(lay.lanes.map((l) => l.id), ['a', 'b', 'c']);
  assert.ok(lay.lanes[0]!.x < lay.lanes[1]!.x && lay.lanes[1]!.x < lay.lanes[2]!.x);
  assert.deepEqual(lay.arrows.map((a) => a.self), [false, true, false]);
  assert.ok(lay.arrows[0]!.y < lay.arrows[1]!.y);
  assert.equal(lay.arrows[2]!.x1, lay.lanes[1]!.x);
  assert.equal(lay.arrows[2]!.x2, lay.lanes[2]!.x);
  assert.ok(lay.width >= lay.lanes[2]!.x + LAYOUT.margin - 1);
  assert.ok(lay.height > lay.arrows[2]!.y);
});

test('the lanes close up to fit the box they are drawn in, down to a minimum gap beyond which the box scrolls', () => {
  const three = buildSequence([msg('TEXT', 'a', 'b', { message_id: '1' }), msg('REPLY', 'b', 'c', { message_id: '2' }), msg('TEXT', 'c', 'c', { message_id: '3' })]);
  const wide = layoutSequence(three);
  assert.equal(wide.lanes[1]!.x - wide.lanes[0]!.x, LAYOUT.laneGap, 'no box: the full gap');
  assert.equal(wide.headWidth, LAYOUT.headWidth);
  for (const box of [505, 400]) {
    const lay = layoutSequence(three, box);
    assert.ok(lay.width <= box, `three lanes fit ${box} px: ${lay.width}`);
    const last = lay.lanes[2]!.x;
    assert.ok(last + lay.headWidth / 2 < lay.width, 'the last lane\'s name box is inside the drawing');
    assert.ok(lay.headWidth < lay.lanes[1]!.x - lay.lanes[0]!.x, 'name boxes do not touch');
  }
  assert.deepEqual(layoutSequence(three, 2000), wide, 'a wide box changes nothing');
  const many = buildSequence(['b', 'c', 'd', 'e', 'f'].map((to, i) => msg('TEXT', 'a', to, { message_id: `m${i}` })));
  const narrow = layoutSequence(many, 400);
  assert.equal(narrow.lanes[1]!.x - narrow.lanes[0]!.x, LAYOUT.minLaneGap, 'six lanes stay legible; the box scrolls');
  assert.ok(narrow.width > 400);
});

test('a very long thread is cut to a bound and says how many were left out', () => {
  const list = Array.from({ length: MAX_THREAD_MESSAGES + 7 }, (_, i) => msg('TEXT', 'a', 'b', { message_id: `m${i}`, thread: 'big' }));
  const model = buildSequence(extractThread(list, list[3]!));
  assert.equal(model.messages.length, MAX_THREAD_MESSAGES);
  assert.equal(model.omitted, 7);
});
