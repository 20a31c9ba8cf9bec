// The event log on its own: ring bound, queries, export, clear, NDJSON files written in batches and rotated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventLog, LOG_FILE_BASENAME } from '../../src/hub/eventLog';
import { DEFAULT_HUB_OPTIONS } from '../../src/hub/options';

function memLog(ringSize = 10_000): EventLog {
  return new EventLog({ ringSize, dir: '', fileMaxBytes: 1024, fileCount: 2 });
}

test('the ring keeps only the newest ringSize entries, oldest first, with increasing seq', () => {
  const log = memLog(5);
  for (let i = 0; i < 12; i++) log.record('in', { message_type: 'TEXT', text_payload: `t${i}` });
  assert.equal(log.size, 5);
  const r = log.recent();
  assert.deepEqual(r.map((e) => e.body.text_payload), ['t7', 't8', 't9', 't10', 't11']);
  assert.ok(r.every((e, i) => i === 0 || e.seq > r[i - 1]!.seq));
  assert.deepEqual(log.recent(2).map((e) => e.body.text_payload), ['t10', 't11']);
});

test('the default ring holds 10,000 entries', () => {
  assert.equal(DEFAULT_HUB_OPTIONS.logRingSize, 10_000);
  const log = memLog(DEFAULT_HUB_OPTIONS.logRingSize);
  for (let i = 0; i < 10_050; i++) log.record('out', { message_type: 'PING' });
  assert.equal(log.size, 10_000);
  assert.equal(log.recent(1)[0]!.seq, 10_050);
});

test('query filters by agent (client, sender or receiver), type, thread and time, newest `limit` kept', () => {
  const log = memLog();
  log.append({ direction: 'in', message_type: 'TEXT', client_id: 'web_1', sender_id: 'web_1', receiver_id: 'agent_a', size: 1, body: {}, time: 1000, thread: 'th1' });
  log.append({ direction: 'out', message_type: 'TEXT', client_id: 'agent_a', sender_id: 'web_1', receiver_id: 'agent_a', size: 1, body: {}, time: 2000, message_id: 'm1' });
  log.append({ direction: 'in', message_type: 'REPLY', client_id: 'agent_a', sender_id: 'agent_a', receiver_id: 'web_1', size: 1, body: {}, time: 3000, in_reply_to_message_id: 'm1' });
  log.append({ direction: 'in', message_type: 'STATUS', client_id: 'agent_b', sender_id: 'agent_b', size: 1, body: {}, time: 4000 });
  assert.equal(log.query({ agent_id: 'agent_a' }).length, 3);
  assert.equal(log.query({ agent_id: 'agent_b' }).length, 1);
  assert.deepEqual(log.query({ message_type: ['REPLY', 'STATUS'] }).map((e) => e.message_type), ['REPLY', 'STATUS']);
  assert.equal(log.query({ thread: 'th1' }).length, 1);
  assert.equal(log.query({ thread: 'm1' }).length, 2, 'a message id matches the message and its replies');
  assert.deepEqual(log.query({ since: 2000, until: 3000 }).map((e) => e.time), [2000, 3000]);
  assert.deepEqual(log.query({ since: new Date(3000).toISOString() }).map((e) => e.time), [3000, 4000]);
  assert.deepEqual(log.query({ limit: 2 }).map((e) => e.time), [3000, 4000]);
});

test('export writes NDJSON and CSV (quoted cells); clear empties the ring', () => {
  const log = memLog();
  log.record('in', { message_type: 'TEXT', sender_id: 'a', text_payload: 'hello, "world"\nline 2' });
  log.record('out', { message_type: 'REPLY', sender_id: 'b', text_payload: 'ok' });
  const nd = log.export('ndjson').trim().split('\n');
  assert.equal(nd.length, 2);
  assert.equal((JSON.parse(nd[0]!) as { body: { text_payload: string } }).body.text_payload, 'hello, "world"\nline 2');
  const csv = log.export('csv');
  assert.match(csv, /^seq,time,direction,message_type,/);
  assert.ok(csv.includes('"hello, ""world""\nline 2"'));
  log.clear();
  assert.equal(log.size, 0);
  assert.deepEqual(log.recent(), []);
});

test('bodies above 64 KiB are stored as a truncated preview', () => {
  const log = memLog();
  const e = log.record('in', { message_type: 'TEXT', text_payload: 'x'.repeat(100_000) }, { size: 100_050 });
  assert.equal(e.truncated, true);
  assert.ok((e.body.text_payload as string).length < 5000);
});

test('NDJSON files are written in batches, rotate at fileMaxBytes and keep fileCount old files', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hub-log-'));
  try {
    const log = new EventLog({ ringSize: 100, dir, fileMaxBytes: 2000, fileCount: 2, flushIntervalMs: 10 });
    for (let i = 0; i < 200; i++) log.record('in', { message_type: 'TEXT', text_payload: `line ${i}` });
    await log.close();
    const files = readdirSync(dir).sort();
    assert.deepEqual(files, [`${LOG_FILE_BASENAME}.1.ndjson`, `${LOG_FILE_BASENAME}.2.ndjson`, `${LOG_FILE_BASENAME}.ndjson`]);
    for (const f of files) assert.ok(statSync(join(dir, f)).size <= 2000 + 200, `${f} stays near the bound`);
    const last = readFileSync(join(dir, `${LOG_FILE_BASENAME}.ndjson`), 'utf8').trim().split('\n');
    const lastEntry = JSON.parse(last.at(-1)!) as { body: { text_payload: string }; seq: number };
    assert.equal(lastEntry.body.text_payload, 'line 199');
    // rotated files hold the lines just before the current one, in order
    const prev = readFileSync(join(dir, `${LOG_FILE_BASENAME}.1.ndjson`), 'utf8').trim().split('\n');
    const prevLast = JSON.parse(prev.at(-1)!) as { seq: number };
    const curFirst = JSON.parse(last[0]!) as { seq: number };
    assert.equal(curFirst.seq, prevLast.seq + 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an entry appended while close() is writing is on disk when close() resolves, and nothing is left scheduled', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hub-log-'));
  try {
    // a long flush interval: an entry left to the timer would still be pending long after close() resolved
    const log = new EventLog({ ringSize: 100, dir, fileMaxBytes: 1_000_000, fileCount: 1, flushIntervalMs: 60_000 });
    log.record('in', { message_type: 'TEXT', text_payload: 'before close' });
    const closing = log.close();
    // what a hub appends while its log closes (a socket's last close event, the state change)
    log.record('in', { message_type: 'TEXT', text_payload: 'during close' });
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    await closing;
    const lines = readFileSync(join(dir, `${LOG_FILE_BASENAME}.ndjson`), 'utf8').trim().split('\n');
    assert.deepEqual(lines.map((l) => (JSON.parse(l) as { body: { text_payload: string } }).body.text_payload), ['before close', 'during close']);
    const timersAfter = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    assert.ok(timersAfter < timersBefore, `the writer's flush timer is gone after close (${timersBefore} → ${timersAfter})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a throwing append listener does not stop the log or other listeners', () => {
  const log = memLog();
  let seen = 0;
  log.onAppend(() => {
    throw new Error('boom');
  });
  log.onAppend(() => seen++);
  log.record('in', { message_type: 'TEXT' });
  assert.equal(seen, 1);
  assert.equal(log.size, 1);
});

test('the ring also keeps to a byte budget: large frames push out the oldest entries before ringSize is reached', () => {
  const log = new EventLog({ ringSize: 1000, dir: '', fileMaxBytes: 1024, fileCount: 1, maxBytes: 10_000 });
  for (let i = 0; i < 100; i++) log.record('in', { message_type: 'TEXT', text_payload: `t${i}` }, { size: 1000 });
  assert.equal(log.size, 10);
  assert.ok(log.heldBytes <= 10_000);
  assert.deepEqual(log.recent(1).map((e) => e.body.text_payload), ['t99']);
  assert.equal(log.recent()[0]!.body.text_payload, 't90');
  // small entries still fill up to ringSize
  const small = new EventLog({ ringSize: 50, dir: '', fileMaxBytes: 1024, fileCount: 1, maxBytes: 10_000 });
  for (let i = 0; i < 80; i++) small.record('in', { message_type: 'TEXT' }, { size: 10 });
  assert.equal(small.size, 50);
  assert.equal(small.heldBytes, 500);
});

test('entries kept as bytes survive the ring turning over many chunks, an entry larger than a chunk, and clear()', () => {
  const log = memLog(40);
  const text = (i: number): string => `é${i}:` + 'x'.repeat(3000 + (i % 7) * 500); // ~3.5 KB, non-ASCII first char
  for (let i = 0; i < 3000; i++) {
    const msg = { message_type: 'TEXT', message_id: `m${i}`, sender_id: 'a', receiver_id: 'b', text_payload: text(i) };
    log.record('in', msg, { client_id: 'a', role: 'agent', size: 100 }, JSON.stringify(msg));
  }
  // ~10 MB written through 1 MiB chunks: the last 40 read back exactly, as JSON.stringify would give them
  const r = log.recent();
  assert.equal(r.length, 40);
  assert.deepEqual(r.map((e) => e.body.text_payload), Array.from({ length: 40 }, (_, k) => text(2960 + k)));
  assert.deepEqual(r.map((e) => e.message_id), Array.from({ length: 40 }, (_, k) => `m${2960 + k}`));
  // an entry bigger than a chunk (append() takes a built entry as it is), then ordinary ones after it
  const big = 'y'.repeat(1_500_000);
  log.append({ direction: 'internal', message_type: 'NOTE', size: 10, body: { big } });
  for (let i = 0; i < 5; i++) log.record('out', { message_type: 'PING', n: i });
  assert.equal(log.recent(6)[0]!.body.big, big);
  assert.deepEqual(log.recent(5).map((e) => e.body.n), [0, 1, 2, 3, 4]);
  assert.equal(log.query({ message_type: 'NOTE' }).length, 1);
  log.clear();
  assert.equal(log.size, 0);
  log.record('in', { message_type: 'TEXT', text_payload: 'after clear' });
  assert.deepEqual(log.recent().map((e) => e.body.text_payload), ['after clear']);
});
