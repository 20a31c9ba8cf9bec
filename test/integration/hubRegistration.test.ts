// Registration and id rules of both seed client generations, against a real hub over real sockets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHub, connect, agent, frontend, closeAll, waitUntil } from './hubHarness';

test('a later agent sending only agent_name gets agent_<8 hex> in REGISTER_AGENT_RESPONSE as its first frame', async () => {
  const hub = await startHub();
  const c = await connect(hub);
  c.send({ message_type: 'REGISTER_AGENT', agent_name: 'writer' });
  const first = await c.next();
  assert.equal(first.message_type, 'REGISTER_AGENT_RESPONSE');
  assert.equal(first.status, 'success');
  assert.match(first.agent_id as string, /^agent_[0-9a-f]{8}$/);
  assert.equal(first.agent_name, 'writer');
  assert.equal(typeof first.message, 'string');
  assert.equal(hub.agent(first.agent_id as string)?.status, 'online');
  await closeAll(hub, c);
});

test('an early agent choosing its own id keeps it, and the very first frame it receives is the response', async () => {
  // A front-end is registered first so that status updates and copies are flowing while the agent registers.
  const hub = await startHub({ heartbeatIntervalMs: 20, pingIntervalMs: 20 });
  const f = await frontend(hub);
  const c = await connect(hub);
  await new Promise((r) => setTimeout(r, 60)); // heartbeats are running; nothing may reach an unregistered socket
  assert.equal(c.frames.length, 0, 'nothing is sent before registration');
  c.send({ message_type: 'REGISTER_AGENT', agent_id: 'researcher', agent_name: 'Researcher' });
  const first = await c.next();
  assert.equal(first.message_type, 'REGISTER_AGENT_RESPONSE');
  assert.equal(first.agent_id, 'researcher');
  assert.equal(hub.agent('researcher')?.agent_name, 'Researcher');
  await closeAll(hub, c, f);
});

test('a second live registration with a held id is refused with ERROR id_in_use and the first keeps working', async () => {
  const hub = await startHub();
  const a1 = await agent(hub, 'one', { agent_id: 'agent_dup00001' });
  const c2 = await connect(hub);
  c2.send({ message_type: 'REGISTER_AGENT', agent_name: 'two', agent_id: 'agent_dup00001' });
  const err = await c2.next();
  assert.equal(err.message_type, 'ERROR');
  assert.equal(err.code, 'id_in_use');
  assert.equal(err.sender_id, 'server');
  assert.equal(err.in_reply_to_message_id, null);
  assert.match(err.text_payload as string, /agent_dup00001/);
  // the first still receives its chat
  hub.sendMessage({ receiver_id: 'agent_dup00001', text_payload: 'still you' });
  const m = await a1.c.waitType('TEXT');
  assert.equal(m.text_payload, 'still you');
  assert.equal(c2.ofType('TEXT').length, 0);
  await closeAll(hub, a1, c2);
});

test('an id freed by a closed connection can be registered again (reconnect under the same id)', async () => {
  const hub = await startHub();
  const a1 = await agent(hub, 'one', { agent_id: 'agent_again001' });
  await a1.c.close();
  await waitUntil(() => hub.agent('agent_again001')?.status === 'offline', 3000, 'offline');
  const a2 = await agent(hub, 'one', { agent_id: 'agent_again001' });
  assert.equal(a2.id, 'agent_again001');
  assert.equal(hub.agent('agent_again001')?.status, 'online');
  await closeAll(hub, a2);
});

test('REGISTER_AGENT without agent_name gets an ERROR that says the name is required, and the connection stays', async () => {
  const hub = await startHub();
  const c = await connect(hub);
  c.send({ message_type: 'REGISTER_AGENT' });
  const err = await c.next();
  assert.equal(err.message_type, 'ERROR');
  assert.match(err.text_payload as string, /Agent name is required/);
  c.send({ message_type: 'REGISTER_AGENT', agent_name: 'fixed' });
  const ok = await c.next();
  assert.equal(ok.message_type, 'REGISTER_AGENT_RESPONSE');
  await closeAll(hub, c);
});

test('a later front-end gets web_<8 hex> then a full AGENT_STATUS_UPDATE that includes offline agents', async () => {
  const hub = await startHub();
  const gone = await agent(hub, 'gone');
  await gone.c.close();
  await waitUntil(() => hub.agent(gone.id)?.status === 'offline');
  const live = await agent(hub, 'live');
  const c = await connect(hub);
  c.send({ message_type: 'REGISTER_FRONTEND', frontend_name: 'My UI' });
  const r = await c.next();
  assert.equal(r.message_type, 'REGISTER_FRONTEND_RESPONSE');
  assert.match(r.frontend_id as string, /^web_[0-9a-f]{8}$/);
  assert.equal(r.frontend_name, 'My UI');
  const s = await c.next();
  assert.equal(s.message_type, 'AGENT_STATUS_UPDATE');
  assert.equal(s.is_full_update, true);
  const agents = s.agents as { agent_id: string; is_online: boolean; status: string; last_seen: string }[];
  const byId = new Map(agents.map((a) => [a.agent_id, a]));
  assert.equal(byId.get(gone.id)?.is_online, false);
  assert.equal(byId.get(gone.id)?.status, 'offline');
  assert.equal(byId.get(live.id)?.is_online, true);
  assert.equal(typeof byId.get(live.id)?.last_seen, 'string');
  await closeAll(hub, c, live);
});

test('an early front-end sending only a timestamp is registered and receives the full agent list', async () => {
  const hub = await startHub();
  const a = await agent(hub, 'a');
  const c = await connect(hub);
  c.send({ message_type: 'REGISTER_FRONTEND', timestamp: new Date().toISOString() });
  const status = await c.waitType('AGENT_STATUS_UPDATE');
  assert.equal(status.is_full_update, true);
  assert.ok((status.agents as { agent_id: string }[]).some((x) => x.agent_id === a.id));
  const r = c.ofType('REGISTER_FRONTEND_RESPONSE')[0]!;
  assert.match(r.frontend_id as string, /^web_/);
  await closeAll(hub, c, a);
});

test('a broker registering with only a timestamp gets broker_<8 hex> and the full agent list', async () => {
  const hub = await startHub();
  const c = await connect(hub);
  c.send({ message_type: 'REGISTER_BROKER', timestamp: Date.now() });
  const r = await c.next();
  assert.equal(r.message_type, 'REGISTER_BROKER_RESPONSE');
  assert.match(r.broker_id as string, /^broker_[0-9a-f]{8}$/);
  assert.equal((await c.next()).message_type, 'AGENT_STATUS_UPDATE');
  await closeAll(hub, c);
});

test('reserved ids (server, broadcast, web_switchboard) cannot be registered', async () => {
  const hub = await startHub();
  for (const id of ['server', 'broadcast', 'web_switchboard']) {
    const c = await connect(hub);
    c.send({ message_type: 'REGISTER_AGENT', agent_name: 'x', agent_id: id });
    const err = await c.next();
    assert.equal(err.message_type, 'ERROR', id);
    await c.close();
  }
  await closeAll(hub);
});

test('registering again on the same connection keeps the id; another id for the same role, or a third role, is refused', async () => {
  const hub = await startHub();
  const a = await agent(hub, 'same');
  a.c.send({ message_type: 'REGISTER_AGENT', agent_name: 'same' });
  const again = await a.c.waitNext((m) => m.message_type === 'REGISTER_AGENT_RESPONSE');
  assert.equal(again.agent_id, a.id);
  a.c.send({ message_type: 'REGISTER_AGENT', agent_name: 'same', agent_id: 'agent_other001' });
  assert.equal((await a.c.waitNext((m) => m.message_type === 'ERROR')).code, 'already_registered');
  a.c.send({ message_type: 'REGISTER_FRONTEND', frontend_name: 'second role' });
  assert.match(String((await a.c.waitNext((m) => m.message_type === 'REGISTER_FRONTEND_RESPONSE')).frontend_id), /^web_/);
  a.c.send({ message_type: 'REGISTER_BROKER', broker_name: 'third role' });
  assert.equal((await a.c.waitNext((m) => m.message_type === 'ERROR')).code, 'already_registered');
  await closeAll(hub, a);
});

// A seed client may register a front-end and then an agent on the same socket; the seed's server accepts it and its
// users do it to get replies to a plain front-end (issue 15, 3a). Both roles are served on the one socket.
test('a front-end and then an agent on one socket: both registered, each gets the chat addressed to its id, PINGs and PONGs work', async () => {
  const hub = await startHub({ pingIntervalMs: 50 });
  const other = await agent(hub, 'other');
  const otherUi = await frontend(hub, 'other-ui');
  const both = await connect(hub);
  both.send({ message_type: 'REGISTER_FRONTEND', frontend_name: 'seed-ui' });
  const fr = await both.waitType('REGISTER_FRONTEND_RESPONSE');
  const webId = fr.frontend_id as string;
  both.send({ message_type: 'REGISTER_AGENT', agent_name: 'seed-agent' });
  const ar = await both.waitType('REGISTER_AGENT_RESPONSE');
  assert.equal(ar.status, 'success');
  const agentId = ar.agent_id as string;
  assert.equal(hub.agent(agentId)?.status, 'online');
  // the front-end face asks, the other agent's reply to the web id comes back
  both.send({ message_type: 'TEXT', sender_id: webId, receiver_id: other.id, text_payload: 'from the web face' });
  const q = await other.c.waitFor((m) => m.text_payload === 'from the web face');
  assert.equal(q.sender_id, webId);
  other.c.send({ message_type: 'REPLY', sender_id: other.id, receiver_id: webId, text_payload: 'to the web face' });
  await both.waitFor((m) => m.text_payload === 'to the web face');
  // chat addressed to the agent face reaches the socket; its answer speaks as the agent
  otherUi.c.send({ message_type: 'TEXT', sender_id: otherUi.id, receiver_id: agentId, text_payload: 'to the agent face' });
  await both.waitFor((m) => m.text_payload === 'to the agent face' && m.receiver_id === agentId);
  both.send({ message_type: 'REPLY', sender_id: agentId, receiver_id: otherUi.id, text_payload: 'from the agent face' });
  const r = await otherUi.c.waitFor((m) => m.text_payload === 'from the agent face');
  assert.equal(r.sender_id, agentId);
  // the agent face gets PINGs; its PONG is taken
  await both.waitType('PING');
  both.send({ message_type: 'PONG', agent_id: agentId });
  assert.equal(hub.agent(agentId)?.status, 'online');
  // closing the socket takes both registrations away
  await both.close();
  await waitUntil(() => hub.agent(agentId)?.status === 'offline', 3000, 'the agent face to go offline');
  await closeAll(hub, other, otherUi);
});

test('a holder that vanished without closing is found by a ping probe, so a reconnect under its id succeeds in seconds', async () => {
  const hub = await startHub(); // inactivity timeout 60 s: only the probe can free the id in this test
  const ghost = await agent(hub, 'ghost', { agent_id: 'agent_ghost001' });
  (ghost.c.ws as unknown as { _socket: { pause(): void } })._socket.pause(); // reads nothing, answers no ping
  const warnings: string[] = [];
  hub.events.on('warning', (w) => warnings.push(w));
  const retry = await connect(hub);
  retry.send({ message_type: 'REGISTER_AGENT', agent_name: 'ghost', agent_id: 'agent_ghost001' });
  assert.equal((await retry.next()).code, 'id_in_use');
  await waitUntil(() => hub.agent('agent_ghost001')?.status === 'offline', 10_000, 'the probe to free the id');
  assert.ok(warnings.some((w) => w.includes('agent_ghost001')));
  retry.send({ message_type: 'REGISTER_AGENT', agent_name: 'ghost', agent_id: 'agent_ghost001' });
  const ok = await retry.waitType('REGISTER_AGENT_RESPONSE');
  assert.equal(ok.agent_id, 'agent_ghost001');
  (ghost.c.ws as unknown as { _socket: { resume(): void } })._socket.resume();
  await closeAll(hub, ghost, retry);
});

test('a live holder answers the probe and keeps its id', async () => {
  const hub = await startHub();
  const holder = await agent(hub, 'holder', { agent_id: 'agent_hold0001' });
  const rival = await connect(hub);
  rival.send({ message_type: 'REGISTER_AGENT', agent_name: 'rival', agent_id: 'agent_hold0001' });
  assert.equal((await rival.next()).code, 'id_in_use');
  await new Promise((r) => setTimeout(r, 2500)); // longer than the probe's deadline
  assert.equal(hub.agent('agent_hold0001')?.status, 'online');
  assert.equal(holder.c.closed, undefined);
  rival.send({ message_type: 'REGISTER_AGENT', agent_name: 'rival', agent_id: 'agent_hold0001' });
  assert.equal((await rival.next()).code, 'id_in_use');
  await closeAll(hub, holder, rival);
});
