// Agent streams (seed 003) over real sockets: SNAPSHOT at once, DIFFs only when something changed, STREAM_EVENTs,
// the context cap, role checks, and tool approvals resolved exactly once (races, timeouts, an agent leaving).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyPatch, deepClone, type Operation } from 'fast-json-patch';
import { startHub, agent, frontend, connect, closeAll, waitUntil, type TestClient } from './hubHarness';
import type { Hub } from '../../src/hub/hub';
import type { Envelope } from '../../src/protocol/schemas';

async function monitor(hub: Hub, name = 'mon'): Promise<{ c: TestClient; id: string }> {
  const c = await connect(hub);
  c.send({ message_type: 'REGISTER_MONITOR', monitor_name: name, backlog: 0 });
  const r = await c.waitType('REGISTER_MONITOR_RESPONSE');
  return { c, id: r.monitor_id as string };
}

function stateOf(f: Envelope): Record<string, unknown> {
  return { agent_id: f.agent_id, agent: f.agent, context: f.context, pending_approvals: f.pending_approvals };
}

const ofAgent = (c: TestClient, type: string, id: string): Envelope[] => c.ofType(type).filter((f) => f.agent_id === id);

test('a subscriber gets a SNAPSHOT at once (no context yet), then DIFFs that rebuild the state, none when nothing changed', async () => {
  const hub = await startHub({ streamDiffIntervalMs: 10 });
  const a = await agent(hub, 'coder');
  hub.flushAgentStatus(); // the registration's presence change is published before the stream starts
  const f = await frontend(hub);
  f.c.send({ message_type: 'MONITOR_SUBSCRIBE', agent_id: a.id });
  const snap = await f.c.waitFor((m) => m.message_type === 'SNAPSHOT' && m.agent_id === a.id);
  assert.equal(snap.context, null);
  assert.equal((snap.agent as { agent_name: string }).agent_name, 'coder');
  assert.deepEqual(snap.pending_approvals, []);
  assert.equal(snap.seq, 0);

  a.c.send({ message_type: 'AGENT_CONTEXT', context: { model: 'm1', tools: ['read'], messages: [] } });
  await f.c.waitFor((m) => m.message_type === 'DIFF', 5000, 'first DIFF');
  // the same context again: the hub looks (a tick) and finds nothing to send
  a.c.send({ message_type: 'AGENT_CONTEXT', context: { model: 'm1', tools: ['read'], messages: [] } });
  // AGENT_CONTEXT is not logged: a front-end's frame sent after it on another socket cannot prove it arrived, so the
  // agent's own next frame (an AGENT_EVENT, handled in order on its socket) tells when the report was taken
  a.c.send({ message_type: 'AGENT_EVENT', event_type: 'mark' });
  await f.c.waitFor((m) => m.message_type === 'STREAM_EVENT');
  hub.agentStreams.flushDiffs();
  a.c.send({ message_type: 'AGENT_CONTEXT', context: { model: 'm2', tools: ['read', 'write'], messages: [{ role: 'user', text: 'hi' }] } });
  await waitUntil(() => ofAgent(f.c, 'DIFF', a.id).length >= 2, 5000, 'second DIFF');
  hub.agentStreams.flushDiffs();
  await new Promise((r) => setImmediate(r));
  const diffs = ofAgent(f.c, 'DIFF', a.id);
  assert.equal(diffs.length, 2, 'no DIFF for a report that changed nothing');
  const state = deepClone(stateOf(snap)) as Record<string, unknown>;
  for (const d of diffs) applyPatch(state, d.patch as Operation[]);
  assert.deepEqual(state, JSON.parse(JSON.stringify(hub.agentStreams.snapshot(a.id))));
  const seqs = f.c.frames.filter((fr) => fr.agent_id === a.id && typeof fr.seq === 'number').map((fr) => fr.seq);
  assert.deepEqual(seqs, seqs.map((_, i) => i), 'seq counts this subscriber\'s frames of the agent, without gaps');
  assert.equal(hub.log.query({ message_type: ['SNAPSHOT', 'DIFF', 'AGENT_CONTEXT'] }).length, 0, 'snapshots, diffs and context reports stay out of the event log');
  assert.equal(hub.log.query({ message_type: 'MONITOR_SUBSCRIBE' }).length, 1, 'the subscription is logged');
  await closeAll(hub, a, f);
});

test('an AGENT_EVENT reaches subscribers as a STREAM_EVENT; a subscriber to every agent gets a SNAPSHOT of each', async () => {
  const hub = await startHub({ streamDiffIntervalMs: 10 });
  const a = await agent(hub, 'one');
  const b = await agent(hub, 'two');
  const m = await monitor(hub);
  m.c.send({ message_type: 'MONITOR_SUBSCRIBE' });
  await waitUntil(() => m.c.ofType('SNAPSHOT').length >= 2, 5000, 'two snapshots');
  assert.deepEqual(new Set(m.c.ofType('SNAPSHOT').map((s) => s.agent_id)), new Set([a.id, b.id]));
  b.c.send({ message_type: 'AGENT_EVENT', event_type: 'tool_call', data: { tool: 'grep' } });
  const ev = await m.c.waitType('STREAM_EVENT');
  assert.equal(ev.agent_id, b.id);
  assert.deepEqual((ev.event as { event_type: string; data: unknown }).data, { tool: 'grep' });
  assert.equal((ev.event as { event_type: string }).event_type, 'tool_call');
  m.c.send({ message_type: 'MONITOR_UNSUBSCRIBE' });
  await waitUntil(() => hub.log.query({ message_type: 'MONITOR_UNSUBSCRIBE' }).length === 1, 5000, 'unsubscribe in');
  assert.equal(hub.agentStreams.subscriberCount, 0);
  await closeAll(hub, a, b, m);
});

test('an over-cap AGENT_CONTEXT gets an ERROR naming the cap and is not kept; the connection carries on', async () => {
  const hub = await startHub({ maxAgentContextBytes: 1000 });
  const a = await agent(hub, 'big');
  a.c.send({ message_type: 'AGENT_CONTEXT', context: { blob: 'x'.repeat(2000) } });
  const err = await a.c.waitType('ERROR');
  assert.equal(err.code, 'frame_too_large');
  assert.match(String(err.text_payload), /maxAgentContextBytes \(1000 bytes\)/);
  assert.equal(hub.agentStreams.snapshot(a.id).context, null);
  a.c.send({ message_type: 'AGENT_CONTEXT', context: { small: true } });
  await waitUntil(() => (hub.agentStreams.snapshot(a.id).context as { small?: boolean } | null)?.small === true, 5000, 'small context kept');
  await closeAll(hub, a);
});

test('an AGENT_CONTEXT with a "__proto__" key gets an ERROR and is not kept (a DIFF could not carry it); a string mentioning it is fine', async () => {
  const hub = await startHub();
  const a = await agent(hub, 'proto');
  a.c.sendRaw('{"message_type":"AGENT_CONTEXT","context":{"tools":[{"__proto__":{"polluted":1}}]}}');
  const err = await a.c.waitType('ERROR');
  assert.equal(err.code, 'invalid_message');
  assert.match(String(err.text_payload), /__proto__/);
  assert.equal(hub.agentStreams.snapshot(a.id).context, null);
  a.c.send({ message_type: 'AGENT_CONTEXT', context: { note: '"__proto__": is just text here' } });
  await waitUntil(() => typeof (hub.agentStreams.snapshot(a.id).context as { note?: string } | null)?.note === 'string', 5000, 'the context kept');
  await closeAll(hub, a);
});

test('role checks: an agent may not subscribe or decide, a front-end may not report context or ask for approval', async () => {
  const hub = await startHub();
  const a = await agent(hub, 'asker');
  const other = await agent(hub, 'sly');
  const f = await frontend(hub);
  a.c.send({ message_type: 'TOOL_APPROVAL_REQUEST', approval_id: 'ap1', tool: 'write_file', arguments: { path: 'x' } });
  await waitUntil(() => hub.agentStreams.pendingApprovals().length === 1, 5000, 'pending');
  other.c.send({ message_type: 'TOOL_APPROVAL_DECISION', approval_id: 'ap1', approved: true });
  const e1 = await other.c.waitType('ERROR');
  assert.equal(e1.code, 'forbidden');
  assert.equal(e1.approval_id, 'ap1');
  other.c.send({ message_type: 'MONITOR_SUBSCRIBE' });
  await other.c.waitFor((m) => m.message_type === 'ERROR' && m.ref_message_type === 'MONITOR_SUBSCRIBE');
  f.c.send({ message_type: 'AGENT_CONTEXT', context: {} });
  f.c.send({ message_type: 'TOOL_APPROVAL_REQUEST', approval_id: 'ap2', tool: 't' });
  await waitUntil(() => f.c.ofType('ERROR').length === 2, 5000, 'two errors');
  assert.deepEqual(f.c.ofType('ERROR').map((e) => e.code), ['forbidden', 'forbidden']);
  const u = await connect(hub);
  u.send({ message_type: 'MONITOR_SUBSCRIBE' });
  assert.equal((await u.waitType('ERROR')).code, 'not_registered');
  assert.equal(hub.agentStreams.pendingApprovals().length, 1, 'the agent\'s decision was refused');
  assert.equal(a.c.ofType('TOOL_APPROVAL_DECISION').length, 0);
  await closeAll(hub, a, other, f, u);
});

test('two monitors deciding at once: exactly one decision reaches the agent, the other gets an ERROR; all in the log', async () => {
  const hub = await startHub({ streamDiffIntervalMs: 10 });
  const a = await agent(hub, 'writer');
  const m1 = await monitor(hub, 'm1');
  const m2 = await monitor(hub, 'm2');
  m1.c.send({ message_type: 'MONITOR_SUBSCRIBE', agent_id: a.id });
  await m1.c.waitType('SNAPSHOT');
  a.c.send({ message_type: 'TOOL_APPROVAL_REQUEST', approval_id: 'race', tool: 'write_file', arguments: { path: 'a.txt' } });
  const ev = await m1.c.waitType('STREAM_EVENT');
  assert.equal((ev.event as { event_type: string }).event_type, 'approval_requested');
  const snap = await m1.c.waitFor((m) => m.message_type === 'SNAPSHOT' && (m.pending_approvals as unknown[]).length === 1);
  assert.equal((snap.pending_approvals as { approval_id: string }[])[0]!.approval_id, 'race');
  // a duplicate pending id is refused
  a.c.send({ message_type: 'TOOL_APPROVAL_REQUEST', approval_id: 'race', tool: 'write_file' });
  const dup = await a.c.waitType('ERROR');
  assert.equal(dup.code, 'id_in_use');
  assert.equal(dup.approval_id, 'race');

  m1.c.send({ message_type: 'TOOL_APPROVAL_DECISION', approval_id: 'race', approved: true, note: 'ok from m1' });
  m2.c.send({ message_type: 'TOOL_APPROVAL_DECISION', approval_id: 'race', approved: false, note: 'no from m2' });
  const decision = await a.c.waitType('TOOL_APPROVAL_DECISION');
  await waitUntil(() => m1.c.ofType('ERROR').length + m2.c.ofType('ERROR').length === 1, 5000, 'the loser told');
  const loser = m1.c.ofType('ERROR').length === 1 ? m1 : m2;
  const winner = loser === m1 ? m2 : m1;
  assert.equal(decision.decided_by, winner.id);
  assert.equal(decision.approved, winner === m1);
  assert.match(String(loser.c.ofType('ERROR')[0]!.text_payload), /already resolved/);
  // a late third decision is refused too, and nothing more reaches the agent
  m1.c.send({ message_type: 'TOOL_APPROVAL_DECISION', approval_id: 'race', approved: true });
  await waitUntil(() => m1.c.ofType('ERROR').length + m2.c.ofType('ERROR').length === 2, 5000, 'late decision refused');
  assert.equal(a.c.ofType('TOOL_APPROVAL_DECISION').length, 1);
  const logged = hub.log.query({ message_type: ['TOOL_APPROVAL_REQUEST', 'TOOL_APPROVAL_DECISION'] });
  assert.equal(logged.filter((e) => e.message_type === 'TOOL_APPROVAL_REQUEST' && e.direction === 'in').length, 2);
  assert.equal(logged.filter((e) => e.message_type === 'TOOL_APPROVAL_DECISION' && e.direction === 'in').length, 3);
  const out = logged.filter((e) => e.message_type === 'TOOL_APPROVAL_DECISION' && e.direction === 'out');
  assert.equal(out.length, 1);
  assert.equal(out[0]!.body.decided_by, winner.id);
  await waitUntil(() => m1.c.ofType('STREAM_EVENT').some((e) => (e.event as { event_type: string }).event_type === 'approval_decided'), 5000, 'decided event');
  await closeAll(hub, a, m1, m2);
});

test('timeout_ms applies the default and records it; the in-process decide names the person at the UI', async () => {
  const hub = await startHub();
  const a = await agent(hub, 'timed');
  a.c.send({ message_type: 'TOOL_APPROVAL_REQUEST', approval_id: 't1', tool: 'shell', timeout_ms: 30, default: true });
  const d = await a.c.waitType('TOOL_APPROVAL_DECISION');
  assert.equal(d.approval_id, 't1');
  assert.equal(d.approved, true);
  assert.equal(d.decided_by, 'timeout');
  const rec = hub.log.query({ message_type: 'TOOL_APPROVAL_TIMEOUT' });
  assert.equal(rec.length, 1);
  assert.equal(rec[0]!.body.applied_default, true);

  a.c.send({ message_type: 'TOOL_APPROVAL_REQUEST', approval_id: 't2', tool: 'shell' });
  await waitUntil(() => hub.agentStreams.pendingApprovals(a.id).length === 1, 5000, 'pending t2');
  assert.equal(hub.agentStreams.pendingApprovals(a.id)[0]!.expires_at, null, 'without timeout_ms it waits');
  hub.agentStreams.decide('t2', false, 'not now');
  const d2 = await a.c.waitFor((m) => m.message_type === 'TOOL_APPROVAL_DECISION' && m.approval_id === 't2');
  assert.equal(d2.approved, false);
  assert.equal(d2.note, 'not now');
  assert.equal(d2.decided_by, 'web_switchboard');
  assert.throws(() => hub.agentStreams.decide('t2', true), /already resolved/);
  await closeAll(hub, a);
});

test('pending approvals of an agent that leaves are cancelled and recorded; subscribers see it', async () => {
  const hub = await startHub({ streamDiffIntervalMs: 10 });
  const a = await agent(hub, 'leaver');
  const changes: string[] = [];
  hub.agentStreams.onApprovalChange((c) => changes.push(c.kind === 'requested' ? `requested ${c.approval.approval_id}` : `${c.resolution.decidedBy} ${c.resolution.approval.approval_id}`));
  const frames: Envelope[] = [];
  const off = hub.agentStreams.subscribe(a.id, (f) => frames.push(f));
  a.c.send({ message_type: 'TOOL_APPROVAL_REQUEST', approval_id: 'c1', tool: 'rm', arguments: ['-rf', 'build'] });
  a.c.send({ message_type: 'TOOL_APPROVAL_REQUEST', approval_id: 'c2', tool: 'rm' });
  await waitUntil(() => hub.agentStreams.pendingApprovals(a.id).length === 2, 5000, 'two pending');
  await a.c.close();
  await waitUntil(() => hub.agentStreams.pendingApprovals().length === 0, 5000, 'cancelled');
  assert.deepEqual(changes, ['requested c1', 'requested c2', 'cancelled c1', 'cancelled c2']);
  assert.equal(hub.log.query({ message_type: 'TOOL_APPROVAL_CANCELLED' }).length, 2);
  await waitUntil(() => frames.filter((f) => f.message_type === 'STREAM_EVENT' && (f.event as { event_type: string }).event_type === 'approval_cancelled').length === 2, 5000, 'cancel events');
  const last = frames.filter((f) => f.message_type === 'SNAPSHOT').at(-1)!;
  assert.deepEqual(last.pending_approvals, []);
  off();
  assert.equal(hub.agentStreams.subscriberCount, 0);
  await closeAll(hub);
});

test('approval requests are bounded: arguments over the cap and a runaway agent\'s 101st pending request get an ERROR', async () => {
  const hub = await startHub();
  const a = await agent(hub, 'runaway');
  a.c.send({ message_type: 'TOOL_APPROVAL_REQUEST', approval_id: 'big', tool: 'write_file', arguments: { content: 'x'.repeat(70 * 1024) } });
  const big = await a.c.waitFor((m) => m.message_type === 'ERROR' && m.approval_id === 'big');
  assert.equal(big.code, 'frame_too_large');
  assert.match(String(big.text_payload), /65536-byte cap/);
  for (let i = 0; i < 101; i++) a.c.send({ message_type: 'TOOL_APPROVAL_REQUEST', approval_id: `r${i}`, tool: 't' });
  const refused = await a.c.waitFor((m) => m.message_type === 'ERROR' && m.approval_id === 'r100');
  assert.equal(refused.code, 'rate_limited');
  assert.equal(hub.agentStreams.pendingApprovals(a.id).length, 100);
  await closeAll(hub, a);
});
