// The typed boundary between host and webview, and the browser mode's translation of hub frames: malformed input
// is refused, well-formed input comes through with exactly the fields the other side relies on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HostNotification, parseHostNotification, parseWebviewCommand, WebviewCommand } from '../../src/protocol/webviewMessages';
import { HubFrameTranslator, registerMonitorFrame } from '../../src/webview/hubFrames';
import { keyToAction } from '../../src/webview/keyboard';
import { INITIAL_UI_STATE, parseUiState } from '../../src/webview/uiState';
import { MonitorModel } from '../../src/webview/monitorModel';

test('the host accepts well-formed webview commands and refuses malformed ones', () => {
  assert.deepEqual(parseWebviewCommand({ type: 'ready', extra: 1 }), { type: 'ready' });
  assert.deepEqual(
    parseWebviewCommand({ type: 'sendMessage', request_id: 'r1', message: { receiver_id: 'agent_a', text_payload: 'hi', thread: 't', evil: true } }),
    { type: 'sendMessage', request_id: 'r1', message: { receiver_id: 'agent_a', text_payload: 'hi', thread: 't' } },
  );
  assert.deepEqual(parseWebviewCommand({ type: 'controlAgent', request_id: 'r2', action: 'pause', agent_id: 'all' }), {
    type: 'controlAgent',
    request_id: 'r2',
    action: 'pause',
    agent_id: 'all',
  });
  for (const bad of [
    null,
    'ready',
    { type: 'nope' },
    { type: 'sendMessage', request_id: 'r', message: { receiver_id: '', text_payload: 'x' } },
    { type: 'sendMessage', request_id: 'r', message: { receiver_id: 'a', text_payload: 5 } },
    { type: 'sendMessage', request_id: 'r', message: { receiver_id: 'a', text_payload: 'x', message_type: 'PAUSE_AGENT' } },
    { type: 'sendMessage', message: { receiver_id: 'a', text_payload: 'x' } },
    { type: 'controlAgent', request_id: 'r', action: 'explode', agent_id: 'a' },
  ]) {
    assert.equal(parseWebviewCommand(bad), undefined, JSON.stringify(bad));
  }
  assert.equal((parseWebviewCommand({ type: 'reportError', message: 'x'.repeat(10_000) }) as { message: string }).message.length, 4000);
});

test('the webview accepts host notifications of known types with the right shapes only', () => {
  assert.ok(parseHostNotification({ type: 'entries', entries: [] }));
  assert.ok(parseHostNotification({ type: 'snapshot', hub: {}, agents: [], entries: [] }));
  assert.equal(parseHostNotification({ type: 'entries', entries: 'x' }), undefined);
  assert.equal(parseHostNotification({ type: 'agents', agents: [] }), undefined, 'full flag required');
  assert.equal(parseHostNotification({ type: 'whatever' }), undefined);
  assert.equal(parseHostNotification(undefined), undefined);
});

test('browser mode: a first registration starts from an empty picture, a reconnect to the same hub keeps rows', () => {
  const t = new HubFrameTranslator();
  const first = t.fromHub({ message_type: 'REGISTER_MONITOR_RESPONSE', status: 'success', monitor_id: 'mon_1', hub_id: 'hub_a' });
  assert.equal(first[0]!.type, HostNotification.Snapshot);
  assert.equal(t.connectedAs, 'mon_1');
  assert.equal(t.disconnected().type, HostNotification.Hub);
  assert.equal(t.connectedAs, null);
  const again = t.fromHub({ message_type: 'REGISTER_MONITOR_RESPONSE', status: 'success', monitor_id: 'mon_2', hub_id: 'hub_a' });
  assert.equal(again[0]!.type, HostNotification.Hub);
  const other = t.fromHub({ message_type: 'REGISTER_MONITOR_RESPONSE', status: 'success', monitor_id: 'mon_3', hub_id: 'hub_b' });
  assert.equal(other[0]!.type, HostNotification.Snapshot);
  const refused = t.fromHub({ message_type: 'REGISTER_MONITOR_RESPONSE', status: 'error', message: 'bad token' });
  assert.match(JSON.stringify(refused), /refused: bad token/);
});

test('browser mode: monitor batches, status updates, errors and shutdown become notifications', () => {
  const t = new HubFrameTranslator();
  assert.deepEqual(t.fromHub({ message_type: 'MONITOR_EVENTS', entries: [{ seq: 1 }], dropped: 3 }), [
    { type: 'entries', entries: [{ seq: 1 }], dropped: 3 },
  ]);
  assert.deepEqual(t.fromHub({ message_type: 'AGENT_STATUS_UPDATE', agents: [], is_full_update: true }), [{ type: 'agents', agents: [], full: true }]);
  assert.equal((t.fromHub({ message_type: 'ERROR', text_payload: 'Unknown receiver' })[0] as { ok: boolean }).ok, false);
  assert.match(JSON.stringify(t.fromHub({ message_type: 'SHUTDOWN' })), /stopped/);
  assert.deepEqual(t.fromHub({ message_type: 'SERVER_HEARTBEAT' }), []);
  assert.deepEqual(t.fromHub('garbage'), []);
  assert.deepEqual(registerMonitorFrame('x', 10), { message_type: 'REGISTER_MONITOR', monitor_name: 'x', backlog: 10 });
});

test('browser mode: commands become hub frames sent as the monitor, and fail plainly before registration', () => {
  const t = new HubFrameTranslator();
  const early = t.toHub({ type: WebviewCommand.SendMessage, request_id: 'r0', message: { receiver_id: 'agent_a', text_payload: 'hi' } });
  assert.equal(early.frames.length, 0);
  assert.match(JSON.stringify(early.reply), /Not connected/);
  t.fromHub({ message_type: 'REGISTER_MONITOR_RESPONSE', status: 'success', monitor_id: 'mon_1', hub_id: 'hub_a' });
  const sent = t.toHub(
    { type: WebviewCommand.SendMessage, request_id: 'r1', message: { receiver_id: 'agent_a', text_payload: 'hi', in_reply_to_message_id: 'm0', thread: 't' } },
    () => 'NOW',
  );
  const f = sent.frames[0]!;
  assert.equal(f.message_type, 'TEXT');
  assert.equal(f.sender_id, 'mon_1');
  assert.equal(f.receiver_id, 'agent_a');
  assert.equal(f.in_reply_to_message_id, 'm0');
  assert.equal(f.thread, 't');
  assert.equal(f.send_timestamp, 'NOW');
  assert.match(String(f.message_id), /^msg_[0-9a-f]{12}_[0-9a-z]+$/);
  assert.deepEqual(sent.reply, { type: 'commandResult', request_id: 'r1', ok: true, detail: f.message_id });
  assert.deepEqual(t.toHub({ type: WebviewCommand.ControlAgent, request_id: 'r2', action: 'resume', agent_id: 'agent_a' }).frames, [
    { message_type: 'RESUME_AGENT', agent_id: 'agent_a', receiver_id: 'agent_a' },
  ]);
  assert.deepEqual(t.toHub({ type: WebviewCommand.ControlAgent, request_id: 'r3', action: 'pause', agent_id: 'all' }).frames, [
    { message_type: 'PAUSE_ALL_AGENTS' },
  ]);
});

test('keyboard: arrows and j/k move, Enter opens, / searches, Esc always closes, inputs keep their keys', () => {
  const ctx = { inInput: false, pageRows: 10 };
  assert.deepEqual(keyToAction('j', ctx), { kind: 'move', delta: 1 });
  assert.deepEqual(keyToAction('ArrowUp', ctx), { kind: 'move', delta: -1 });
  assert.deepEqual(keyToAction('PageDown', ctx), { kind: 'move', delta: 9 });
  assert.deepEqual(keyToAction('Enter', ctx), { kind: 'open' });
  assert.deepEqual(keyToAction('/', ctx), { kind: 'focusSearch' });
  assert.deepEqual(keyToAction('End', ctx), { kind: 'last' });
  assert.deepEqual(keyToAction(' ', ctx), { kind: 'togglePause' });
  assert.equal(keyToAction('j', { ...ctx, inInput: true }), undefined);
  assert.equal(keyToAction('k', { ...ctx, ctrl: true }), undefined);
  assert.deepEqual(keyToAction('Escape', { ...ctx, inInput: true }), { kind: 'escape' });
  assert.equal(keyToAction('x', ctx), undefined);
});

test('stored UI state is parsed defensively and round-trips', () => {
  assert.deepEqual(parseUiState(undefined), INITIAL_UI_STATE);
  const s = { ...INITIAL_UI_STATE, filter: { type: 'TEXT', agent: 'agent_a', text: 'plan', showNoise: true, raw: false }, paused: true, selectedSeq: 42, detailTab: 'thread' as const, agentId: 'agent_a', detailOpen: true, follow: false, detailWidth: 480, reconstructionOpen: true };
  assert.deepEqual(parseUiState(JSON.parse(JSON.stringify(s))), s);
  const junk = parseUiState({ filter: 'x', reconstructionOpen: 'yes', paused: 'yes', selectedSeq: 'NaN', detailTab: 'evil', agentId: 7, follow: 0 });
  assert.deepEqual(junk, { ...INITIAL_UI_STATE, follow: true });
});

test('browser mode end to end in Node: register, backlog, live, reconnect with an overlapping backlog — no duplicates, nothing lost', () => {
  const t = new HubFrameTranslator();
  const m = new MonitorModel(1000);
  const feed = (frame: unknown): void => {
    for (const n of t.fromHub(frame)) m.apply(n);
  };
  const e = (seq: number) => ({ seq, time: 1000 + seq, direction: 'in', message_type: 'TEXT', size: 1, body: { text_payload: `m${seq}` } });
  const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => e(a + i));
  feed({ message_type: 'REGISTER_MONITOR_RESPONSE', status: 'success', monitor_id: 'mon_1', hub_id: 'hub_a' });
  feed({ message_type: 'AGENT_STATUS_UPDATE', agents: [{ agent_id: 'agent_1', agent_name: 'one', is_online: true, last_seen: null }], is_full_update: true });
  feed({ message_type: 'MONITOR_EVENTS', entries: range(1, 10) });
  feed({ message_type: 'MONITOR_EVENTS', entries: range(11, 15) });
  m.apply(t.disconnected());
  assert.equal(m.hub.state, 'disconnected');
  feed({ message_type: 'REGISTER_MONITOR_RESPONSE', status: 'success', monitor_id: 'mon_2', hub_id: 'hub_a' });
  feed({ message_type: 'MONITOR_EVENTS', entries: range(6, 20), dropped: 2 });
  assert.equal(m.hub.state, 'running');
  const seqs = Array.from({ length: m.visibleCount }, (_, i) => m.rowAt(i)!.seq);
  assert.deepEqual(seqs, range(1, 20).map((x) => x.seq));
  assert.equal(m.droppedCount, 2);
  assert.equal(m.agents.get('agent_1')!.agent_name, 'one', 'agents survive a reconnect to the same hub');
  assert.equal(t.connectedAs, 'mon_2');
});
