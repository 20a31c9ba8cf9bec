// Agent control: pause/hold/resume, deregister/reregister, the *_ALL_AGENTS forms, RESET_ALL_QUEUES, who may control.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHub, agent, frontend, closeAll, waitUntil } from './hubHarness';
import { createLogger } from '../../src/protocol/logger';

test('PAUSE_AGENT from a front-end is forwarded, shown as paused, chat is held and delivered in order on RESUME_AGENT', async () => {
  const hub = await startHub();
  const a = await agent(hub, 'worker');
  const f = await frontend(hub);
  f.c.send({ message_type: 'PAUSE_AGENT', agent_id: a.id });
  const fwd = await a.c.waitType('PAUSE_AGENT');
  assert.equal(fwd.agent_id, a.id);
  const upd = await f.c.waitFor(
    (m) => m.message_type === 'AGENT_STATUS_UPDATE' && (m.agents as { agent_id: string; status: string }[]).some((x) => x.agent_id === a.id && x.status === 'paused'),
  );
  assert.ok(upd);
  for (let i = 0; i < 5; i++) f.c.send({ message_type: 'TEXT', sender_id: f.id, receiver_id: a.id, text_payload: `held ${i}` });
  await waitUntil(() => hub.agent(a.id)?.held_messages === 5, 3000, '5 held');
  assert.equal(a.c.ofType('TEXT').length, 0, 'nothing delivered while paused');
  f.c.send({ message_type: 'RESUME_AGENT', agent_id: a.id });
  await a.c.waitType('RESUME_AGENT');
  await waitUntil(() => a.c.ofType('TEXT').length === 5, 3000, 'held delivered');
  assert.deepEqual(a.c.ofType('TEXT').map((m) => m.text_payload), ['held 0', 'held 1', 'held 2', 'held 3', 'held 4']);
  assert.equal(hub.agent(a.id)?.status, 'online');
  assert.equal(hub.agent(a.id)?.held_messages, 0);
  await closeAll(hub, a, f);
});

test('the held queue is bounded: beyond maxHeldPerAgent the oldest is dropped and a warning raised; holding and releasing are logged once each', async () => {
  const lines: string[] = [];
  const hub = await startHub({ maxHeldPerAgent: 3 }, { logger: createLogger((_level, line) => lines.push(line), 'info') });
  const a = await agent(hub, 'w');
  const warnings: string[] = [];
  hub.events.on('warning', (w) => warnings.push(w));
  hub.controlAgent('pause', a.id);
  for (let i = 0; i < 5; i++) hub.sendMessage({ receiver_id: a.id, text_payload: `m${i}` });
  assert.equal(hub.agent(a.id)?.held_messages, 3);
  assert.equal(warnings.length, 2);
  hub.controlAgent('resume', a.id);
  await waitUntil(() => a.c.ofType('TEXT').length === 3);
  assert.deepEqual(a.c.ofType('TEXT').map((m) => m.text_payload), ['m2', 'm3', 'm4']);
  assert.deepEqual(
    lines.filter((l) => /holding chat|held message/.test(l)),
    [
      `[hub] w (${a.id}) is paused: holding chat for it until it is resumed (at most 3).`,
      `[hub] w (${a.id}) resumed: delivered 3 held messages.`,
    ],
  );
  await closeAll(hub, a);
});

test('RESET_ALL_QUEUES empties every held queue; nothing is delivered on resume', async () => {
  const hub = await startHub();
  const a = await agent(hub, 'a');
  const b = await agent(hub, 'b');
  const f = await frontend(hub);
  f.c.send({ message_type: 'PAUSE_ALL_AGENTS' });
  await a.c.waitType('PAUSE_AGENT');
  await b.c.waitType('PAUSE_AGENT');
  await waitUntil(() => hub.agents().every((x) => x.status === 'paused'));
  hub.sendMessage({ receiver_id: a.id, text_payload: 'x' });
  hub.sendMessage({ receiver_id: b.id, text_payload: 'y' });
  assert.equal(hub.resetQueues(), 2);
  hub.sendMessage({ receiver_id: a.id, text_payload: 'z' });
  f.c.send({ message_type: 'RESET_ALL_QUEUES' });
  await waitUntil(() => hub.agent(a.id)?.held_messages === 0);
  f.c.send({ message_type: 'RESUME_ALL_AGENTS' });
  await a.c.waitType('RESUME_AGENT');
  await b.c.waitType('RESUME_AGENT');
  await waitUntil(() => hub.agents().every((x) => x.status === 'online'));
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(a.c.ofType('TEXT').length + b.c.ofType('TEXT').length, 0);
  await closeAll(hub, a, b, f);
});

test('DEREGISTER_AGENT shows the agent offline and stops routing to it; REREGISTER_AGENT brings it back', async () => {
  const hub = await startHub();
  const a = await agent(hub, 'a');
  const f = await frontend(hub);
  f.c.send({ message_type: 'DEREGISTER_AGENT', agent_id: a.id });
  await a.c.waitType('DEREGISTER_AGENT');
  await waitUntil(() => hub.agent(a.id)?.status === 'offline');
  f.c.send({ message_type: 'TEXT', sender_id: f.id, receiver_id: a.id, text_payload: 'x' });
  assert.match((await f.c.waitType('ERROR')).text_payload as string, /offline/);
  f.c.send({ message_type: 'REREGISTER_AGENT', agent_id: a.id });
  await a.c.waitType('REREGISTER_AGENT');
  // the agent answers as a seed agent would: it registers again on the same connection with its id
  a.c.send({ message_type: 'REGISTER_AGENT', agent_name: 'a', agent_id: a.id });
  await a.c.waitNext((m) => m.message_type === 'REGISTER_AGENT_RESPONSE');
  assert.equal(hub.agent(a.id)?.status, 'online');
  await closeAll(hub, a, f);
});

test('control from an agent is refused (forbidden); control of an unknown agent is an ERROR', async () => {
  const hub = await startHub();
  const a = await agent(hub, 'a');
  const b = await agent(hub, 'b');
  const f = await frontend(hub);
  a.c.send({ message_type: 'PAUSE_AGENT', agent_id: b.id });
  assert.equal((await a.c.waitType('ERROR')).code, 'forbidden');
  assert.equal(hub.agent(b.id)?.status, 'online');
  f.c.send({ message_type: 'PAUSE_AGENT', agent_id: 'agent_ghost000' });
  assert.equal((await f.c.waitType('ERROR')).code, 'unknown_receiver');
  assert.throws(() => hub.controlAgent('pause', 'agent_ghost000'), /Unknown agent/);
  await closeAll(hub, a, b, f);
});
