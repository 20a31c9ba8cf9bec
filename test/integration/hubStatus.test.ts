// Seed 000 status messages and the monitor role: STATUS routed by session, AGENT_EVENT to monitors, the log, the
// in-process events and the `agent.events` bus channel; REGISTER_MONITOR backlog, live batches and agent updates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHub, connect, agent, frontend, closeAll, waitUntil } from './hubHarness';
import { MemoryBus } from '../../src/bus/memoryBus';
import { HUB_USER_ID } from '../../src/hub/hub';
import type { Envelope } from '../../src/protocol/schemas';
import type { LogEntry } from '../../src/protocol/logEntry';
import type { StatusLineEvent } from '../../src/hub/hubEvents';

test('STATUS goes only to the front-end named by session_id, and is kept in that session', async () => {
  const hub = await startHub();
  const a = await agent(hub, 'a');
  const f1 = await frontend(hub, 'one');
  const f2 = await frontend(hub, 'two');
  const lines: StatusLineEvent[] = [];
  hub.events.on('status', (l) => lines.push(l));
  a.c.send({ message_type: 'STATUS', session_id: f1.id, text_payload: 'searching the web…' });
  const s = await f1.c.waitType('STATUS');
  assert.equal(s.text_payload, 'searching the web…');
  assert.equal(s.sender_id, a.id);
  assert.equal(s.agent_id, a.id);
  await waitUntil(() => lines.length === 1);
  assert.deepEqual({ ...lines[0]!, time: '' }, { time: '', agent_id: a.id, session_id: f1.id, text: 'searching the web…' });
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(f2.c.ofType('STATUS').length, 0);
  const session = hub.sessions().find((x) => x.session_id === f1.id)!;
  assert.equal(session.status_lines.at(-1)?.text, 'searching the web…');
  assert.equal(hub.agent(a.id)?.last_status_text, 'searching the web…');
  await closeAll(hub, a, f1, f2);
});

test('STATUS for the built-in UI session and with no session reach monitors and events, and no front-end', async () => {
  const hub = await startHub();
  const a = await agent(hub, 'a');
  const f = await frontend(hub);
  const m = await connect(hub);
  m.send({ message_type: 'REGISTER_MONITOR', monitor_name: 'tail' });
  await m.waitType('REGISTER_MONITOR_RESPONSE');
  a.c.send({ message_type: 'STATUS', session_id: HUB_USER_ID, text_payload: 'for you' });
  a.c.send({ message_type: 'STATUS', text_payload: 'for nobody' });
  const seen = (text: string) => m.frames.some((fr) => fr.message_type === 'MONITOR_EVENTS' && (fr.entries as LogEntry[]).some((e) => e.message_type === 'STATUS' && e.body.text_payload === text));
  await waitUntil(() => seen('for you') && seen('for nobody'), 3000, 'status lines at the monitor');
  assert.equal(hub.sessions().find((s) => s.session_id === HUB_USER_ID)?.status_lines.at(-1)?.text, 'for you');
  assert.equal(f.c.ofType('STATUS').length, 0);
  await closeAll(hub, a, f, m);
});

test("STATUS for the early UI's user_ id reaches that UI and is kept in its front-end session", async () => {
  const hub = await startHub();
  const a = await agent(hub, 'a');
  const ui = await connect(hub);
  ui.send({ message_type: 'REGISTER_FRONTEND', timestamp: Date.now() });
  const reg = await ui.waitType('REGISTER_FRONTEND_RESPONSE');
  ui.send({ message_type: 'TEXT', sender_id: 'user_abc123xyz', receiver_id: a.id, text_payload: 'go' });
  await a.c.waitType('TEXT');
  a.c.send({ message_type: 'STATUS', session_id: 'user_abc123xyz', text_payload: 'working on it' });
  assert.equal((await ui.waitType('STATUS')).text_payload, 'working on it');
  await waitUntil(() => hub.sessions().find((s) => s.session_id === reg.frontend_id)?.status_lines.at(-1)?.text === 'working on it');
  await closeAll(hub, a, ui);
});

test('AGENT_EVENT is emitted, logged, and published on agent.events as {websocket_session_id, event_type, timestamp, data}', async () => {
  const bus = new MemoryBus();
  const published: Envelope[] = [];
  await bus.subscribe('agent.events', (m) => {
    published.push(m);
  });
  const hub = await startHub({}, { bus });
  const a = await agent(hub, 'a');
  const f = await frontend(hub);
  const emitted: unknown[] = [];
  hub.events.on('agentEvent', (e) => emitted.push(e));
  a.c.send({ message_type: 'AGENT_EVENT', event_type: 'tool_call', data: { tool: 'search', q: 'x' }, session_id: f.id, timestamp: 'now-ish' });
  await waitUntil(() => published.length === 1 && emitted.length === 1, 3000, 'event published');
  const p = published[0]!;
  assert.equal(p.websocket_session_id, f.id);
  assert.equal(p.event_type, 'tool_call');
  assert.deepEqual(p.data, { tool: 'search', q: 'x' });
  assert.ok(typeof p.timestamp === 'string' && (p.timestamp as string).endsWith('Z') && !Number.isNaN(Date.parse(p.timestamp as string)));
  assert.equal(p.agent_id, a.id);
  assert.equal(hub.log.query({ message_type: 'AGENT_EVENT' }).length, 1);
  await closeAll(hub, a, f);
  assert.equal(bus.state, 'up', 'a bus handed in is not closed by the hub');
  await bus.close();
});

test('STATUS from an unregistered connection is refused with not_registered', async () => {
  const hub = await startHub();
  const c = await connect(hub);
  c.send({ message_type: 'STATUS', text_payload: 'who am I' });
  assert.equal((await c.waitType('ERROR')).code, 'not_registered');
  await closeAll(hub, c);
});

test('a monitor gets its response first, then the full agent list, the backlog, live batches and agent changes', async () => {
  const hub = await startHub({ monitorBatchMs: 20 });
  const a = await agent(hub, 'early');
  hub.sendMessage({ receiver_id: a.id, text_payload: 'before the monitor' });
  const m = await connect(hub);
  m.send({ message_type: 'REGISTER_MONITOR', monitor_name: 'panel', backlog: 50 });
  const r = await m.next();
  assert.equal(r.message_type, 'REGISTER_MONITOR_RESPONSE');
  assert.match(r.monitor_id as string, /^mon_/);
  assert.equal(r.hub_id, hub.id);
  const full = await m.next();
  assert.equal(full.message_type, 'AGENT_STATUS_UPDATE');
  assert.equal(full.is_full_update, true);
  const entry = (full.agents as Record<string, unknown>[])[0]!;
  for (const k of ['status', 'hub_id', 'namespace', 'status_text']) assert.ok(k in entry, `entry has ${k}`);
  const backlog = await m.next();
  assert.equal(backlog.message_type, 'MONITOR_EVENTS');
  assert.ok((backlog.entries as LogEntry[]).some((e) => e.body.text_payload === 'before the monitor'));
  hub.sendMessage({ receiver_id: a.id, text_payload: 'live' });
  await m.waitFor((fr) => fr.message_type === 'MONITOR_EVENTS' && (fr.entries as LogEntry[]).some((e) => e.body.text_payload === 'live'));
  const b = await agent(hub, 'late');
  await m.waitFor((fr) => fr.message_type === 'AGENT_STATUS_UPDATE' && (fr.agents as { agent_id: string }[]).some((x) => x.agent_id === b.id));
  await closeAll(hub, a, b, m);
});

test('a monitor may send chat and control like a front-end, always under its own id', async () => {
  const hub = await startHub();
  const a = await agent(hub, 'a');
  const m = await connect(hub);
  m.send({ message_type: 'REGISTER_MONITOR' });
  const r = await m.waitType('REGISTER_MONITOR_RESPONSE');
  m.send({ message_type: 'TEXT', sender_id: 'user_fake', receiver_id: a.id, text_payload: 'from monitor' });
  assert.equal((await a.c.waitType('TEXT')).sender_id, r.monitor_id);
  m.send({ message_type: 'PAUSE_AGENT', agent_id: a.id });
  await waitUntil(() => hub.agent(a.id)?.status === 'paused');
  await closeAll(hub, a, m);
});

test('a monitor that falls behind loses the oldest entries and is told how many were dropped', async () => {
  const hub = await startHub({ monitorBatchMs: 20, monitorMaxPending: 10 });
  const a = await agent(hub, 'a');
  const m = await connect(hub);
  m.send({ message_type: 'REGISTER_MONITOR', backlog: 0 });
  await m.waitType('REGISTER_MONITOR_RESPONSE');
  // 100 messages in one tick → 200+ log entries (in + out) against a pending bound of 10
  for (let i = 0; i < 100; i++) hub.sendMessage({ receiver_id: a.id, text_payload: `n${i}` });
  const batch = await m.waitFor((fr) => fr.message_type === 'MONITOR_EVENTS' && typeof fr.dropped === 'number', 3000, 'a batch with dropped');
  assert.ok((batch.dropped as number) >= 100);
  assert.ok((batch.entries as LogEntry[]).length <= 10);
  await closeAll(hub, a, m);
});
