// What `switchboard tail` prints for given log entries and presence updates: the default view, filters, NDJSON,
// colours only when asked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LogEntry } from '../../src/protocol/logEntry';
import { TailPrinter, type TailOptions } from '../../src/cli/tailPrinter';
import { palette } from '../../src/cli/terminal';

let seq = 0;
function entry(message_type: string, fields: Partial<LogEntry> = {}, body: Record<string, unknown> = {}): LogEntry {
  return { seq: ++seq, time: Date.UTC(2026, 0, 1, 12, 0, 0), direction: 'in', message_type, size: 10, body: { message_type, ...body }, ...fields };
}

function printer(opts: Partial<TailOptions> = {}, color = false): { lines: string[]; p: TailPrinter } {
  const lines: string[] = [];
  return { lines, p: new TailPrinter((l) => lines.push(l), palette(color), { json: false, ...opts }) };
}

const agents = [
  { agent_id: 'agent_aaaa0001', agent_name: 'planner', is_online: true, last_seen: null, status: 'online' as const },
  { agent_id: 'agent_bbbb0002', agent_name: 'coder', is_online: true, last_seen: null, status: 'online' as const },
];

const traffic = (): LogEntry[] => [
  entry('PONG', { client_id: 'agent_aaaa0001' }),
  entry('PING', { direction: 'out', client_id: 'agent_aaaa0001' }),
  entry('AGENT_STATUS_UPDATE', { direction: 'out', client_id: 'web_1' }),
  entry('TEXT', { sender_id: 'web_1', receiver_id: 'agent_aaaa0001' }, { text_payload: 'plan a trip' }),
  entry('TEXT', { direction: 'out', sender_id: 'web_1', receiver_id: 'agent_aaaa0001' }, { text_payload: 'plan a trip' }),
  entry('STATUS', { sender_id: 'agent_aaaa0001', session_id: 'web_1' }, { text_payload: 'thinking…', session_id: 'web_1' }),
  entry('STATUS', { sender_id: 'agent_bbbb0002' }, { text_payload: 'linting…' }),
  entry('AGENT_EVENT', { sender_id: 'agent_bbbb0002' }, { event_type: 'tool_call', data: { tool: 'lint' } }),
];

test('the default view shows what agents and people do, not keepalives, bookkeeping or the hub’s own copies', () => {
  const { lines, p } = printer();
  p.agents(agents);
  p.entries(traffic(), 0);
  const body = lines.slice(2);
  assert.equal(body.length, 4, body.join('\n'));
  assert.match(body[0]!, /TEXT\s+web_1 → planner\s+"plan a trip"/);
  assert.match(body[1]!, /STATUS\s+planner → web_1\s+thinking…$/);
  assert.match(body[2]!, /STATUS\s+coder\s+linting…\s+\(no session\)/);
  assert.match(body[3]!, /AGENT_EVENT\s+coder\s+tool_call \{"tool":"lint"\}/);
});

test('--type shows exactly those types in any direction; --all adds keepalives and outgoing frames', () => {
  const typed = printer({ types: new Set(['PING', 'TEXT']) });
  typed.p.entries(traffic(), 0);
  assert.deepEqual(typed.lines.map((l) => /(PING|TEXT)/.exec(l)?.[1]), ['PING', 'TEXT', 'TEXT']);
  const all = printer({ all: true });
  all.p.entries(traffic(), 0);
  assert.equal(all.lines.length, traffic().length);
});

test('--agent matches by id or by name, as sender, receiver or connection', () => {
  const byName = printer({ agents: ['coder'] });
  byName.p.agents(agents);
  byName.p.entries(traffic(), 0);
  const shown = byName.lines.filter((l) => !l.includes('● online'));
  assert.equal(shown.length, 2);
  assert.ok(shown.every((l) => l.includes('coder')));
  const byId = printer({ agents: ['agent_aaaa0001'] });
  byId.p.entries(traffic(), 0);
  assert.equal(byId.lines.length, 2, byId.lines.join('\n')); // the TEXT to it and its STATUS
});

test('presence lines are printed when an agent’s status changes, not for every update', () => {
  const { lines, p } = printer();
  p.agents(agents);
  p.agents(agents);
  p.agents([{ ...agents[0]!, is_online: false, status: 'offline' }]);
  p.agents([{ ...agents[0]!, status: 'paused' }]);
  assert.equal(lines.length, 4);
  assert.match(lines[2]!, /○ offline\s+planner agent_aaaa0001/);
  assert.match(lines[3]!, /◐ paused\s+planner/);
});

test('--json prints each wanted entry as one JSON line and no presence lines; a skipped-entries notice only in text mode', () => {
  const { lines, p } = printer({ json: true });
  p.agents(agents);
  p.entries(traffic(), 3);
  assert.equal(lines.length, 4);
  for (const l of lines) assert.equal(typeof (JSON.parse(l) as LogEntry).seq, 'number');
  const text = printer();
  text.p.entries([], 3);
  assert.match(text.lines[0]!, /skipped 3 entries/);
});

test('colours appear only when enabled', () => {
  const plain = printer({}, false);
  const coloured = printer({}, true);
  plain.p.entries(traffic(), 0);
  coloured.p.entries(traffic(), 0);
  assert.ok(plain.lines.every((l) => !l.includes('\u001b[')));
  assert.ok(coloured.lines.every((l) => l.includes('\u001b[')));
});

test('with a backlog asked for, the presence snapshot that arrives first is printed after the older backlog entries', () => {
  const { lines, p } = printer({ holdPresenceForBacklog: true });
  p.agents(agents); // the hub sends its snapshot (now) before the backlog (earlier)
  assert.equal(lines.length, 0, 'held until the backlog');
  p.entries([entry('TEXT', { sender_id: 'web_1', receiver_id: 'agent_aaaa0001', time: Date.now() - 60_000 }, { text_payload: 'earlier' })], 0);
  assert.match(lines[0]!, /TEXT/);
  assert.match(lines[1]!, /● online\s+planner/);
  assert.match(lines[2]!, /● online\s+coder/);
  p.agents([{ ...agents[0]!, is_online: false, status: 'offline' as const }]);
  assert.match(lines[3]!, /○ offline\s+planner/, 'later presence prints at once');
});

test('a held presence snapshot is released when no backlog comes', () => {
  const { lines, p } = printer({ holdPresenceForBacklog: true });
  p.agents(agents);
  p.releaseHeld();
  assert.equal(lines.length, 2);
  p.entries([entry('TEXT', { sender_id: 'web_1', receiver_id: 'agent_aaaa0001' }, { text_payload: 'x' })], 0);
  assert.equal(lines.length, 3);
});

test('tail --type REPLY prints a reply once, not again for its delivery and each front-end copy (those need --all)', () => {
  const reply = (direction: LogEntry['direction'], client_id: string): LogEntry =>
    entry('REPLY', { direction, client_id, message_id: 'msg_r1', sender_id: 'agent_aaaa0001', receiver_id: 'agent_bbbb0002' }, { text_payload: 'done' });
  const frames = [reply('in', 'agent_aaaa0001'), reply('out', 'agent_bbbb0002'), reply('out', 'web_1')];
  const once = printer({ types: new Set(['REPLY']), agents: ['planner'] });
  once.p.agents(agents);
  once.p.entries(frames, 0);
  assert.equal(once.lines.filter((l) => l.includes('REPLY')).length, 1, once.lines.join('\n'));
  const all = printer({ types: new Set(['REPLY']), all: true });
  all.p.entries(frames, 0);
  assert.equal(all.lines.filter((l) => l.includes('REPLY')).length, 3, all.lines.join('\n'));
});

test('tail says what bookkeeping means: an agent that went silent, a disconnect', () => {
  const { lines, p } = printer();
  p.agents(agents);
  p.entries([
    entry('AGENT_INACTIVE', { direction: 'internal', client_id: 'agent_aaaa0001' }, { agent_id: 'agent_aaaa0001', silent_ms: 15000 }),
    entry('CLIENT_DISCONNECTED', { direction: 'internal', client_id: 'agent_bbbb0002' }, { client_id: 'agent_bbbb0002', connection_type: 'agent', code: 1006, reason: '' }),
  ], 0);
  assert.ok(lines.some((l) => l.includes('planner went offline: silent 15 s')), lines.join('\n'));
  assert.ok(lines.some((l) => l.includes('coder disconnected: code 1006')), lines.join('\n'));
});

test('an approval request says what the agent asks and how to answer it here; the decision and the timeout say who decided', () => {
  const { lines, p } = printer({ cli: 'node dist/cli.js' });
  p.agents(agents);
  p.entries(
    [
      entry('REGISTER_MONITOR', { client_id: 'mon_1' }, { monitor_name: 'switchboard approve' }),
      entry('TOOL_APPROVAL_REQUEST', { sender_id: 'agent_bbbb0002' }, { approval_id: 'ap_1', tool: 'write_file', arguments: { files: ['a.ts'] }, timeout_ms: 30_000 }),
      entry('TOOL_APPROVAL_DECISION', { client_id: 'mon_1', sender_id: 'mon_1' }, { approval_id: 'ap_1', approved: true, note: 'fine' }),
      entry('TOOL_APPROVAL_TIMEOUT', { direction: 'internal', client_id: 'agent_bbbb0002' }, { approval_id: 'ap_2', tool: 'rm', applied_default: false }),
      entry('MONITOR_UNSUBSCRIBE', { client_id: 'mon_1' }, { agent_id: 'agent_bbbb0002' }),
    ],
    0,
  );
  const body = lines.slice(2).join('\n');
  assert.match(body, /TOOL_APPROVAL_REQUEST coder\s+write_file \{"files":\["a\.ts"\]\}\n\s+→ node dist\/cli\.js approve ap_1 {2}or {2}node dist\/cli\.js deny ap_1; in 30 s it is denied by default/);
  assert.match(body, /TOOL_APPROVAL_DECISION switchboard approve\s+approved ap_1 "fine"/);
  assert.match(body, /rm ap_2: nobody answered, denied by default/);
  assert.doesNotMatch(body, /MONITOR_UNSUBSCRIBE/, 'subscription bookkeeping stays out of the default view');
});
