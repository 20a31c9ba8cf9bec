// The Redis topic store on the machine's real Redis: history since id (across one millisecond's many ids and priorities,
// across pages), by ids, ttl expiry as key TTLs, history that survives a hub restart, and two hubs on one Redis that
// see the same history. Every key is under a prefix of this run's own, deleted at the end.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MEMBER_HEAD, RedisTopicStore, memberHead } from '../../src/hub/topics/redisTopicStore';
import { idOfJson } from '../../src/hub/topics/topicStore';
import { TopicIdGenerator, decodeTopicId } from '../../src/protocol/ids';
import type { StoredTopicMessageT } from '../../src/protocol/topics';
import type { Hub } from '../../src/hub/hub';
import { agent, closeAll, startHub } from '../integration/hubHarness';
import { ask, messagesOf, publish, subscribe, topicMessages } from '../integration/topicHarness';
import { cleanupRabbit, requireBroker, uniquePrefix, waitFor } from './helpers';
import { startRabbitHub } from './rabbitHarness';
import { redisPrefix, requireRedis } from './topicKit';

function message(gen: TopicIdGenerator, topic: string, priority: number, payload: Record<string, unknown>, ttl?: number): StoredTopicMessageT {
  const id = gen.next(priority);
  const m: StoredTopicMessageT = {
    id,
    namespace: 'ns1',
    sender: { id: 'agent_test', name: 't' },
    topics: topic,
    topic_published_to: topic,
    payload,
    format: 'generic_json',
    priority,
    timestamp: decodeTopicId(id).timestamp / 1000,
    thread: [id],
  };
  if (ttl !== undefined) m.ttl = ttl;
  return m;
}

/** Deletes the run's keys through `probe`, closes it, then stops and disposes the hubs in the order given. */
async function teardown(probe: RedisTopicStore, ...hubs: Hub[]): Promise<void> {
  await probe.deleteAll();
  await probe.close();
  for (const h of hubs) {
    await h.stop();
    h.dispose();
  }
}

test('Redis store: since id is exclusive across many ids of one millisecond and every priority, across pages; by ids; namespaces apart', async (t) => {
  const url = await requireRedis(t);
  if (!url) return;
  const store = new RedisTopicStore(url, { keyPrefix: redisPrefix('topicstore') });
  try {
    // a clock that stays on one millisecond for 150 ids, then moves: the sorted set's scores tie in bulk
    let calls = 0;
    const now = Date.now();
    const gen = new TopicIdGenerator(5, () => now + Math.floor(calls++ / 150));
    const sent: StoredTopicMessageT[] = [];
    for (let i = 0; i < 400; i++) sent.push(message(gen, 'events', (i * 7) % 10, { i }));
    await Promise.all(sent.map((m) => store.append(m)));
    for (const k of [0, 37, 149, 150, 151, 398]) {
      const got = await store.history('ns1', 'events', { sinceId: sent[k]!.id, limit: 1000 });
      assert.deepEqual(got.map((m) => m.payload.i), sent.slice(k + 1).map((m) => m.payload.i), `since message ${k}`);
    }
    // paging with a small limit walks every message once, in order
    const walked: number[] = [];
    let since = sent[0]!.id;
    for (;;) {
      const page = await store.history('ns1', 'events', { sinceId: since, limit: 7 });
      if (page.length === 0) break;
      walked.push(...page.map((m) => m.payload.i as number));
      since = page[page.length - 1]!.id;
    }
    assert.deepEqual(walked, sent.slice(1).map((m) => m.payload.i));
    // and backwards from the newest, "load older" by id, across the same millisecond boundaries
    const back: number[] = [];
    let before: string | undefined;
    for (;;) {
      const page = await store.history('ns1', 'events', { beforeId: before, limit: 9 });
      if (page.length === 0) break;
      back.unshift(...page.map((m) => m.payload.i as number));
      before = page[0]!.id;
    }
    assert.deepEqual(back, sent.map((m) => m.payload.i), 'every message once, in order');
    const latest = await store.history('ns1', 'events', { limit: 3 });
    assert.deepEqual(latest.map((m) => m.payload.i), [397, 398, 399], 'the latest, oldest first');
    const byId = await store.byIds('ns1', [sent[5]!.id, '999', sent[2]!.id]);
    assert.deepEqual(byId.map((m) => m.payload.i), [5, 2]);
    assert.deepEqual(await store.byIds('ns2', [sent[5]!.id]), [], 'an id of another namespace is unknown');
    assert.deepEqual(await store.history('ns2', 'events', { limit: 10 }), []);
    assert.deepEqual((await store.topics()).map((c) => [c.namespace, c.topic, c.count]), [['ns1', 'events', 400]]);
  } finally {
    await store.deleteAll();
    await store.close();
  }
});

test('Redis store: a ttl is the message key\'s TTL; an expired message is gone from history and by id', async (t) => {
  const url = await requireRedis(t);
  if (!url) return;
  const prefix = redisPrefix('topicttl');
  const store = new RedisTopicStore(url, { keyPrefix: prefix });
  try {
    const gen = new TopicIdGenerator(1);
    const keep = message(gen, 'short', 4, { keep: true });
    const gone = message(gen, 'short', 4, { gone: true }, 1);
    await store.append(keep);
    await store.append(gone);
    const pttl = await store.redis.pttl(`${prefix}m:ns1:${gone.id}`);
    assert.ok(pttl > 0 && pttl <= 1000, `the key expires with the message (pttl ${pttl})`);
    assert.equal(await store.redis.pttl(`${prefix}m:ns1:${keep.id}`), -1, 'no ttl, no expiry');
    await waitFor(async () => (await store.redis.exists(`${prefix}m:ns1:${gone.id}`)) === 0, 'Redis to expire the key', 5000);
    assert.deepEqual((await store.history('ns1', 'short', { limit: 10 })).map((m) => m.id), [keep.id]);
    assert.deepEqual((await store.byIds('ns1', [gone.id])).length, 0);
    const left = await store.redis.zrange(`${prefix}z:ns1:short`, 0, -1);
    assert.deepEqual(left.map((m) => idOfJson(m.slice(MEMBER_HEAD))), [keep.id], 'the expired message leaves the topic\'s set when met');
  } finally {
    await store.deleteAll();
    await store.close();
  }
});

test('hubs on Redis: history survives a hub restart, and two hubs on one Redis see the same history', async (t) => {
  const url = await requireRedis(t);
  if (!url) return;
  const topicKeyPrefix = redisPrefix('topichubs');
  const opts = { topicStore: url, topicKeyPrefix };
  const hub1 = await startHub({ ...opts, topicMachineId: 1 });
  const w = await agent(hub1, 'writer', { namespace: 'team' });
  const first = await publish(w.c, 'plans', { step: 1 });
  const second = await publish(w.c, 'plans', { step: 2 }, { priority: 0 });
  await closeAll(hub1, w);

  const hub2 = await startHub({ ...opts, topicMachineId: 2 });
  const hub3 = await startHub({ ...opts, topicMachineId: 3 });
  try {
    const late = await agent(hub2, 'late', { namespace: 'team' });
    const got = messagesOf(await ask(late.c, { message_type: 'HISTORY', topic: 'plans', since_id: first.id }));
    assert.deepEqual(got.map((m) => m.id), [second.id], 'a hub started after the first stopped serves its history');
    const fromHub2 = await publish(late.c, 'plans', { step: 3 });
    const other = await agent(hub3, 'other', { namespace: 'team' });
    const all = messagesOf(await ask(other.c, { message_type: 'HISTORY', topic: 'plans' }));
    assert.deepEqual(all.map((m) => m.payload.step), [1, 2, 3], 'hub 3 sees what hubs 1 and 2 stored');
    assert.equal(decodeTopicId(fromHub2.id).machineId, 2);
    const outsider = await agent(hub3, 'outsider', { namespace: 'rival' });
    assert.deepEqual(messagesOf(await ask(outsider.c, { message_type: 'HISTORY', topic: 'plans' })), [], 'not another namespace');
    await Promise.all([late.c.close(), other.c.close(), outsider.c.close()]);
  } finally {
    const cleaner = new RedisTopicStore(url, { keyPrefix: topicKeyPrefix });
    await cleaner.deleteAll();
    await cleaner.close();
    await hub2.stop();
    await hub3.stop();
    hub2.dispose();
    hub3.dispose();
  }
});


test('hubs on one Redis and no shared bus deliver to each other over Redis pub/sub, once, subscribed while a subscriber is there', async (t) => {
  const url = await requireRedis(t);
  if (!url) return;
  const topicKeyPrefix = redisPrefix('topicpubsub');
  const hubA = await startHub({ topicStore: url, topicKeyPrefix, topicMachineId: 11, hubId: 'hub_redisa01' });
  const hubB = await startHub({ topicStore: url, topicKeyPrefix, topicMachineId: 12, hubId: 'hub_redisb02' });
  const probe = new RedisTopicStore(url, { keyPrefix: topicKeyPrefix });
  const channel = probe.pubsubChannel('topics.team');
  const subscribers = async (): Promise<number> => Number(((await probe.redis.pubsub('NUMSUB', channel)) as [string, number])[1]);
  try {
    const writer = await agent(hubA, 'writer', { namespace: 'team' });
    const localReader = await agent(hubA, 'local', { namespace: 'team' });
    const remoteReader = await agent(hubB, 'remote', { namespace: 'team' });
    assert.equal(await subscribers(), 0, 'nobody subscribes yet: no Redis subscription');
    await subscribe(remoteReader.c, 'plans');
    await subscribe(localReader.c, 'plans');
    await hubA.topics.settled();
    await hubB.topics.settled();
    assert.equal(await subscribers(), 2, 'one Redis subscription per hub with a subscriber in the namespace');
    const first = await publish(writer.c, 'plans', { step: 1 });
    const second = await publish(writer.c, 'plans', { step: 2 });
    await remoteReader.c.waitFor((f) => f.message_id === second.id, 10_000, 'the second message on hub B');
    await localReader.c.waitFor((f) => f.message_id === second.id, 10_000, 'the second message on hub A');
    assert.deepEqual(topicMessages(remoteReader.c).map((m) => m.id), [first.id, second.id], 'B: each once, in order');
    assert.deepEqual(topicMessages(localReader.c).map((m) => m.id), [first.id, second.id], 'A: each once (its own echo ignored)');
    await remoteReader.c.close();
    await waitFor(async () => (await subscribers()) === 1, 'hub B to drop its Redis subscription when its last subscriber left');
    await Promise.all([writer.c.close(), localReader.c.close()]);
    await waitFor(async () => (await subscribers()) === 0, 'hub A to drop its Redis subscription');
  } finally {
    await teardown(probe, hubB, hubA);
  }
});

test('Redis store: appendBatch writes in one pipeline what append writes; a page whose millisecond holds 2,048 ids reads them all', async (t) => {
  const url = await requireRedis(t);
  if (!url) return;
  const store = new RedisTopicStore(url, { keyPrefix: redisPrefix('topicbatch') });
  try {
    // a clock stuck on one millisecond: 2,048 ids fill its sequence, the rest spill into the next
    const gen = new TopicIdGenerator(9, () => Date.now() - 10_000);
    const sent = Array.from({ length: 2_500 }, (_, i) => message(gen, 'bulk', 4, { i }));
    await store.appendBatch(sent.slice(0, 2_000));
    await store.appendBatch(sent.slice(2_000));
    assert.deepEqual(await store.topics(), [{ namespace: 'ns1', topic: 'bulk', count: 2_500 }]);
    for (const [k, limit] of [[0, 10], [5, 1000], [2_046, 3], [2_047, 1000]] as const) {
      const got = await store.history('ns1', 'bulk', { sinceId: sent[k]!.id, limit });
      assert.deepEqual(got.map((m) => m.payload.i), sent.slice(k + 1, k + 1 + limit).map((m) => m.payload.i), `since message ${k}, limit ${limit}`);
    }
    const latest = await store.history('ns1', 'bulk', { limit: 5 });
    assert.deepEqual(latest.map((m) => m.payload.i), [2_495, 2_496, 2_497, 2_498, 2_499]);
    const before = await store.history('ns1', 'bulk', { beforeId: sent[2_048]!.id, limit: 3 });
    assert.deepEqual(before.map((m) => m.payload.i), [2_045, 2_046, 2_047], 'backwards across the millisecond boundary');
    assert.deepEqual((await store.byIds('ns1', [sent[7]!.id, sent[2_400]!.id])).map((m) => m.payload.i), [7, 2_400]);
  } finally {
    await store.deleteAll();
    await store.close();
  }
});

test('hub on Redis: a message published to several topics has one body key (lookup by id) and a member in each topic\'s set; each topic\'s history names that topic; the log keeps a HISTORY_RESPONSE as a summary', async (t) => {
  const url = await requireRedis(t);
  if (!url) return;
  const topicKeyPrefix = redisPrefix('topicmulti');
  const hub = await startHub({ topicStore: url, topicKeyPrefix, topicMachineId: 21 });
  const probe = new RedisTopicStore(url, { keyPrefix: topicKeyPrefix });
  try {
    const w = await agent(hub, 'writer', { namespace: 'team' });
    const reader = await agent(hub, 'reader', { namespace: 'team' });
    await subscribe(reader.c, 'beta');
    const both = await publish(w.c, ['alpha', 'beta'], { step: 1 });
    const delivered = await reader.c.waitFor((f) => f.message_id === both.id, 10_000, 'the message on beta');
    assert.equal((delivered.message as StoredTopicMessageT).topic_published_to, 'beta', 'delivered as published to beta');
    assert.deepEqual(await probe.redis.keys(`${topicKeyPrefix}m:*`), [`${topicKeyPrefix}m:team:${both.id}`], 'one body key for both topics (lookup by id)');
    for (const topic of ['alpha', 'beta']) {
      const members = await probe.redis.zrange(`${topicKeyPrefix}z:team:${topic}`, 0, -1);
      assert.deepEqual(members.map((m) => idOfJson(m.slice(MEMBER_HEAD))), [both.id], `listed in ${topic}'s set`);
      const got = messagesOf(await ask(reader.c, { message_type: 'HISTORY', topic, since_id: '0' }));
      assert.deepEqual(got.map((m) => [m.id, m.topic_published_to, m.payload.step]), [[both.id, topic, 1]], `${topic}'s history`);
    }
    const answered = hub.log.query({ message_type: 'HISTORY_RESPONSE' }).filter((e) => e.direction === 'out' && e.body.topic === 'alpha');
    assert.equal(answered.length, 1, 'the HISTORY answered is in the log');
    assert.equal(answered[0]!.body.message_count, 1);
    assert.equal(answered[0]!.body.first_id, both.id);
    assert.equal(answered[0]!.body.messages, undefined, 'its bodies are not copied into the log');
    await Promise.all([w.c.close(), reader.c.close()]);
  } finally {
    await probe.deleteAll();
    await probe.close();
    await hub.stop();
    hub.dispose();
  }
});

test('Redis store: trimming one topic keeps a body another topic still lists; the body goes when the last topic trims it', async (t) => {
  const url = await requireRedis(t);
  if (!url) return;
  const prefix = redisPrefix('topictrim');
  const store = new RedisTopicStore(url, { keyPrefix: prefix, perTopic: 5 });
  try {
    const gen = new TopicIdGenerator(3);
    const shared = message(gen, 'a', 4, { n: 'both' });
    await store.put(shared, JSON.stringify(shared), ['a', 'b']);
    // 300 more on "a" alone: more than one trim's worth (every 256 appends), so "a" is cut to its last 5
    await store.appendBatch(Array.from({ length: 300 }, (_, i) => message(gen, 'a', 4, { i })));
    await store.close();
    const reopened = new RedisTopicStore(url, { keyPrefix: prefix, perTopic: 5 });
    try {
      const a = await reopened.history('ns1', 'a', { limit: 1000 });
      assert.equal(a.length, 5, 'topic a was trimmed to its bound');
      assert.ok(!a.some((m) => m.id === shared.id));
      const b = await reopened.history('ns1', 'b', { limit: 10 });
      assert.deepEqual(b.map((m) => m.id), [shared.id], 'topic b still has the message topic a trimmed away');
      assert.equal(b[0]!.topic_published_to, 'b');
      // now "b" trims it too: the body and its count are gone
      await reopened.appendBatch(Array.from({ length: 300 }, (_, i) => message(gen, 'b', 4, { j: i })));
    } finally {
      await reopened.close();
    }
    const probe = new RedisTopicStore(url, { keyPrefix: prefix });
    try {
      assert.deepEqual(await probe.byIds('ns1', [shared.id]), [], 'the body went with the last topic that listed it');
      assert.deepEqual(await probe.redis.keys(`${prefix}r:*`), [], 'no count left behind');
    } finally {
      await probe.deleteAll();
      await probe.close();
    }
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
});

test('Redis store: a Redis of layout 1 (ids in the sets, bodies by key) is converted when a store opens it, and an id member written later is converted when read — old history stays readable', async (t) => {
  const url = await requireRedis(t);
  if (!url) return;
  const prefix = redisPrefix('topiclayout');
  const store = new RedisTopicStore(url, { keyPrefix: prefix });
  const r = store.redis;
  /** What a hub of layout 1 wrote: the body under m:, the id in the topic's set (scored by ms), the topic listed. */
  const writeOld = async (m: StoredTopicMessageT, topics: string[]): Promise<void> => {
    const json = JSON.stringify(m);
    if (m.ttl) await r.set(`${prefix}m:ns1:${m.id}`, json, 'PX', m.ttl * 1000);
    else await r.set(`${prefix}m:ns1:${m.id}`, json);
    for (const topic of topics) {
      await r.zadd(`${prefix}z:ns1:${topic}`, Math.round(m.timestamp * 1000), m.id);
      await r.sadd(`${prefix}topics`, `ns1:${topic}`);
    }
  };
  try {
    let calls = 0;
    const now = Date.now();
    // 30 ids per millisecond, every priority: the old sets ordered them by text within a score, not by id
    const gen = new TopicIdGenerator(7, () => now + Math.floor(calls++ / 30));
    const old = Array.from({ length: 120 }, (_, i) => message(gen, 'legacy', (i * 3) % 10, { i }));
    for (const m of old) await writeOld(m, ['legacy']);
    const shared = message(gen, 'legacy', 4, { shared: true });
    await writeOld(shared, ['legacy', 'other']);
    const expiring = message(gen, 'legacy', 4, { expiring: true }, 3600);
    await writeOld(expiring, ['legacy']);
    assert.equal(await r.get(`${prefix}layout`), null);

    const all = await store.history('ns1', 'legacy', { limit: 1000 });
    assert.deepEqual(all.map((m) => m.id), [...old, shared, expiring].map((m) => m.id), 'every old message, in id order');
    assert.equal(await r.get(`${prefix}layout`), '2', 'the layout is recorded once converted');
    assert.ok((await r.zrange(`${prefix}z:ns1:legacy`, 0, -1)).every((mem) => mem.length > MEMBER_HEAD && mem[MEMBER_HEAD] === '{'), 'no id member left');
    const since = await store.history('ns1', 'legacy', { sinceId: old[44]!.id, limit: 10 });
    assert.deepEqual(since.map((m) => m.payload.i), old.slice(45, 55).map((m) => m.payload.i), 'since id on converted members');
    const other = await store.history('ns1', 'other', { limit: 10 });
    assert.deepEqual(other.map((m) => [m.id, m.topic_published_to]), [[shared.id, 'other']], 'each topic converted, its messages named after it');
    const head = (await r.zrangebyscore(`${prefix}z:ns1:legacy`, '-inf', '+inf')).find((mem) => mem.includes(`"id":"${expiring.id}"`))!;
    assert.equal(head.slice(0, MEMBER_HEAD), memberHead(expiring.id, Math.round(expiring.timestamp * 1000) + 3600 * 1000), 'the ttl is kept in the converted member');
    assert.deepEqual((await store.byIds('ns1', [old[3]!.id])).map((m) => m.payload.i), [3], 'by id: the body keys are layout 1\'s');

    // a hub of the old version writes to the same Redis afterwards: its id member is converted when met
    const late = message(gen, 'legacy', 4, { late: true });
    await writeOld(late, ['legacy']);
    const latest = await store.history('ns1', 'legacy', { limit: 2 });
    assert.deepEqual(latest.map((m) => m.id), [expiring.id, late.id]);

    await r.set(`${prefix}layout`, '9');
    const fresh = new RedisTopicStore(url, { keyPrefix: prefix });
    try {
      await assert.rejects(fresh.history('ns1', 'legacy', { limit: 1 }), /layout 9, which this hub does not know/);
    } finally {
      await fresh.close();
    }
  } finally {
    await store.deleteAll();
    await store.close();
  }
});

test('two hubs on one RabbitMQ and one Redis: a message that reaches the other hub over the bus is delivered for each of its topics and in each topic\'s set once', async (t) => {
  const url = await requireRedis(t);
  if (!url) return;
  const b = await requireBroker('rabbitmq', t);
  if (!b) return;
  const prefix = uniquePrefix('rtopicsredis');
  const topicKeyPrefix = redisPrefix('topicbusredis');
  const opts = { topicStore: url, topicKeyPrefix };
  const hubA = await startRabbitHub(b.url, prefix, { ...opts, hubId: 'hub_busreda1', topicMachineId: 31 });
  const hubB = await startRabbitHub(b.url, prefix, { ...opts, hubId: 'hub_busredb2', topicMachineId: 32 });
  const probe = new RedisTopicStore(url, { keyPrefix: topicKeyPrefix });
  try {
    const writer = await agent(hubA, 'writer', { namespace: 'team' });
    const reader = await agent(hubB, 'reader', { namespace: 'team' });
    await subscribe(reader.c, 'alpha');
    await subscribe(reader.c, 'beta');
    await hubB.topics.settled();
    const both = await publish(writer.c, ['alpha', 'beta'], { step: 1 });
    const one = await publish(writer.c, 'alpha', { step: 2 });
    // B stores what it receives over the bus before delivering it: once delivered, its write (or its skip) is done;
    // each topic's copy of the message published to two arrives (the bus de-duplicates by message_id)
    await reader.c.waitFor((f) => f.message_id === one.id, 20_000, 'the second message on hub B');
    await reader.c.waitFor((f) => f.message_id === both.id && (f.message as StoredTopicMessageT).topic_published_to === 'beta', 20_000, 'the first on beta');
    for (const [topic, ids] of [['alpha', [both.id, one.id]], ['beta', [both.id]]] as const) {
      const members = await probe.redis.zrange(`${topicKeyPrefix}z:team:${topic}`, 0, -1);
      assert.deepEqual(members.map((m) => idOfJson(m.slice(MEMBER_HEAD))), ids, `${topic}: each message once`);
      assert.deepEqual(messagesOf(await ask(reader.c, { message_type: 'HISTORY', topic })).map((m) => m.id), ids, `${topic}'s history on B`);
    }
    await Promise.all([writer.c.close(), reader.c.close()]);
  } finally {
    await teardown(probe, hubB, hubA);
    await cleanupRabbit(b.url, { prefix, exchanges: [`${prefix}switchboard.bus`] });
  }
});
