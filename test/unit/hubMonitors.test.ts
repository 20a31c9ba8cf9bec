// Monitor streams on their own: one shared queue with a cursor per monitor, one encoded frame per position shared by
// every monitor there, the pending bound (oldest dropped and counted, backlog first), slow sockets skipped; and the
// event log's entry JSON (spliced from the frame's text) equal to serialising the entry.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MonitorStreams } from '../../src/hub/monitors';
import { EventLog, LOG_FILE_BASENAME } from '../../src/hub/eventLog';
import type { Connection } from '../../src/hub/connection';
import type { LogEntry } from '../../src/protocol/logEntry';

interface Fake {
  conn: Connection;
  frames: Buffer[];
  setBuffered(n: number): void;
}

function fakeConn(): Fake {
  const frames: Buffer[] = [];
  let buffered = 0;
  const conn = {
    get isOpen() {
      return true;
    },
    get bufferedBytes() {
      return buffered;
    },
  } as unknown as Connection;
  return { conn, frames, setBuffered: (n) => (buffered = n) };
}

const live: MonitorStreams[] = [];
afterEach(() => {
  for (const s of live.splice(0)) s.stop();
});

function streams(opts: { maxPending?: number; maxBufferedBytes?: number } = {}): { s: MonitorStreams; sent: Map<Connection, Buffer[]> } {
  const sent = new Map<Connection, Buffer[]>();
  const s = new MonitorStreams({ batchMs: 60_000, maxPending: opts.maxPending ?? 1000, maxBufferedBytes: opts.maxBufferedBytes ?? 1e9 }, (conn, data) => {
    if (!sent.has(conn)) sent.set(conn, []);
    sent.get(conn)!.push(data);
    return true;
  });
  live.push(s);
  return { s, sent };
}

const entry = (seq: number): LogEntry => ({ seq, time: seq, direction: 'in', message_type: 'TEXT', size: 1, body: { text_payload: `t${seq}` } });
const decode = (b: Buffer): { message_type: string; entries: LogEntry[]; dropped?: number } => JSON.parse(b.toString('utf8'));

test('monitors at the same position share one encoded frame; each gets every entry once, in order', () => {
  const { s, sent } = streams();
  const [m1, m2, m3] = [fakeConn(), fakeConn(), fakeConn()];
  for (const m of [m1, m2, m3]) s.add(m.conn, []);
  for (let i = 1; i <= 700; i++) s.push(entry(i));
  s.flush();
  const f1 = sent.get(m1.conn)!;
  assert.equal(f1.length, 2, '700 entries: 500 + 200 per frame');
  assert.strictEqual(sent.get(m2.conn)![0], f1[0], 'the same bytes, encoded once');
  assert.strictEqual(sent.get(m3.conn)![1], f1[1]);
  assert.deepEqual(f1.flatMap((b) => decode(b).entries.map((e) => e.seq)), Array.from({ length: 700 }, (_, i) => i + 1));
  assert.equal(decode(f1[0]!).message_type, 'MONITOR_EVENTS');
  assert.equal(s.queued, 0, 'entries every monitor has are forgotten');
  s.flush();
  assert.equal(sent.get(m1.conn)!.length, 2, 'nothing new, nothing sent');
});

test('a monitor added later starts with its backlog, then live entries from where it joined', () => {
  const { s, sent } = streams();
  const early = fakeConn();
  s.add(early.conn, []);
  s.push(entry(1));
  const late = fakeConn();
  s.add(late.conn, [entry(0), entry(1)]);
  s.push(entry(2));
  s.flush();
  assert.deepEqual(sent.get(late.conn)!.flatMap((b) => decode(b).entries.map((e) => e.seq)), [0, 1, 2]);
  assert.deepEqual(sent.get(early.conn)!.flatMap((b) => decode(b).entries.map((e) => e.seq)), [1, 2]);
});

test('a monitor whose socket is backed up is skipped, keeps at most maxPending and is told how many it lost', () => {
  const { s, sent } = streams({ maxPending: 10, maxBufferedBytes: 100 });
  const slow = fakeConn();
  const fast = fakeConn();
  s.add(slow.conn, []);
  s.add(fast.conn, []);
  slow.setBuffered(1000);
  for (let i = 1; i <= 25; i++) {
    s.push(entry(i));
    if (i % 5 === 0) s.flush();
  }
  assert.equal(sent.get(slow.conn), undefined, 'nothing written to a backed-up socket');
  assert.equal(sent.get(fast.conn)!.flatMap((b) => decode(b).entries).length, 25);
  assert.ok(s.queued <= 20, `the shared queue stays bounded (${s.queued})`);
  slow.setBuffered(0);
  s.flush();
  const frames = sent.get(slow.conn)!.map(decode);
  assert.equal(frames[0]!.dropped, 15);
  assert.deepEqual(frames.flatMap((f) => f.entries.map((e) => e.seq)), [16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
});

test('a backlog larger than maxPending loses its oldest entries first, counted', () => {
  const { s, sent } = streams({ maxPending: 3 });
  const m = fakeConn();
  s.add(m.conn, [entry(1), entry(2), entry(3), entry(4), entry(5)]);
  const f = sent.get(m.conn)!.map(decode);
  assert.equal(f[0]!.dropped, 2);
  assert.deepEqual(f.flatMap((x) => x.entries.map((e) => e.seq)), [3, 4, 5]);
});

test("an entry's JSON spliced from its frame text is the JSON of the entry, in memory and in the NDJSON file", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hub-json-'));
  try {
    const log = new EventLog({ ringSize: 10, dir, fileMaxBytes: 1e6, fileCount: 1, flushIntervalMs: 5 });
    const msg = { message_type: 'REPLY', sender_id: 'a"\\b', receiver_id: 'c\u2028', text_payload: 'é\n😀', message_id: 'm1', in_reply_to_message_id: 'm0', thread: 't', session_id: 's', n: 1 };
    // listeners see the entry's JSON while it is appended (spliced from the frame text when given)
    const seen: string[] = [];
    log.onAppend((e) => seen.push(log.json(e)));
    const out = log.record('out', msg, { client_id: 'c', role: 'agent', size: 99, recipients: 2 }, JSON.stringify(msg));
    const plain = log.record('in', { message_type: 'TEXT', conversation_id: 'conv' }, { size: 5 });
    const internal = log.append({ direction: 'internal', message_type: 'WARNING', size: 0, body: { text_payload: 'w' } });
    assert.deepEqual(seen, [out, plain, internal].map((e) => JSON.stringify(e)));
    for (const e of [out, plain, internal]) assert.equal(log.json(e), JSON.stringify(e), 'and later, by serialising');
    await log.close();
    const lines = readFileSync(join(dir, `${LOG_FILE_BASENAME}.ndjson`), 'utf8').trim().split('\n');
    assert.deepEqual(lines.map((l) => JSON.parse(l)), JSON.parse(JSON.stringify([out, plain, internal])));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
