// The monitor's pure state: the ring buffer, the filtered view over it, pause, snapshots and per-agent tracking —
// what the webview does with every notification, proven in plain Node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LogEntry } from '../../src/protocol/logEntry';
import { HostNotification, type MonitorAgent } from '../../src/protocol/webviewMessages';
import { RingBuffer } from '../../src/webview/ringBuffer';
import { MonitorModel, ACTIVITY_PER_AGENT } from '../../src/webview/monitorModel';
import { compileFilter, EMPTY_FILTER, parseFilter, searchTerms } from '../../src/protocol/filter';
import { formatAgo, previewOf, toRow } from '../../src/webview/rowModel';
import { DeliveryIndex, deliveryBadge, deliverySummary } from '../../src/webview/deliveries';

let seq = 0;
function entry(p: Partial<LogEntry> & { text?: string } = {}): LogEntry {
  const { text, ...rest } = p;
  const type = rest.message_type ?? 'TEXT';
  return {
    seq: ++seq,
    time: 1_700_000_000_000 + seq,
    direction: 'in',
    message_type: type,
    size: 10,
    body: { message_type: type, ...(text !== undefined ? { text_payload: text } : {}) },
    ...rest,
  };
}
const agent = (id: string, name = id, extra: Partial<MonitorAgent> = {}): MonitorAgent => ({
  agent_id: id,
  agent_name: name,
  is_online: true,
  last_seen: new Date().toISOString(),
  status: 'online',
  ...extra,
});
const entries = (n: number, p: Partial<LogEntry> & { text?: string } = {}): LogEntry[] => Array.from({ length: n }, () => entry(p));
const visibleSeqs = (m: MonitorModel): number[] => Array.from({ length: m.visibleCount }, (_, i) => m.rowAt(i)!.seq);

test('ring buffer keeps the newest items, drops the oldest and counts them, and keeps absolute indexes stable', () => {
  const r = new RingBuffer<number>(3);
  for (let i = 0; i < 5; i++) r.push(i);
  assert.deepEqual(r.toArray(), [2, 3, 4]);
  assert.equal(r.dropped, 2);
  assert.equal(r.start, 2);
  assert.equal(r.get(1), undefined, 'an evicted index resolves to nothing');
  assert.equal(r.get(4), 4);
  r.clear();
  assert.equal(r.size, 0);
  assert.equal(r.get(4), undefined);
  assert.throws(() => new RingBuffer(0), RangeError);
});

test('a snapshot replaces rows and agents; later entries append in order', () => {
  const m = new MonitorModel(100);
  const first = entries(3, { text: 'old' });
  m.apply({ type: HostNotification.Snapshot, hub: { hub_id: 'hub_1', state: 'running', mode: 'local' }, agents: [agent('agent_a')], entries: first });
  const more = entries(2, { text: 'new' });
  const change = m.apply({ type: HostNotification.Entries, entries: more });
  assert.equal(change.rows, true);
  assert.deepEqual(visibleSeqs(m), [...first, ...more].map((e) => e.seq));
  m.apply({ type: HostNotification.Snapshot, hub: { hub_id: 'hub_1', state: 'running', mode: 'local' }, agents: [], entries: more });
  assert.deepEqual(visibleSeqs(m), more.map((e) => e.seq));
  assert.equal(m.agents.size, 0);
});

test('the bounded buffer drops old rows from view and says how many, including what the host could not deliver', () => {
  const m = new MonitorModel(10);
  m.apply({ type: HostNotification.Entries, entries: entries(25) });
  assert.equal(m.visibleCount, 10);
  assert.equal(m.bufferedCount, 10);
  m.apply({ type: HostNotification.Entries, entries: [], dropped: 7 });
  assert.equal(m.droppedCount, 15 + 7);
  const seqs = visibleSeqs(m);
  assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
  assert.equal(seqs.length, 10);
});

test('the filtered view stays consistent while the ring evicts (incremental append, lazy trim)', () => {
  const m = new MonitorModel(50);
  m.setFilter({ ...EMPTY_FILTER, type: 'REPLY' });
  for (let round = 0; round < 40; round++) {
    m.apply({ type: HostNotification.Entries, entries: [entry({ message_type: 'TEXT' }), entry({ message_type: 'REPLY' }), entry({ message_type: 'STATUS' })] });
  }
  const held = [...m.entries()].filter((e) => e.message_type === 'REPLY').map((e) => e.seq);
  assert.deepEqual(visibleSeqs(m), held);
  assert.ok(held.length > 0 && held.length <= 17);
});

test('entries re-sent after a reconnect (same or lower seq) are not shown twice', () => {
  const m = new MonitorModel(100);
  const batch = entries(5);
  m.apply({ type: HostNotification.Entries, entries: batch });
  m.apply({ type: HostNotification.Entries, entries: [...batch, ...entries(2)] });
  assert.equal(m.visibleCount, 7);
});

test('malformed entries and agents from the wire are skipped, the rest applied', () => {
  const m = new MonitorModel(100);
  m.apply({ type: HostNotification.Entries, entries: [{ nope: true } as unknown as LogEntry, entry(), null as unknown as LogEntry] });
  assert.equal(m.visibleCount, 1);
  m.apply({ type: HostNotification.Agents, agents: [{ agent_id: 5 } as unknown as MonitorAgent, agent('agent_x')], full: true });
  assert.deepEqual([...m.agents.keys()], ['agent_x']);
});

test('pause freezes the rows, holds new entries (bounded) and lands them on resume', () => {
  const m = new MonitorModel(5);
  m.apply({ type: HostNotification.Entries, entries: entries(2) });
  m.setPaused(true);
  const rev = m.revision;
  m.apply({ type: HostNotification.Entries, entries: entries(8) });
  assert.equal(m.visibleCount, 2, 'rows do not move while paused');
  assert.equal(m.heldCount, 5, 'the hold is bounded by the capacity');
  assert.ok(m.droppedCount >= 3, 'what the hold lost is counted');
  m.setPaused(false);
  assert.ok(m.revision > rev);
  assert.equal(m.visibleCount, 5);
  assert.equal(m.heldCount, 0);
  assert.equal(m.rowAt(4)!.seq, seq, 'the newest entry is last after resume');
});

test('filters: type, agent (sender, receiver or connection), free text over payload and metadata, presence noise', () => {
  const t = entry({ message_type: 'TEXT', sender_id: 'web_1', receiver_id: 'agent_a', text: 'Plan the Offsite' });
  const r = entry({ message_type: 'REPLY', sender_id: 'agent_a', receiver_id: 'web_1', text: 'ok', thread: 'th-42' });
  const ping = entry({ message_type: 'PING', direction: 'out', client_id: 'agent_a' });
  const other = entry({ message_type: 'TEXT', sender_id: 'web_2', receiver_id: 'agent_b', text: 'hello' });
  const all = [t, r, ping, other];
  const run = (f: Partial<typeof EMPTY_FILTER>): number[] => all.filter(compileFilter({ ...EMPTY_FILTER, ...f })).map((e) => e.seq);
  assert.deepEqual(run({}), [t.seq, r.seq, other.seq], 'pings hidden by default');
  assert.deepEqual(run({ showNoise: true }), [t.seq, r.seq, ping.seq, other.seq]);
  assert.deepEqual(run({ type: 'PING' }), [ping.seq], 'choosing a noise type shows it');
  assert.deepEqual(run({ agent: 'agent_a', showNoise: true }), [t.seq, r.seq, ping.seq]);
  assert.deepEqual(run({ text: 'offsite plan' }), [t.seq], 'words in any order, any case');
  assert.deepEqual(run({ text: 'th-42' }), [r.seq], 'metadata (thread) is searched');
  assert.deepEqual(run({ text: 'offsite nothere' }), []);
  assert.deepEqual(run({ text: '"the offsite"' }), [t.seq], 'a quoted phrase matches as a whole');
  assert.deepEqual(run({ text: '"offsite the"' }), [], 'a phrase keeps its word order');
  assert.deepEqual(searchTerms('  a "b c"  "d'), ['a', 'b c', 'd'], 'an unclosed quote runs to the end');
  assert.deepEqual(parseFilter({ type: 1, agent: 'a', text: null, showNoise: 'yes' }), { type: '', agent: 'a', text: '', showNoise: false, raw: false });
});

test('changing the filter rebuilds the view and keeps lookups by seq working', () => {
  const m = new MonitorModel(100);
  const list = [entry({ message_type: 'TEXT' }), entry({ message_type: 'STATUS' }), entry({ message_type: 'TEXT' })];
  m.apply({ type: HostNotification.Entries, entries: list });
  m.setFilter({ ...EMPTY_FILTER, type: 'TEXT' });
  assert.equal(m.visibleIndexOfSeq(list[2]!.seq), 1);
  assert.equal(m.visibleIndexOfSeq(list[1]!.seq), -1, 'filtered out');
  assert.equal(m.entryBySeq(list[1]!.seq), list[1], 'still held');
  assert.equal(m.entryBySeq(999_999), undefined);
});

test('agents merge by id on partial updates and are replaced on full ones; listed by name whatever their presence', () => {
  const m = new MonitorModel(10);
  m.apply({ type: HostNotification.Agents, agents: [agent('a1', 'zed'), agent('a2', 'amy'), agent('a3', 'bob', { status: 'offline', is_online: false })], full: true });
  m.apply({ type: HostNotification.Agents, agents: [{ ...agent('a1', 'zed'), status: 'paused', status_text: 'thinking' }], full: false });
  assert.equal(m.agents.get('a1')!.status_text, 'thinking');
  assert.deepEqual(m.sortedAgents().map((a) => a.agent_name), ['amy', 'bob', 'zed']);
  m.apply({ type: HostNotification.Agents, agents: [agent('a9')], full: true });
  assert.deepEqual([...m.agents.keys()], ['a9']);
});

test('the monitor names same-named agents as the tree does, with a short id suffix', () => {
  const m = new MonitorModel(10);
  m.apply({ type: HostNotification.Agents, agents: [agent('agent_ebd1c6fd', 'coder', { status: 'offline', is_online: false }), agent('agent_77aa0000', 'coder'), agent('agent_12345678', 'planner')], full: true });
  assert.equal(m.displayName('agent_ebd1c6fd'), 'coder (ebd1)');
  assert.equal(m.displayName('agent_77aa0000'), 'coder (77aa)');
  assert.equal(m.displayName('agent_12345678'), 'planner');
  m.apply({ type: HostNotification.Agents, agents: [agent('agent_77aa0000', 'coder')], full: true });
  assert.equal(m.displayName('agent_77aa0000'), 'coder', 'the suffix goes when the name no longer repeats');
});

test('status lines and events are tracked per agent (bounded), and frame counts per agent connection', () => {
  const m = new MonitorModel(1000);
  m.setPaused(true); // tracking stays live while the table is paused
  const status = Array.from({ length: ACTIVITY_PER_AGENT + 5 }, (_, i) =>
    entry({ message_type: 'STATUS', sender_id: 'agent_a', client_id: 'agent_a', role: 'agent', session_id: 'web_1', text: `step ${i}` }),
  );
  m.apply({ type: HostNotification.Entries, entries: [...status, entry({ message_type: 'AGENT_EVENT', client_id: 'agent_a', role: 'agent', body: { event_type: 'tool_call' } }), entry({ message_type: 'TEXT', direction: 'out', client_id: 'agent_a', role: 'agent' })] });
  const act = m.agentActivity('agent_a');
  assert.equal(act.length, ACTIVITY_PER_AGENT);
  assert.equal(act[act.length - 1]!.kind, 'event');
  assert.equal(act[act.length - 1]!.text, 'tool_call');
  assert.equal(act[act.length - 2]!.text, `step ${ACTIVITY_PER_AGENT + 4}`);
  assert.equal(act[0]!.session_id, 'web_1');
  assert.deepEqual(m.agentCounts('agent_a'), { sent: ACTIVITY_PER_AGENT + 6, received: 1 });
});

test('command results and reveal requests come back as changes for the view', () => {
  const m = new MonitorModel(10);
  assert.deepEqual(m.apply({ type: HostNotification.CommandResult, request_id: 'r1', ok: false, detail: 'no hub' }).result, { request_id: 'r1', ok: false, detail: 'no hub' });
  assert.equal(m.apply({ type: HostNotification.RevealAgent, agent_id: 'agent_a' }).revealAgent, 'agent_a');
});

test('a hub with a different id resets the duplicate guard so its lower seqs are shown', () => {
  const m = new MonitorModel(100);
  m.apply({ type: HostNotification.Hub, hub: { hub_id: 'hub_1', state: 'running', mode: 'browser' } });
  m.apply({ type: HostNotification.Entries, entries: [{ ...entry(), seq: 500 }] });
  m.apply({ type: HostNotification.Hub, hub: { hub_id: 'hub_2', state: 'running', mode: 'browser' } });
  m.apply({ type: HostNotification.Entries, entries: [{ ...entry(), seq: 1 }] });
  assert.equal(m.bufferedCount, 2);
});

test('rows: a chat message written to a front-end other than its receiver is marked as that front-end\'s copy', () => {
  const base = { seq: 1, time: 0, message_type: 'TEXT', sender_id: 'web_a', receiver_id: 'agent_b', size: 10, body: { message_type: 'TEXT', text_payload: 'hi' } };
  const toAgent = toRow({ ...base, direction: 'out', client_id: 'agent_b' });
  const copy = toRow({ ...base, direction: 'out', client_id: 'web_c' });
  const inbound = toRow({ ...base, direction: 'in', client_id: 'web_a' });
  assert.equal(toAgent.copyTo, undefined);
  assert.equal(inbound.copyTo, undefined);
  assert.equal(copy.copyTo, 'web_c');
  assert.equal(copy.to, 'agent_b', 'the receiver stays the receiver');
});

test('rows: time with milliseconds, from/to fall back to the connection or the hub, one-line preview', () => {
  const d = new Date(2026, 0, 2, 3, 4, 5, 6);
  const row = toRow({ seq: 1, time: d.getTime(), direction: 'out', message_type: 'PING', client_id: 'agent_a', size: 2, body: { message_type: 'PING' } });
  assert.equal(row.time, '03:04:05.006');
  assert.equal(row.from, 'hub');
  assert.equal(row.to, 'agent_a');
  assert.equal(row.kind, 'presence');
  assert.equal(previewOf(entry({ text: 'a\n  b\tc' })), 'a b c');
  assert.equal(previewOf(entry({ text: 'x'.repeat(1000) })).length, 240);
  assert.equal(previewOf(entry({ message_type: 'AGENT_EVENT', body: { event_type: 'tool', data: { n: 1 } } })), 'tool {"n":1}');
  assert.equal(formatAgo(new Date(Date.now() - 4_000).toISOString()), '4 s ago');
  assert.equal(formatAgo(null), 'never');
});

test('rows that leave the ring are reported once, so a reader scrolled up can stay on the same rows', () => {
  const m = new MonitorModel(10);
  m.apply({ type: HostNotification.Entries, entries: entries(10) });
  assert.equal(m.takeTrimmedRows(), 0);
  m.apply({ type: HostNotification.Entries, entries: entries(4) });
  assert.equal(m.takeTrimmedRows(), 4);
  assert.equal(m.takeTrimmedRows(), 0, 'reported once');
  m.setFilter({ ...EMPTY_FILTER, text: 'nothing matches this' });
  m.apply({ type: HostNotification.Entries, entries: entries(3) });
  assert.equal(m.takeTrimmedRows(), 0, 'hidden rows leaving do not count');
});

test('a hub log that starts again from seq 1 under the same hub id replaces the rows instead of being skipped', () => {
  const m = new MonitorModel(100);
  const old = (s: number): LogEntry => ({ ...entry({ text: 'old' }), seq: s });
  const held = [old(1), old(2), old(3), old(4)];
  m.apply({ type: HostNotification.Entries, entries: held });
  // a re-sent backlog overlapping what we hold is skipped
  m.apply({ type: HostNotification.Entries, entries: [{ ...held[2]! }, { ...held[3]! }, old(5)] });
  assert.deepEqual(visibleSeqs(m), [1, 2, 3, 4, 5]);
  // a restarted log: seq 2 again, but a different entry from the one we hold
  const fresh: LogEntry = { ...entry({ text: 'fresh' }), seq: 2 };
  m.apply({ type: HostNotification.Entries, entries: [{ ...fresh, seq: 1 }, fresh] });
  assert.deepEqual(visibleSeqs(m), [1, 2]);
  assert.equal(m.rowAt(1)!.body.text_payload, 'fresh');
});

test('front-ends and monitors are shown by the name they registered with, learnt from the stream; agents by theirs', () => {
  const m = new MonitorModel(100);
  m.apply({ type: HostNotification.Agents, full: true, agents: [agent('agent_a', 'echo')] });
  m.apply({
    type: HostNotification.Entries,
    entries: [
      entry({ direction: 'out', message_type: 'REGISTER_FRONTEND_RESPONSE', client_id: 'web_1', body: { message_type: 'REGISTER_FRONTEND_RESPONSE', status: 'success', frontend_id: 'web_1', frontend_name: 'e2e person' } }),
      entry({ direction: 'out', message_type: 'REGISTER_MONITOR_RESPONSE', client_id: 'mon_1', body: { message_type: 'REGISTER_MONITOR_RESPONSE', status: 'success', monitor_id: 'mon_1', monitor_name: 'browser monitor' } }),
      // an inbound frame claiming a name for someone else teaches nothing
      entry({ direction: 'in', message_type: 'REGISTER_FRONTEND_RESPONSE', body: { message_type: 'REGISTER_FRONTEND_RESPONSE', frontend_id: 'web_2', frontend_name: 'spoof' } }),
    ],
  });
  assert.equal(m.displayName('agent_a'), 'echo');
  assert.equal(m.displayName('web_1'), 'e2e person');
  assert.equal(m.displayName('mon_1'), 'browser monitor');
  assert.equal(m.displayName('web_2'), 'web_2');
  assert.equal(m.displayName('user_x'), 'user_x');
  // the built-in session of the person at VS Code / the CLI never registers: it has a name of its own
  assert.equal(m.displayName('web_switchboard'), 'You (VS Code / CLI)');
});

test('a TEXT with its delivery and front-end copies is one row that says what happened; the raw toggle shows every frame', () => {
  const m = new MonitorModel(100);
  const t0 = 1_800_000_000_000;
  const base = { message_type: 'TEXT', message_id: 'msg_1', sender_id: 'agent_p', receiver_id: 'agent_r', text: 'background please' };
  const inn = entry({ ...base, client_id: 'agent_p', time: t0 });
  const out = entry({ ...base, direction: 'out', client_id: 'agent_r', time: t0 + 2, body: { message_type: 'TEXT', routing_status: 'routed' } });
  const copy1 = entry({ ...base, direction: 'out', client_id: 'web_1', time: t0 + 3, body: { message_type: 'TEXT', routing_status: 'routed' } });
  const copy2 = entry({ ...base, direction: 'out', client_id: 'web_2', time: t0 + 3, body: { message_type: 'TEXT', routing_status: 'routed' } });
  const status = entry({ message_type: 'STATUS', message_id: 'msg_2', client_id: 'agent_p', text: 'thinking' });
  m.apply({ type: HostNotification.Entries, entries: [inn, out, copy1, copy2, status] });
  assert.deepEqual(visibleSeqs(m), [inn.seq, status.seq], 'one row per message_id');
  const d = m.deliveryOf(inn)!;
  assert.equal(d.state, 'delivered');
  assert.equal(d.copies, 2);
  assert.equal(d.tookMs, 3);
  assert.equal(deliverySummary(d, (id) => (id === 'agent_r' ? 'researcher' : id)), 'delivered to researcher · copied to 2 front-ends · 3 ms');
  assert.equal(m.deliveryOf(out), undefined, 'an out-frame is not a message of its own');
  m.setFilter({ ...m.filter, raw: true });
  assert.deepEqual(visibleSeqs(m), [inn.seq, out.seq, copy1.seq, copy2.seq, status.seq]);
  m.setFilter({ ...m.filter, raw: false });
  assert.deepEqual(visibleSeqs(m), [inn.seq, status.seq]);
});

test('the delivery index remembers the newest messages up to its bound, forgetting the oldest first, also after a clear', () => {
  const d = new DeliveryIndex(3);
  const observe = (i: number, direction: 'in' | 'out' = 'in'): void =>
    d.observe(entry({ message_id: `msg_${i}`, direction, client_id: 'agent_r', receiver_id: 'agent_r' }));
  for (let i = 1; i <= 5; i++) observe(i);
  assert.deepEqual([1, 2, 3, 4, 5].map((i) => d.get(`msg_${i}`) !== undefined), [false, false, true, true, true]);
  observe(4, 'out');
  assert.equal(d.get('msg_4')!.state, 'delivered', 'an out-frame of a remembered message counts on its row');
  observe(6);
  assert.equal(d.get('msg_3'), undefined, 'a later out-frame does not make a message younger: the oldest goes');
  assert.ok(d.get('msg_4') && d.get('msg_6'));
  d.clear();
  assert.equal(d.get('msg_6'), undefined);
  for (let i = 7; i <= 11; i++) observe(i);
  assert.deepEqual([7, 8, 9, 10, 11].map((i) => d.get(`msg_${i}`) !== undefined), [false, false, true, true, true]);
});

test('a message held for a paused agent, or refused by the hub, says so in its row', () => {
  const m = new MonitorModel(100);
  const held = entry({ message_type: 'TEXT', message_id: 'msg_h', sender_id: 'web_1', receiver_id: 'agent_z', client_id: 'web_1' });
  const heldCopy = entry({ message_type: 'TEXT', message_id: 'msg_h', direction: 'out', client_id: 'web_2', receiver_id: 'agent_z', body: { message_type: 'TEXT', routing_status: 'held' } });
  const lost = entry({ message_type: 'TEXT', message_id: 'msg_x', sender_id: 'web_1', receiver_id: 'agent_gone', client_id: 'web_1' });
  const err = entry({ message_type: 'ERROR', message_id: 'msg_e', direction: 'out', client_id: 'web_1', body: { message_type: 'ERROR', ref_message_id: 'msg_x', text_payload: 'Agent agent_gone is currently offline' } });
  m.apply({ type: HostNotification.Entries, entries: [held, heldCopy, lost, err] });
  assert.deepEqual(visibleSeqs(m), [held.seq, lost.seq, err.seq]);
  assert.equal(m.deliveryOf(held)!.state, 'held');
  assert.match(deliverySummary(m.deliveryOf(held)!), /^held \(receiver paused\) · copied to 1 front-end/);
  assert.equal(m.deliveryOf(lost)!.state, 'failed');
  assert.equal(deliveryBadge(m.deliveryOf(lost)!), 'failed');
  assert.match(deliverySummary(m.deliveryOf(lost)!), /failed: Agent agent_gone is currently offline/);
});

test('bookkeeping reads as a sentence with names, not raw JSON', () => {
  const names = (id: string): string => ({ agent_p: 'planner', agent_c: 'coder', agent_r: 'researcher' })[id] ?? id;
  const row = (message_type: string, body: Record<string, unknown>, extra: Partial<LogEntry> = {}): string =>
    toRow(entry({ message_type, direction: 'internal', body: { message_type, ...body }, ...extra }), names).preview;
  assert.equal(row('AGENT_INACTIVE', { agent_id: 'agent_p', silent_ms: 15_200 }), 'planner went offline: silent 15 s');
  assert.equal(row('CLIENT_DISCONNECTED', { client_id: 'agent_c', connection_type: 'agent', code: 1006, reason: '' }), 'coder disconnected: code 1006');
  assert.equal(row('CLIENT_DISCONNECTED', { client_id: 'mon_1', connection_type: 'monitor', code: 1000, reason: 'page closed' }), 'mon_1 (monitor) disconnected: page closed');
  assert.equal(row('REGISTER_AGENT', { agent_name: 'planner', delivery: 'websocket' }), 'agent planner registers');
  assert.equal(row('REGISTER_AGENT_RESPONSE', { status: 'success', agent_id: 'agent_p', agent_name: 'planner', message: 'Registered agent agent_p.' }), 'planner registered as agent_p');
  assert.equal(row('REGISTER_FRONTEND_RESPONSE', { status: 'error', message: 'Name taken' }), 'registration refused: Name taken');
  assert.equal(row('REQUEST_CONTEXT', { requester_id: 'agent_r', failed_agent_id: 'agent_c', request_id: 'rq1' }), 'researcher asks peers what they exchanged with coder');
  assert.equal(row('PROVIDE_CONTEXT', { responder_id: 'agent_p', failed_agent_id: 'agent_c', interactions: [{}, {}] }), 'planner answers about coder: 2 interactions');
  assert.equal(row('REQUEST_CONTEXT_ACK', { request_id: 'rq1', peer_agents_queried: ['agent_p'] }), 'context request rq1 relayed to 1 peer');
  for (const p of [row('REGISTER_MONITOR', { monitor_name: 'tail', backlog: 20 }), row('RESTORE_CONTEXT', { failed_agent_id: 'agent_c', reconstruction: { timeline: [] } })]) {
    assert.doesNotMatch(p, /[{}"]/, p);
  }
});

test('bookkeeping is hidden by default and shows when the person widens the view, or asks for its type', () => {
  const m = new MonitorModel(100);
  const text = entry({ message_type: 'TEXT', text: 'hi' });
  const reg = entry({ message_type: 'REGISTER_AGENT', body: { message_type: 'REGISTER_AGENT', agent_name: 'planner' } });
  const gone = entry({ message_type: 'AGENT_INACTIVE', direction: 'internal', body: { agent_id: 'agent_p', silent_ms: 15000 } });
  const ask = entry({ message_type: 'REQUEST_CONTEXT', body: { message_type: 'REQUEST_CONTEXT', requester_id: 'a', failed_agent_id: 'b' } });
  const disc = entry({ message_type: 'CLIENT_DISCONNECTED', direction: 'internal', body: { client_id: 'x' } });
  const started = entry({ message_type: 'HUB_STARTED', direction: 'internal', body: { hub_id: 'hub_1' } });
  m.apply({ type: HostNotification.Entries, entries: [text, reg, gone, ask, disc, started] });
  assert.deepEqual(visibleSeqs(m), [text.seq, started.seq]);
  m.setFilter({ ...m.filter, showNoise: true });
  assert.deepEqual(visibleSeqs(m), [text.seq, reg.seq, gone.seq, ask.seq, disc.seq, started.seq]);
  m.setFilter({ ...EMPTY_FILTER, type: 'AGENT_INACTIVE' });
  assert.deepEqual(visibleSeqs(m), [gone.seq]);
});

test('a status line is addressed to its session; the hub starting reads as a sentence', () => {
  const s = toRow(entry({ message_type: 'STATUS', sender_id: 'agent_p', session_id: 'web_1', text: 'reading…' }), (id) => (id === 'web_1' ? 'demo user' : id));
  assert.equal(s.to, 'web_1');
  assert.equal(toRow(entry({ message_type: 'HUB_STARTED', direction: 'internal', body: { hub_id: 'hub_1', port: 8765, host: '127.0.0.1' } })).preview, 'hub hub_1 started on 127.0.0.1:8765');
});
