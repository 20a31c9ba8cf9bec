// Seed 004 topic messaging through a real hub on the memory store: subscribe/publish, the hub's sender and ids,
// history since id, by ids, ttl, threads and enrichment, bad input answered with ERROR, and namespaces that hostile
// input cannot cross.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agent, closeAll, connect, frontend, startHub, waitUntil } from './hubHarness';
import type { StoredTopicMessageT } from '../../src/protocol/topics';
import { ask, expectError, messagesOf, publish, subscribe, topicMessages } from './topicHarness';
import { decodeTopicId, isTopicId } from '../../src/protocol/ids';

test('a published message reaches every subscriber of its topic once, with the hub\'s id, priority, timestamp and sender', async () => {
  const hub = await startHub();
  const a = await agent(hub, 'writer');
  const b = await agent(hub, 'reader-1');
  const ui = await frontend(hub, 'ui');
  await subscribe(b.c, 'news');
  await subscribe(ui.c, 'news');
  const sent = await publish(a.c, 'news', { text: 'hello' }, { sender: { id: 'spoofed', name: 'Mallory' }, sender_id: 'spoofed', priority: 2 });
  assert.ok(isTopicId(sent.id));
  for (const c of [b.c, ui.c]) {
    const f = await c.waitType('TOPIC_MESSAGE');
    const m = f.message as StoredTopicMessageT;
    assert.equal(f.message_id, sent.id, 'message_id is the topic id');
    assert.deepEqual(m.sender, { id: a.id, name: 'writer' }, 'the sender is the connection, not the frame');
    assert.equal(f.sender_id, a.id);
    assert.equal(m.topic_published_to, 'news');
    assert.equal(m.namespace, 'default');
    assert.deepEqual(m.payload, { text: 'hello' });
    assert.equal(m.priority, 2);
    assert.equal(decodeTopicId(m.id).priority, 2);
    assert.equal(m.timestamp * 1000, decodeTopicId(m.id).timestamp);
    assert.equal(m.format, 'generic_json');
    assert.deepEqual(m.thread, [m.id], 'a new message starts its own thread');
  }
  await publish(a.c, 'other', { text: 'elsewhere' });
  const last = await publish(a.c, 'news', { n: 2 });
  await b.c.waitFor((f) => f.message_id === last.id);
  assert.equal(topicMessages(b.c).length, 2, 'one copy per message, nothing from another topic');
  assert.equal(topicMessages(a.c).length, 0, 'the publisher is not a subscriber');
  const logged = hub.log.query({}).filter((e) => e.message_type === 'TOPIC_MESSAGE' && e.message_id === sent.id);
  assert.deepEqual(logged.map((e) => e.recipients), [2], 'the delivery is in the event log under the message id, once, with its recipients');
  await closeAll(hub, a, b, ui);
});

test('history since an id is exclusive and oldest first, whatever the priorities; limit, client: true and GET_MESSAGES', async () => {
  const hub = await startHub();
  const a = await agent(hub, 'writer');
  const late = await agent(hub, 'late');
  const ids: string[] = [];
  for (let i = 0; i < 6; i++) ids.push((await publish(a.c, 'log', { i }, { priority: i % 2 === 0 ? 9 : 0 })).id);
  await publish(a.c, 'other', { x: 1 });
  const since = messagesOf(await ask(late.c, { message_type: 'HISTORY', topic: 'log', since_id: ids[1] }));
  assert.deepEqual(since.map((m) => m.payload.i), [2, 3, 4, 5], 'every later message, the higher and the lower priority alike');
  const page = messagesOf(await ask(late.c, { message_type: 'HISTORY', topic: 'log', since_id: ids[1], limit: 2 }));
  assert.deepEqual(page.map((m) => m.payload.i), [2, 3], 'the first `limit` after the id');
  const latest = messagesOf(await ask(late.c, { message_type: 'HISTORY', topic: 'log', limit: 2 }));
  assert.deepEqual(latest.map((m) => m.payload.i), [4, 5], 'without since_id: the latest `limit`, oldest first');
  const older = messagesOf(await ask(late.c, { message_type: 'HISTORY', topic: 'log', before_id: ids[4], limit: 3 }));
  assert.deepEqual(older.map((m) => m.payload.i), [1, 2, 3], 'before_id pages backwards: the latest `limit` before it');
  await subscribe(late.c, 'log');
  await subscribe(late.c, 'other');
  const mine = messagesOf(await ask(late.c, { message_type: 'HISTORY', client: true, since_id: ids[4] }));
  assert.deepEqual(mine.map((m) => m.topic_published_to), ['log', 'other'], 'every subscribed topic, merged in id order');
  const byId = messagesOf(await ask(late.c, { message_type: 'GET_MESSAGES', ids: [ids[3], '12345', ids[0]] }));
  assert.deepEqual(byId.map((m) => m.payload.i), [3, 0], 'in the order asked, unknown ids left out');
  await closeAll(hub, a, late);
});

test('bad input gets an ERROR naming the problem and the connection carries on', async () => {
  const hub = await startHub();
  const a = await agent(hub, 'writer');
  for (const topic of ['a:b', 'news.#', 'x*', 'a.b', 'has space', '', 'é']) {
    await expectError(a.c, { message_type: 'PUBLISH', topics: topic, payload: {} }, topic === '' ? /topics/ : /not allowed/);
    await expectError(a.c, { message_type: 'SUBSCRIBE', topic }, topic === '' ? /topic/ : /not allowed/);
  }
  await expectError(a.c, { message_type: 'HISTORY', topic: 'log', since_id: 2 ** 60 }, /above 2\^53.*decimal strings/);
  await expectError(a.c, { message_type: 'GET_MESSAGES', ids: ['12x'] }, /not a topic message id/);
  await expectError(a.c, { message_type: 'PUBLISH', topics: 'log', payload: { big: 'x'.repeat(300 * 1024) } }, /payload is \d+ bytes/);
  await expectError(a.c, { message_type: 'PUBLISH', topics: 'log', payload: {}, priority: 10 }, /priority/);
  await expectError(a.c, { message_type: 'HISTORY' }, /needs "topic"/);
  const unregistered = await connect(hub);
  await expectError(unregistered, { message_type: 'SUBSCRIBE', topic: 'log' }, /Register first/);
  const ok = await publish(a.c, 'log', { still: 'here' });
  assert.ok(isTopicId(ok.id), 'the connection still works');
  await unregistered.close();
  await closeAll(hub, a);
});

test('namespaces are not crossed under hostile input: names with ":" "#" "*" ".", foreign ids, foreign history', async () => {
  const hub = await startHub();
  const red = await agent(hub, 'red', { namespace: 'red' });
  const blue = await agent(hub, 'blue', { namespace: 'blue' });
  const blueUi = await frontend(hub, 'blue-ui', { namespace: 'blue' });
  const mon = await connect(hub);
  mon.send({ message_type: 'REGISTER_MONITOR', monitor_name: 'm' });
  await mon.waitType('REGISTER_MONITOR_RESPONSE');
  await subscribe(blue.c, 'news');
  await subscribe(blueUi.c, 'news');
  await subscribe(mon, 'red:news');
  const secret = await publish(red.c, 'news', { secret: true });
  assert.equal(secret.namespace, 'red');
  await mon.waitFor((f) => f.message_type === 'TOPIC_MESSAGE' && f.message_id === secret.id);
  for (const hostile of ['red:news', 'red%3Anews', '#', '*', 'red.news', '../red:news']) {
    await expectError(blue.c, { message_type: 'SUBSCRIBE', topic: hostile }, /not allowed/);
    await expectError(blue.c, { message_type: 'HISTORY', topic: hostile }, /not allowed/);
    await expectError(blue.c, { message_type: 'PUBLISH', topics: ['news', hostile], payload: {} }, /not allowed/);
  }
  assert.deepEqual(messagesOf(await ask(blue.c, { message_type: 'HISTORY', topic: 'news' })), [], "blue's news is not red's");
  assert.deepEqual(messagesOf(await ask(blue.c, { message_type: 'GET_MESSAGES', ids: [secret.id] })), [], "red's id is unknown in blue");
  assert.deepEqual(messagesOf(await ask(blueUi.c, { message_type: 'GET_MESSAGES', ids: [secret.id] })), []);
  const blueNews = await publish(blue.c, 'news', { mine: true });
  await blueUi.c.waitFor((f) => f.message_id === blueNews.id);
  await blue.c.waitFor((f) => f.message_id === blueNews.id);
  assert.deepEqual(topicMessages(blue.c).map((m) => m.id), [blueNews.id], 'blue got nothing of red (a subscribed publisher gets its own)');
  assert.deepEqual(topicMessages(blueUi.c).map((m) => m.namespace), ['blue'], 'the front-end of blue sees blue only');
  assert.deepEqual(topicMessages(mon).map((m) => m.id), [secret.id], 'a monitor sees the namespace it names');
  assert.deepEqual((await hub.topics.history('red', 'news')).map((m) => m.id), [secret.id], 'the in-process API sees every namespace');
  await mon.close();
  await closeAll(hub, red, blue, blueUi);
});

test('threads, in_response_to and enrich_with_history: the reply carries the thread\'s earlier messages', async () => {
  const hub = await startHub();
  const a = await agent(hub, 'asker');
  const b = await agent(hub, 'answerer');
  await subscribe(b.c, 'q');
  const root = await publish(a.c, 'q', { ask: 'why?' });
  const second = await publish(a.c, 'q', { ask: 'really?' }, { thread: [root.id], in_response_to: root.id });
  const reply = await publish(a.c, 'q', { answer: 'because' }, { thread: [root.id, second.id], in_response_to: second.id, enrich_with_history: 5 });
  const f = await b.c.waitFor((m) => m.message_id === reply.id);
  const m = f.message as StoredTopicMessageT;
  assert.deepEqual(m.thread, [root.id, second.id]);
  assert.equal(m.in_response_to, second.id);
  assert.equal(f.in_reply_to_message_id, second.id, 'linked like a chat reply');
  const enriched = (m.session_state as { enriched_history: StoredTopicMessageT[] }).enriched_history;
  assert.deepEqual(enriched.map((x) => x.payload), [{ ask: 'why?' }, { ask: 'really?' }]);
  const entries = hub.log.query({}).filter((e) => e.message_type === 'TOPIC_MESSAGE');
  assert.ok(entries.length >= 3 && entries.every((e) => e.thread === root.id), 'the log keys the thread by its root id');
  await closeAll(hub, a, b);
});

test('a message past its ttl is neither returned by history nor by id', async () => {
  const hub = await startHub();
  const a = await agent(hub, 'writer');
  const keep = await publish(a.c, 'short', { keep: true });
  const gone = await publish(a.c, 'short', { gone: true }, { ttl: 1 });
  assert.equal((await hub.topics.history('default', 'short')).length, 2);
  await waitUntil(() => Date.now() >= gone.timestamp * 1000 + 1000, 3000, 'the ttl to pass');
  assert.deepEqual((await hub.topics.history('default', 'short')).map((m) => m.id), [keep.id]);
  assert.deepEqual(messagesOf(await ask(a.c, { message_type: 'GET_MESSAGES', ids: [gone.id, keep.id] })).map((m) => m.id), [keep.id]);
  await closeAll(hub, a);
});

test('unsubscribing and disconnecting stop delivery; the Topics view\'s stats count subscribers and messages', async () => {
  const hub = await startHub();
  const a = await agent(hub, 'writer');
  const b = await agent(hub, 'reader');
  const c = await agent(hub, 'other-reader');
  await subscribe(b.c, 't');
  await subscribe(c.c, 't');
  assert.deepEqual((await hub.topics.stats()).map((s) => [s.namespace, s.topic, s.subscribers, s.count]), [['default', 't', 2, 0]]);
  const first = await publish(a.c, 't', { n: 1 });
  await b.c.waitFor((f) => f.message_id === first.id);
  b.c.send({ message_type: 'UNSUBSCRIBE', topic: 't' });
  await ask(b.c, { message_type: 'HISTORY', topic: 't' });
  await c.c.close();
  await waitUntil(() => hub.agents().find((x) => x.agent_id === c.id)?.is_online === false, 5000, 'the reader to go');
  const second = await publish(a.c, 't', { n: 2 });
  await publish(a.c, 'sync', {});
  assert.deepEqual(topicMessages(b.c).map((m) => m.id), [first.id], 'nothing after UNSUBSCRIBE');
  const stats = await hub.topics.stats();
  assert.deepEqual(stats.find((s) => s.topic === 't'), { namespace: 'default', topic: 't', count: 2, subscribers: 0, perMinute: 2 });
  assert.ok(second.id);
  await closeAll(hub, a, b);
});
