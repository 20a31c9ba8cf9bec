// "Send Message to Agent" shows the reply where it was asked: the watcher behind its progress notification, and what
// Broadcast says it reached.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LogEntry } from '../../src/protocol/logEntry';
import { ReplyWatcher, broadcastSummary } from '../../src/extension/model/replyWatcher';

let seq = 0;
const entry = (p: Partial<LogEntry>): LogEntry => ({ seq: ++seq, time: Date.now(), direction: 'in', message_type: 'TEXT', size: 1, body: {}, ...p });

function fakeConn(): { conn: { onEntries(l: (e: LogEntry[]) => void): () => void }; push(...e: LogEntry[]): void; listeners(): number } {
  const ls = new Set<(e: LogEntry[]) => void>();
  return {
    conn: {
      onEntries(l) {
        ls.add(l);
        return () => ls.delete(l);
      },
    },
    push: (...e) => ls.forEach((l) => l(e)),
    listeners: () => ls.size,
  };
}

test('the agent’s status lines come as progress, then its REPLY to this message settles the wait and unsubscribes', async () => {
  const f = fakeConn();
  const lines: string[] = [];
  const w = new ReplyWatcher(f.conn, 'agent_c', (l) => lines.push(l));
  // a reply faster than the send's acknowledgement: it came before the id was known
  f.push(entry({ message_type: 'STATUS', sender_id: 'agent_c', body: { text_payload: 'reading…' } }));
  w.expect('msg_1');
  f.push(entry({ message_type: 'STATUS', sender_id: 'agent_x', body: { text_payload: 'not mine' } }));
  f.push(entry({ message_type: 'REPLY', sender_id: 'agent_c', in_reply_to_message_id: 'msg_0', body: { text_payload: 'an older answer' } }));
  f.push(entry({ message_type: 'REPLY', sender_id: 'agent_c', in_reply_to_message_id: 'msg_1', body: { text_payload: 'done: 3 nits' } }));
  const o = await w.wait(5_000);
  assert.equal(o.kind, 'reply');
  assert.equal(o.kind === 'reply' && o.text, 'done: 3 nits');
  assert.deepEqual(lines, ['reading…']);
  assert.equal(f.listeners(), 0);
});

test('the hub’s ERROR for the message is a failure; no answer in time is a timeout; cancel stops the wait', async () => {
  const f = fakeConn();
  const failed = new ReplyWatcher(f.conn, 'agent_c', () => {});
  failed.expect('msg_9');
  const pending = failed.wait(5_000);
  f.push(entry({ message_type: 'ERROR', direction: 'out', body: { ref_message_id: 'msg_9', text_payload: 'Agent agent_c is currently offline' } }));
  assert.deepEqual(await pending, { kind: 'failed', text: 'Agent agent_c is currently offline' });
  const slow = new ReplyWatcher(f.conn, 'agent_c', () => {});
  slow.expect('msg_10');
  assert.deepEqual(await slow.wait(20), { kind: 'timeout' });
  const cancelled = new ReplyWatcher(f.conn, 'agent_c', () => {});
  const c = cancelled.wait(5_000);
  cancelled.cancel();
  assert.deepEqual(await c, { kind: 'cancelled' });
  assert.equal(f.listeners(), 0);
});

test('Broadcast says how many agents it reached and why not the others', () => {
  assert.equal(broadcastSummary({ online: 3, paused: 1, offline: 1, total: 5 }), 'Broadcast sent to 3 of 5 agents (1 paused, 1 offline: not sent to them).');
  assert.equal(broadcastSummary({ online: 2, paused: 0, offline: 0, total: 2 }), 'Broadcast sent to 2 of 2 agents.');
  assert.match(broadcastSummary({ online: 0, paused: 0, offline: 0, total: 0 }), /no agent/);
});
