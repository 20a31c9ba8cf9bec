// The panel's relay of log entries to the webview: nothing before ready, one post per interval, bounded while the
// webview lags (oldest dropped and counted), nothing kept when it goes away.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LogEntry } from '../../src/protocol/logEntry';
import { EntryBatcher } from '../../src/extension/monitorPanelBatcher';

const e = (seq: number): LogEntry => ({ seq, time: seq, direction: 'in', message_type: 'TEXT', size: 1, body: {} });
const range = (a: number, b: number): LogEntry[] => Array.from({ length: b - a }, (_, i) => e(a + i));
const until = async (cond: () => boolean, ms = 2000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};

test('nothing is posted before the webview is ready; entries then arrive batched in order', async () => {
  const posts: [number[], number][] = [];
  const b = new EntryBatcher((list, dropped) => posts.push([list.map((x) => x.seq), dropped]), { maxBuffered: 100, flushMs: 10, maxBatch: 1000 });
  b.push(range(0, 5));
  assert.equal(b.pending, 0, 'entries before ready are dropped: the snapshot covers them');
  b.setOpen(true);
  b.push(range(5, 8));
  b.push(range(8, 10));
  await until(() => posts.length > 0);
  assert.deepEqual(posts, [[[5, 6, 7, 8, 9], 0]], 'two pushes, one post');
  b.dispose();
});

test('a lagging webview gets the newest entries and a count of the ones dropped', () => {
  const posts: [number[], number][] = [];
  const b = new EntryBatcher((list, dropped) => posts.push([list.map((x) => x.seq), dropped]), { maxBuffered: 4, flushMs: 10_000, maxBatch: 3 });
  b.setOpen(true);
  b.push(range(0, 10));
  b.flush();
  assert.deepEqual(posts, [
    [[6, 7, 8], 6],
    [[9], 0],
  ]);
  b.dispose();
});

test('closing drops what was queued and posts nothing more; dispose clears the timer', async () => {
  let posted = 0;
  const b = new EntryBatcher(() => posted++, { maxBuffered: 10, flushMs: 5, maxBatch: 10 });
  b.setOpen(true);
  b.push(range(0, 3));
  b.setOpen(false);
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(posted, 0);
  assert.equal(b.pending, 0);
  b.setOpen(true);
  b.push(range(3, 4));
  b.dispose();
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(posted, 0);
});
