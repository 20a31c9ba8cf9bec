// Seed 004 topics in the monitor: topic rows read "on ns:topic: …", the topic filter narrows the table, "Load older"
// pages go before the rows in order (asked for with the oldest id on screen, over the page's socket or the panel's
// host), and a topic thread opens in the sequence diagram as one arrow per message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LogEntry } from '../../src/protocol/logEntry';
import { HostNotification, WebviewCommand, type HostToWebview, parseHostNotification, parseWebviewCommand } from '../../src/protocol/webviewMessages';
import { MonitorModel } from '../../src/webview/monitorModel';
import { EMPTY_FILTER, compileFilter, isFilterActive, matchesMessage, parseFilter, parseMessageFilter, topicsOfEntry } from '../../src/protocol/filter';
import { toRow } from '../../src/webview/rowModel';
import { buildSequence, extractThread } from '../../src/webview/threads';
import { HubFrameTranslator } from '../../src/webview/hubFrames';

let seq = 0;
/** A stored topic message as the hub hands it out (TOPIC_MESSAGE body, HISTORY_RESPONSE entries). */
function stored(id: string, topic: string, payload: Record<string, unknown>, extra: Record<string, unknown> = {}, ns = 'default'): Record<string, unknown> {
  return {
    id,
    namespace: ns,
    sender: { id: 'agent_pub', name: 'pub' },
    topics: topic,
    topic_published_to: topic,
    payload,
    format: 'json',
    priority: 4,
    timestamp: 1_700_000_000 + Number(id) / 1000,
    thread: [id],
    ...extra,
  };
}
/** The hub's log entry of one TOPIC_MESSAGE fan-out (logged once, with recipients). */
function delivered(m: Record<string, unknown>): LogEntry {
  const e: LogEntry = {
    seq: ++seq,
    time: 1_700_000_000_000 + seq,
    direction: 'out',
    message_type: 'TOPIC_MESSAGE',
    message_id: m.id as string,
    sender_id: (m.sender as { id: string }).id,
    thread: (m.thread as string[])[0],
    size: 100,
    recipients: 2,
    body: { message_type: 'TOPIC_MESSAGE', message_id: m.id, sender_id: (m.sender as { id: string }).id, thread: m.thread, message: m },
  };
  if (m.in_response_to != null) e.in_reply_to_message_id = String(m.in_response_to);
  return e;
}
function published(topics: string | string[], payload: Record<string, unknown>, extra: Record<string, unknown> = {}): LogEntry {
  return {
    seq: ++seq,
    time: 1_700_000_000_000 + seq,
    direction: 'in',
    message_type: 'PUBLISH',
    client_id: 'agent_pub',
    role: 'agent',
    message_id: `env-${seq}`,
    sender_id: 'agent_pub',
    size: 80,
    body: { message_type: 'PUBLISH', message_id: `env-${seq}`, sender_id: 'agent_pub', topics, payload, ...extra },
  };
}
const text = (e: LogEntry | undefined): string => String(((e?.body.message as Record<string, unknown>)?.payload as { text?: string })?.text);
const snapshot = (entries: LogEntry[]): HostToWebview => ({
  type: HostNotification.Snapshot,
  hub: { hub_id: 'h', state: 'running', mode: 'browser' },
  agents: [{ agent_id: 'agent_pub', agent_name: 'pub', is_online: true, last_seen: null, namespace: 'team' }],
  entries,
});

test('topic rows name their topic (namespace:topic) in the preview and the To cell; the picker lists every topic seen', () => {
  const a = stored('1000', 'news', { text: 'hello' });
  const b = stored('2000', 'alerts', { level: 3 }, {}, 'ops');
  const m = new MonitorModel();
  m.apply(snapshot([published('news', { text: 'hello' }), delivered(a), delivered(b)]));
  const rows = [0, 1, 2].map((i) => toRow(m.rowAt(i)!));
  assert.equal(rows[0]!.preview, 'publish on news: hello');
  // the PUBLISH names no namespace: the sender's (the agent registered into "team") fills it in for the picker
  assert.equal(rows[1]!.preview, 'on default:news: hello');
  assert.equal(rows[1]!.to, 'default:news');
  assert.equal(rows[2]!.preview, 'on ops:alerts: {"level":3}');
  assert.deepEqual([...m.topics].sort(), ['default:news', 'ops:alerts', 'team:news']);
  assert.deepEqual(topicsOfEntry(m.rowAt(0)!), ['*:news']);
});

test('the topic filter shows that topic only (a PUBLISH matches its topic by name), survives a stored state, and counts as active', () => {
  const m = new MonitorModel();
  const news = stored('1000', 'news', { text: 'n1' });
  m.apply(snapshot([published('news', { text: 'n1' }), delivered(news), delivered(stored('1500', 'news', { text: 'n2' }, {}, 'ops')), delivered(stored('2000', 'alerts', { text: 'a1' }))]));
  m.setFilter({ ...EMPTY_FILTER, topic: 'default:news' });
  assert.deepEqual(Array.from({ length: m.visibleCount }, (_, i) => m.rowAt(i)!.message_type), ['PUBLISH', 'TOPIC_MESSAGE']);
  assert.equal(text(m.rowAt(1)), 'n1');
  m.setFilter({ ...EMPTY_FILTER, topic: 'ops:news' });
  assert.deepEqual(Array.from({ length: m.visibleCount }, (_, i) => (m.rowAt(i)!.message_type === 'PUBLISH' ? 'PUBLISH' : text(m.rowAt(i)))), ['PUBLISH', 'n2']);
  m.setFilter({ ...EMPTY_FILTER });
  assert.equal(m.visibleCount, 4);
  assert.equal(isFilterActive({ ...EMPTY_FILTER, topic: 'default:news' }), true);
  assert.equal(parseFilter({ ...EMPTY_FILTER, topic: 'default:news' }).topic, 'default:news');
  assert.equal(parseFilter({ ...EMPTY_FILTER, topic: 7 }).topic, undefined);
  assert.equal(compileFilter({ ...EMPTY_FILTER, topic: 'default:news' })(delivered(stored('3000', 'alerts', {}))), false);
});

test('Load older: asks before the oldest id on screen, puts each page before the rows in order, skips what is shown, stops at the beginning', () => {
  const m = new MonitorModel();
  m.apply(snapshot([delivered(stored('5000', 'news', { text: 'm5' })), delivered(stored('6000', 'news', { text: 'm6' }))]));
  assert.equal(m.canLoadOlder, false, 'no topic chosen');
  m.setFilter({ ...EMPTY_FILTER, topic: 'default:news' });
  assert.equal(m.canLoadOlder, true);
  assert.equal(m.oldestTopicId(), '5000');
  // the hub's page, oldest first (it may overlap what is on screen)
  const page1 = ['3000', '4000', '5000'].map((id) => stored(id, 'news', { text: `m${Number(id) / 1000}` }));
  const ch = m.apply({ type: HostNotification.TopicHistory, request_id: 'r1', topic: 'default:news', limit: 2, messages: page1 });
  assert.equal(ch.rows, true);
  const shown = (): string[] => Array.from({ length: m.visibleCount }, (_, i) => text(m.rowAt(i)));
  assert.deepEqual(shown(), ['m3', 'm4', 'm5', 'm6']);
  assert.equal(m.oldestTopicId(), '3000');
  const first = m.rowAt(0)!;
  assert.ok(first.seq < 0, 'older rows number below the log');
  assert.equal(m.entryBySeq(first.seq), first);
  assert.equal(m.visibleIndexOfSeq(first.seq), 0);
  assert.equal(m.visibleIndexOfSeq(m.rowAt(3)!.seq), 3);
  assert.equal(toRow(first).to, 'default:news');
  m.apply({ type: HostNotification.TopicHistory, request_id: 'r2', topic: 'default:news', limit: 100, messages: [stored('1000', 'news', { text: 'm1' })] });
  assert.deepEqual(shown(), ['m1', 'm3', 'm4', 'm5', 'm6']);
  assert.equal(m.canLoadOlder, false, 'a short page: the topic began there');
  // a page for another topic (answered late, after the person moved on) is ignored; changing topic forgets the pages
  assert.equal(m.apply({ type: HostNotification.TopicHistory, request_id: 'r3', topic: 'default:other', messages: page1 }).rows, false);
  m.setFilter({ ...EMPTY_FILTER, topic: 'default:alerts' });
  assert.equal(m.visibleCount, 0);
  m.setFilter({ ...EMPTY_FILTER, topic: 'default:news' });
  assert.deepEqual(shown(), ['m5', 'm6']);
});

test('the page asks the hub with HISTORY {topic, before_id, limit} and turns its HISTORY_RESPONSE (or ERROR) into the answer', () => {
  const t = new HubFrameTranslator();
  const cmd = { type: WebviewCommand.LoadTopicHistory, request_id: 'r7', topic: 'default:news', before_id: '5000', limit: 100 } as const;
  assert.equal(t.toHub(cmd).reply?.type, HostNotification.CommandResult, 'not registered yet');
  t.fromHub({ message_type: 'REGISTER_MONITOR_RESPONSE', status: 'success', monitor_id: 'mon_1', hub_id: 'h' });
  const [frame] = t.toHub(cmd).frames;
  assert.deepEqual({ ...frame, request_id: undefined }, { message_type: 'HISTORY', topic: 'default:news', before_id: '5000', limit: 100, request_id: undefined });
  const messages = [stored('4000', 'news', {})];
  assert.deepEqual(t.fromHub({ message_type: 'HISTORY_RESPONSE', request_id: frame!.request_id, topic: 'default:news', messages }), [
    { type: HostNotification.TopicHistory, request_id: 'r7', topic: 'default:news', limit: 100, messages },
  ]);
  assert.deepEqual(t.fromHub({ message_type: 'HISTORY_RESPONSE', request_id: frame!.request_id, messages }), [], 'answered once');
  const [again] = t.toHub(cmd).frames;
  assert.deepEqual(t.fromHub({ message_type: 'ERROR', request_id: again!.request_id, text_payload: 'Unknown topic' }), [
    { type: HostNotification.CommandResult, request_id: 'r7', ok: false, detail: 'Unknown topic' },
  ]);
});

test('the VS Code panel\'s message kinds are checked at the boundary', () => {
  assert.deepEqual(parseWebviewCommand({ type: 'loadTopicHistory', request_id: 'r', topic: 'ns:t', before_id: '12', limit: 5000 }), {
    type: 'loadTopicHistory', request_id: 'r', topic: 'ns:t', before_id: '12', limit: 1000,
  });
  assert.equal(parseWebviewCommand({ type: 'loadTopicHistory', request_id: 'r', topic: 'ns:t', before_id: '1e9' }), undefined);
  assert.equal(parseWebviewCommand({ type: 'loadTopicHistory', request_id: 'r', topic: '' }), undefined);
  assert.ok(parseHostNotification({ type: 'topicHistory', request_id: 'r', topic: 'ns:t', messages: [] }));
  assert.equal(parseHostNotification({ type: 'topicHistory', request_id: 'r', topic: 'ns:t', messages: [1] }), undefined);
});

test('a topic thread (thread list, in_response_to) opens as a sequence diagram, one arrow per message, older pages included', () => {
  const m = new MonitorModel();
  const root = stored('5000', 'news', { text: 'question' });
  const answer = stored('6000', 'news', { text: 'answer' }, { thread: ['5000', '6000'], in_response_to: '5000', sender: { id: 'agent_b', name: 'b' } });
  const other = stored('6500', 'news', { text: 'unrelated' });
  m.apply(snapshot([delivered(root), published('news', { text: 'answer' }, { in_response_to: '5000', thread: ['5000'] }), delivered(answer), delivered(other)]));
  m.setFilter({ ...EMPTY_FILTER, topic: 'default:news' });
  // an older page of unrelated messages leaves the thread as it was
  const earlier = stored('4000', 'news', { text: 'context' });
  m.apply({ type: HostNotification.TopicHistory, request_id: 'r', topic: 'default:news', messages: [earlier] });
  assert.equal(text(m.rowAt(0)), 'context');
  const fromAnswer = extractThread(m.entries(), m.entryBySeq([...m.entries()].find((e) => e.message_type === 'TOPIC_MESSAGE' && text(e) === 'answer')!.seq)!);
  const diagram = buildSequence(fromAnswer);
  assert.deepEqual(diagram.messages.map((x) => x.label), ['on default:news: question', 'on default:news (reply to 5000): answer']);
  assert.deepEqual(diagram.participants, ['agent_pub', 'default:news', 'agent_b']);
  // an older page's message with a thread list joins its thread
  const olderReply = stored('3000', 'news', { text: 'old reply' }, { thread: ['2000', '3000'], in_response_to: '2000' });
  const olderRoot = stored('2000', 'news', { text: 'old root' });
  m.apply({ type: HostNotification.TopicHistory, request_id: 'r2', topic: 'default:news', messages: [olderRoot, olderReply] });
  const oldRow = m.rowAt(0)!;
  assert.equal(text(oldRow), 'old root');
  assert.deepEqual(buildSequence(extractThread(m.entries(), oldRow)).messages.map((x) => x.label), ['on default:news: old root', 'on default:news (reply to 2000): old reply']);
});

test('the filter language\'s topic: key names a topic in any namespace, or namespace:topic exactly', () => {
  const parsed = parseMessageFilter('topic:news type:TOPIC_MESSAGE');
  assert.ok(parsed.ok);
  const inCrew = { message_type: 'TOPIC_MESSAGE', message_id: '1000', message: stored('1000', 'news', {}, {}, 'crew') };
  const inOps = { message_type: 'TOPIC_MESSAGE', message_id: '2000', message: stored('2000', 'news', {}, {}, 'ops') };
  const publish = { message_type: 'PUBLISH', topics: ['alerts', 'news'], payload: {} };
  assert.equal(matchesMessage(parsed.filter, inCrew), true);
  assert.equal(matchesMessage(parsed.filter, inOps), true);
  const exact = parseMessageFilter('topic:crew:news');
  assert.ok(exact.ok);
  assert.deepEqual([inCrew, inOps, publish].map((m) => matchesMessage(exact.filter, m)), [true, false, true]);
  const other = parseMessageFilter('topic:weather,alerts');
  assert.ok(other.ok);
  assert.deepEqual([inCrew, publish, { message_type: 'TEXT', text_payload: 'topic news' }].map((m) => matchesMessage(other.filter, m)), [false, true, false]);
  const bad = parseMessageFilter('colour:red');
  assert.match(!bad.ok ? bad.error : '', /topic:/);
});
