// Message breakpoints in the hub (issue 20) on the default memory bus: hold before delivery, continue, step, edit,
// drop, release all; order per sender; bounds and auto-release; presence while held; who may debug. Real sockets,
// real hub; every wait is for a frame or an event.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Envelope } from '../../src/protocol/schemas';
import type { HeldInfoT } from '../../src/protocol/debugger';
import type { Hub } from '../../src/hub/hub';
import { HUB_USER_ID } from '../../src/protocol/messageTypes';
import { agent, closeAll, connect, frontend, startHub, waitUntil, type TestClient } from './hubHarness';

async function nextHeld(hub: Hub): Promise<HeldInfoT> {
  const [held] = (await once(hub.debugger.events, 'held')) as [HeldInfoT];
  return held;
}

const texts = (c: TestClient, type = 'TEXT'): unknown[] => c.ofType(type).map((f) => f.text_payload);

test('a breakpoint set over the wire holds a matching message before delivery; continue delivers it', async () => {
  const hub = await startHub();
  const planner = await agent(hub, 'planner');
  const ui = await frontend(hub, 'ui');
  const dbg = await frontend(hub, 'debugger');
  try {
    dbg.c.send({ message_type: 'DEBUG_SET_BREAKPOINTS', breakpoints: [{ filter: 'type:TEXT to:planner text:refund' }, { filter: 'colour:red' }] });
    const set = await dbg.c.waitType('DEBUG_BREAKPOINTS');
    const bps = set.breakpoints as { verified: boolean; error?: string }[];
    assert.deepEqual(bps.map((b) => b.verified), [true, false]);
    assert.match(bps[1]!.error ?? '', /Unknown filter key/);

    ui.c.send({ message_type: 'TEXT', receiver_id: planner.id, text_payload: 'hello' });
    await planner.c.waitFor((m) => m.text_payload === 'hello');
    ui.c.send({ message_type: 'TEXT', receiver_id: planner.id, text_payload: 'a full refund please' });
    const held = await dbg.c.waitType('DEBUG_HELD');
    const info = held.held as HeldInfoT;
    assert.equal(info.reason, 'breakpoint');
    assert.equal(info.message.text_payload, 'a full refund please');
    assert.deepEqual(texts(planner.c), ['hello'], 'held, not delivered');
    assert.equal(hub.debugger.held().length, 1);

    dbg.c.send({ message_type: 'DEBUG_ACTION', message_id: 'cont-1', action: 'continue', held_id: info.held_id });
    await planner.c.waitFor((m) => m.text_payload === 'a full refund please');
    const rel = await dbg.c.waitType('DEBUG_RELEASED');
    assert.equal(rel.outcome, 'continued');
    const done = await dbg.c.waitType('DEBUG_ACTION_RESULT');
    assert.deepEqual([done.ok, done.action, done.held_id, done.in_reply_to_message_id], [true, 'continue', info.held_id, 'cont-1']);
    // the same action again: the message is no longer held, and the answer says so
    dbg.c.send({ message_type: 'DEBUG_ACTION', message_id: 'cont-2', action: 'continue', held_id: info.held_id });
    const again = await dbg.c.waitFor((m) => m.message_type === 'DEBUG_ACTION_RESULT' && m.in_reply_to_message_id === 'cont-2');
    assert.equal(again.ok, false);
    assert.match(String(again.error), /already released/);
    assert.equal(hub.debugger.held().length, 0);
    const logged = hub.log.recent().filter((e) => e.direction === 'internal' && e.message_type.startsWith('DEBUG_')).map((e) => e.message_type);
    assert.ok(logged.includes('DEBUG_BREAKPOINTS_SET') && logged.includes('DEBUG_HELD') && logged.includes('DEBUG_RELEASED'), logged.join(','));
  } finally {
    await closeAll(hub, planner, ui, dbg);
  }
});

test('edit: the codec validates, the edited message is delivered, the original is kept in the log', async () => {
  const hub = await startHub();
  const planner = await agent(hub, 'planner');
  const dbg = await frontend(hub, 'debugger');
  try {
    dbg.c.send({ message_type: 'DEBUG_SET_BREAKPOINTS', breakpoints: [{ filter: 'to:planner' }] });
    await dbg.c.waitType('DEBUG_BREAKPOINTS');
    hub.sendMessage({ receiver_id: planner.id, text_payload: 'refund 10 EUR' });
    const info = (await dbg.c.waitType('DEBUG_HELD')).held as HeldInfoT;

    // a refused action is answered as refused, naming the action (its message_id), with the reason
    dbg.c.send({ message_type: 'DEBUG_ACTION', message_id: 'act-1', action: 'edit', held_id: info.held_id, fields: { text_payload: 42 } });
    const bad = await dbg.c.waitFor((m) => m.message_type === 'DEBUG_ACTION_RESULT' && m.in_reply_to_message_id === 'act-1');
    assert.equal(bad.ok, false);
    assert.equal(bad.code, 'invalid_message');
    assert.equal(bad.held_id, info.held_id);
    assert.match(String(bad.error), /not valid.*text_payload/);
    dbg.c.send({ message_type: 'DEBUG_ACTION', message_id: 'act-2', action: 'edit', held_id: info.held_id, fields: { sender_id: 'someone_else' } });
    const bad2 = await dbg.c.waitFor((m) => m.message_type === 'DEBUG_ACTION_RESULT' && m.in_reply_to_message_id === 'act-2');
    assert.equal(bad2.ok, false);
    assert.match(String(bad2.error), /cannot be edited/);
    assert.equal(hub.debugger.held().length, 1, 'a refused edit leaves it held');
    assert.equal(dbg.c.ofType('ERROR').length, 0, 'a refusal is the action\'s answer, not a second ERROR');

    dbg.c.send({ message_type: 'DEBUG_ACTION', action: 'edit', held_id: info.held_id, fields: { text_payload: 'refund 100 EUR' } });
    const got = await planner.c.waitType('TEXT');
    assert.equal(got.text_payload, 'refund 100 EUR');
    assert.equal(got.message_id, info.message.message_id);
    const rel = await dbg.c.waitType('DEBUG_RELEASED');
    assert.equal(rel.outcome, 'edited');
    assert.equal((rel.original as Envelope).text_payload, 'refund 10 EUR');
    assert.equal((rel.delivered as Envelope).text_payload, 'refund 100 EUR');
    const entry = hub.log.recent().find((e) => e.direction === 'internal' && e.message_type === 'DEBUG_RELEASED');
    assert.equal((entry?.body.original as Envelope).text_payload, 'refund 10 EUR');
  } finally {
    await closeAll(hub, planner, dbg);
  }
});

test('drop: never delivered (a later message of the sender is), the sender gets an ERROR only when asked', async () => {
  const hub = await startHub();
  const planner = await agent(hub, 'planner');
  const ui = await frontend(hub, 'ui');
  try {
    hub.debugger.setBreakpoints('test', [{ filter: 'text:secret' }]);
    ui.c.send({ message_type: 'TEXT', receiver_id: planner.id, text_payload: 'secret one' });
    const first = await nextHeld(hub);
    hub.debugger.drop(first.held_id);
    ui.c.send({ message_type: 'TEXT', receiver_id: planner.id, text_payload: 'secret two' });
    const second = await nextHeld(hub);
    hub.debugger.drop(second.held_id, 'dropped while debugging');
    const err = await ui.c.waitType('ERROR');
    assert.equal(err.text_payload, 'dropped while debugging');
    ui.c.send({ message_type: 'TEXT', receiver_id: planner.id, text_payload: 'after' });
    await planner.c.waitFor((m) => m.text_payload === 'after');
    assert.deepEqual(texts(planner.c), ['after']);
    assert.equal(ui.c.ofType('ERROR').length, 1, 'the first drop sent nothing');
  } finally {
    await closeAll(hub, planner, ui);
  }
});

test('step releases the message and holds the next one of the agent it went to (its answer)', async () => {
  const hub = await startHub();
  const planner = await agent(hub, 'planner');
  const ui = await frontend(hub, 'ui');
  try {
    hub.debugger.setBreakpoints('test', [{ filter: 'type:TEXT to:planner' }]);
    ui.c.send({ message_type: 'TEXT', receiver_id: planner.id, text_payload: 'plan it' });
    const held = await nextHeld(hub);
    const stepped = nextHeld(hub);
    hub.debugger.step(held.held_id);
    const asked = await planner.c.waitType('TEXT');
    planner.c.send({ message_type: 'REPLY', receiver_id: ui.id, text_payload: 'planned', in_reply_to_message_id: asked.message_id });
    const reply = await stepped;
    assert.equal(reply.reason, 'step');
    assert.equal(reply.message.text_payload, 'planned');
    assert.equal(ui.c.ofType('REPLY').length, 0);
    hub.debugger.continue(reply.held_id);
    await ui.c.waitType('REPLY');
  } finally {
    await closeAll(hub, planner, ui);
  }
});

test('a step over the wire may carry an edit: applied with the step, or (refused) neither — no pause left behind', async () => {
  const hub = await startHub();
  const planner = await agent(hub, 'planner');
  const ui = await frontend(hub, 'ui');
  const dbg = await frontend(hub, 'debugger');
  try {
    dbg.c.send({ message_type: 'DEBUG_SET_BREAKPOINTS', breakpoints: [{ filter: 'type:TEXT text:plan' }] });
    await dbg.c.waitType('DEBUG_BREAKPOINTS');
    ui.c.send({ message_type: 'TEXT', receiver_id: planner.id, text_payload: 'plan it' });
    const held = (await dbg.c.waitType('DEBUG_HELD')).held as HeldInfoT;

    dbg.c.send({ message_type: 'DEBUG_ACTION', message_id: 'st-1', action: 'step', held_id: held.held_id, fields: { text_payload: 7 } });
    const bad = await dbg.c.waitFor((m) => m.message_type === 'DEBUG_ACTION_RESULT' && m.in_reply_to_message_id === 'st-1');
    assert.equal(bad.ok, false);
    assert.equal(hub.debugger.held().length, 1, 'a refused step-with-edit leaves the message held');
    assert.equal(hub.debugger.held()[0].message.text_payload, 'plan it', 'and unedited');
    // no trap was set: continued, the planner's answer is not held (the breakpoint matches TEXT only)
    dbg.c.send({ message_type: 'DEBUG_ACTION', action: 'continue', held_id: held.held_id });
    const first = await planner.c.waitType('TEXT');
    planner.c.send({ message_type: 'REPLY', receiver_id: ui.id, text_payload: 'first answer', in_reply_to_message_id: first.message_id });
    await ui.c.waitFor((m) => m.message_type === 'REPLY' && m.text_payload === 'first answer');
    assert.equal(hub.debugger.held().length, 0);

    ui.c.send({ message_type: 'TEXT', receiver_id: planner.id, text_payload: 'plan again' });
    const again = (await dbg.c.waitFor((m) => m.message_type === 'DEBUG_HELD' && (m.held as HeldInfoT).message.text_payload === 'plan again')).held as HeldInfoT;
    const stepped = nextHeld(hub);
    dbg.c.send({ message_type: 'DEBUG_ACTION', message_id: 'st-2', action: 'step', held_id: again.held_id, fields: { text_payload: 'plan the offsite' } });
    const ok = await dbg.c.waitFor((m) => m.message_type === 'DEBUG_ACTION_RESULT' && m.in_reply_to_message_id === 'st-2');
    assert.equal(ok.ok, true);
    const asked = await planner.c.waitFor((m) => m.message_type === 'TEXT' && m.text_payload === 'plan the offsite');
    planner.c.send({ message_type: 'REPLY', receiver_id: ui.id, text_payload: 'planned', in_reply_to_message_id: asked.message_id });
    const reply = await stepped;
    assert.equal(reply.reason, 'step');
    assert.equal(reply.message.text_payload, 'planned');
    hub.debugger.continue(reply.held_id);
    await ui.c.waitFor((m) => m.message_type === 'REPLY' && m.text_payload === 'planned');
  } finally {
    await closeAll(hub, planner, ui, dbg);
  }
});

test('order per sender: a later message waits behind an earlier held one for the same receiver; release all lets all go in order', async () => {
  const hub = await startHub();
  const planner = await agent(hub, 'planner');
  const coder = await agent(hub, 'coder');
  const ui = await frontend(hub, 'ui');
  try {
    hub.debugger.setBreakpoints('test', [{ filter: 'text:stop' }]);
    ui.c.send({ message_type: 'TEXT', receiver_id: planner.id, text_payload: '1 stop' });
    await nextHeld(hub);
    ui.c.send({ message_type: 'TEXT', receiver_id: planner.id, text_payload: '2' });
    ui.c.send({ message_type: 'TEXT', receiver_id: planner.id, text_payload: '3 stop' });
    ui.c.send({ message_type: 'TEXT', receiver_id: planner.id, text_payload: '4' });
    ui.c.send({ message_type: 'TEXT', receiver_id: coder.id, text_payload: 'other receiver' });
    await coder.c.waitType('TEXT');
    await waitUntil(() => hub.debugger.held().length === 4, 5000, 'four held');
    assert.deepEqual(hub.debugger.held().map((h) => h.reason), ['breakpoint', 'order', 'breakpoint', 'order']);
    const [h1, , h3] = hub.debugger.held();
    hub.debugger.continue(h3!.held_id); // released, but waits behind 1
    assert.deepEqual(texts(planner.c), []);
    hub.debugger.continue(h1!.held_id);
    await planner.c.waitFor((m) => m.text_payload === '4');
    assert.deepEqual(texts(planner.c), ['1 stop', '2', '3 stop', '4']);

    ui.c.send({ message_type: 'TEXT', receiver_id: planner.id, text_payload: '5 stop' });
    await nextHeld(hub);
    ui.c.send({ message_type: 'TEXT', receiver_id: planner.id, text_payload: '6 stop' });
    await waitUntil(() => hub.debugger.held().length === 2, 5000, 'two held');
    hub.debugger.releaseAll();
    await planner.c.waitFor((m) => m.text_payload === '6 stop');
    assert.deepEqual(texts(planner.c).slice(4), ['5 stop', '6 stop']);
  } finally {
    await closeAll(hub, planner, coder, ui);
  }
});

test('bounds: over the count the oldest goes out in order and that is recorded; auto-release after a timeout', async () => {
  const hub = await startHub();
  const planner = await agent(hub, 'planner');
  try {
    hub.debugger.configure({ maxHeld: 2 });
    hub.debugger.setBreakpoints('test', [{ filter: 'text:hold' }]);
    const released: string[] = [];
    hub.debugger.events.on('released', (r) => released.push(r.outcome));
    for (const n of [1, 2, 3]) hub.sendMessage({ receiver_id: planner.id, text_payload: `hold ${n}`, sender_id: `s${n}` });
    await planner.c.waitFor((m) => m.text_payload === 'hold 1');
    assert.deepEqual(released, ['over_bound']);
    assert.equal(hub.debugger.held().length, 2);
    const overflow = hub.log.recent().find((e) => e.message_type === 'DEBUG_RELEASED' && e.body.outcome === 'over_bound');
    assert.ok(overflow, 'the release over the bound is in the event log');
    hub.debugger.releaseAll();
    await planner.c.waitFor((m) => m.text_payload === 'hold 3');

    hub.debugger.configure({ maxHeld: 1000, maxHeldBytes: 1 });
    hub.sendMessage({ receiver_id: planner.id, text_payload: 'hold bytes' });
    await planner.c.waitFor((m) => m.text_payload === 'hold bytes');
    assert.equal(released.at(-1), 'over_bound');

    hub.debugger.configure({ maxHeldBytes: 1 << 20, autoReleaseMs: 20 });
    hub.sendMessage({ receiver_id: planner.id, text_payload: 'hold timed' });
    await planner.c.waitFor((m) => m.text_payload === 'hold timed');
    assert.equal(released.at(-1), 'timed_out');
  } finally {
    await closeAll(hub, planner);
  }
});

test('presence keeps running while a message for the agent is held', async () => {
  const hub = await startHub({ pingIntervalMs: 30, inactivityTimeoutMs: 150 });
  const planner = await agent(hub, 'planner');
  planner.c.ws.on('message', (d) => {
    const m = JSON.parse(d.toString()) as Envelope;
    if (m.message_type === 'PING') planner.c.send({ message_type: 'PONG', agent_id: planner.id });
  });
  try {
    hub.debugger.setBreakpoints('test', [{ filter: 'to:planner' }]);
    const heldSoon = nextHeld(hub);
    hub.sendMessage({ receiver_id: planner.id, text_payload: 'held a while' });
    const held = await heldSoon;
    // ten PING rounds: well past the inactivity timeout, answered while the message is held
    await waitUntil(() => planner.c.ofType('PING').length >= 10, 10_000, 'ten pings');
    const snap = hub.agents().find((a) => a.agent_id === planner.id);
    assert.equal(snap?.status, 'online');
    hub.debugger.continue(held.held_id);
    await planner.c.waitType('TEXT');
  } finally {
    await closeAll(hub, planner);
  }
});

test('who may debug: agents and unregistered clients are refused; a debugger leaving releases what it held', async () => {
  const hub = await startHub();
  const planner = await agent(hub, 'planner');
  const dbg = await frontend(hub, 'debugger');
  try {
    planner.c.send({ message_type: 'DEBUG_SET_BREAKPOINTS', breakpoints: [{ filter: 'type:TEXT' }] });
    const refused = await planner.c.waitType('ERROR');
    assert.match(String(refused.text_payload), /front-ends and monitors only/);
    planner.c.send({ message_type: 'DEBUG_ACTION', action: 'release_all' });
    await planner.c.waitFor((m) => m.message_type === 'ERROR' && m !== refused);
    assert.equal(hub.debugger.breakpointInfos().length, 0);
    const stranger = await connect(hub);
    stranger.send({ message_type: 'DEBUG_ATTACH' });
    assert.match(String((await stranger.waitType('ERROR')).text_payload), /front-ends and monitors only|Register first/);
    await stranger.close();

    dbg.c.send({ message_type: 'DEBUG_ATTACH' });
    const state = await dbg.c.waitType('DEBUG_STATE');
    assert.deepEqual(state.held, []);
    dbg.c.send({ message_type: 'DEBUG_SET_BREAKPOINTS', breakpoints: [{ filter: 'to:planner' }] });
    await dbg.c.waitType('DEBUG_BREAKPOINTS');
    hub.sendMessage({ receiver_id: planner.id, text_payload: 'held until the debugger goes' });
    await dbg.c.waitType('DEBUG_HELD');
    await dbg.c.close();
    await planner.c.waitFor((m) => m.text_payload === 'held until the debugger goes');
    assert.equal(hub.debugger.breakpointInfos().length, 0);
  } finally {
    await closeAll(hub, planner, dbg);
  }
});

test('logpoints record a line and never hold; hit counts stop from the Nth match; conditions narrow', async () => {
  const hub = await startHub();
  const planner = await agent(hub, 'planner');
  try {
    const infos = hub.debugger.setBreakpoints('test', [
      { filter: 'to:planner', log_message: '{from} → {to}: {text}' },
      { filter: 'text:count', hit_count: 3 },
      { filter: 'text:cond', condition: 'text:yes' },
    ]);
    const lines: string[] = [];
    hub.debugger.events.on('log', (l) => lines.push(l.text));
    hub.sendMessage({ receiver_id: planner.id, text_payload: 'just logged' });
    await planner.c.waitFor((m) => m.text_payload === 'just logged');
    assert.deepEqual(lines, [`${HUB_USER_ID} → planner: just logged`]);
    hub.sendMessage({ receiver_id: planner.id, text_payload: 'count 1' });
    hub.sendMessage({ receiver_id: planner.id, text_payload: 'count 2' });
    hub.sendMessage({ receiver_id: planner.id, text_payload: 'cond no' });
    await planner.c.waitFor((m) => m.text_payload === 'cond no');
    const held = nextHeld(hub);
    hub.sendMessage({ receiver_id: planner.id, text_payload: 'count 3' });
    const h = await held;
    assert.equal(h.breakpoint_id, infos[1]!.breakpoint_id);
    assert.equal(h.message.text_payload, 'count 3');
    hub.debugger.releaseAll();
    const h2 = nextHeld(hub);
    hub.sendMessage({ receiver_id: planner.id, text_payload: 'cond yes' });
    assert.equal((await h2).breakpoint_id, infos[2]!.breakpoint_id);
    hub.debugger.releaseAll();
    await planner.c.waitFor((m) => m.text_payload === 'cond yes');
  } finally {
    await closeAll(hub, planner);
  }
});

test('a stopping hub releases what it holds, and the debugger works again after a restart', async () => {
  const hub = await startHub();
  const planner = await agent(hub, 'planner');
  const outcomes: string[] = [];
  hub.debugger.events.on('released', (r) => outcomes.push(r.outcome));
  hub.debugger.setBreakpoints('test', [{ filter: 'text:held' }]);
  const heldSoon = nextHeld(hub);
  hub.sendMessage({ receiver_id: planner.id, text_payload: 'held at stop' });
  await heldSoon;
  await planner.c.close();
  await hub.stop();
  assert.deepEqual(outcomes, ['released_all']);
  assert.equal(hub.debugger.held().length, 0);
  await hub.start();
  const again = await agent(hub, 'planner');
  try {
    const h = nextHeld(hub);
    hub.sendMessage({ receiver_id: again.id, text_payload: 'held after restart' });
    hub.debugger.continue((await h).held_id);
    await again.c.waitFor((m) => m.text_payload === 'held after restart');
  } finally {
    await closeAll(hub, again);
  }
});

test("each owner keeps its own breakpoints, and every debugger sees the others' (named) and who holds a message", async () => {
  const hub = await startHub();
  const planner = await agent(hub, 'planner');
  const alice = await frontend(hub, 'alice-debugger');
  const bob = await frontend(hub, 'bob-debugger');
  try {
    bob.c.send({ message_type: 'DEBUG_ATTACH' });
    await bob.c.waitType('DEBUG_STATE');
    alice.c.send({ message_type: 'DEBUG_SET_BREAKPOINTS', breakpoints: [{ filter: 'to:planner' }] });
    const seen = await bob.c.waitFor((m) => m.message_type === 'DEBUG_ALL_BREAKPOINTS' && (m.breakpoints as unknown[]).length === 1);
    const [bp] = seen.breakpoints as { breakpoint_id: string; owner: string; owner_name?: string; filter: string }[];
    assert.deepEqual([bp!.owner, bp!.owner_name, bp!.filter], [alice.id, 'alice-debugger', 'to:planner'], "bob sees alice's breakpoint, named");
    assert.equal(hub.debugger.breakpointInfos(bob.id).length, 0, "bob's own list stays empty");

    hub.sendMessage({ receiver_id: planner.id, text_payload: 'hello' });
    const held = (await bob.c.waitType('DEBUG_HELD')).held as HeldInfoT;
    assert.deepEqual([held.breakpoint_owner, held.breakpoint_owner_name, held.breakpoint_filter], [alice.id, 'alice-debugger', 'to:planner'], 'the hold says whose breakpoint it is');
    const state = hub.debugger.held()[0]!;
    assert.equal(state.breakpoint_owner, alice.id);

    // alice leaves: her breakpoints go (and with no debugger owning one, what she held is released), bob is told
    await alice.c.close();
    await bob.c.waitFor((m) => m.message_type === 'DEBUG_ALL_BREAKPOINTS' && (m.breakpoints as unknown[]).length === 0);
    await planner.c.waitFor((m) => m.text_payload === 'hello');
  } finally {
    await closeAll(hub, planner, bob);
  }
});
