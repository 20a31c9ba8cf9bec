// Topic handler decorators (src/sdk/topicsDecorators.ts): ordering with de-duplication, filtering, throttling,
// retrying, logging, and their composition. Clocks and timers are injected: nothing here waits on real time.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { composeTopicHandler, filtering, logging, ordering, retrying, throttling, type TopicHandler } from '../../src/sdk/topicsDecorators';
import { TopicIdGenerator, decodeTopicId } from '../../src/protocol/ids';
import type { StoredTopicMessageT } from '../../src/protocol/topics';
import type { Logger } from '../../src/protocol/logger';

function messages(n: number, priorities: number[] = [4]): StoredTopicMessageT[] {
  let t = 1_800_000_000_000;
  const gen = new TopicIdGenerator(9, () => t++);
  return Array.from({ length: n }, (_, i) => {
    const id = gen.next(priorities[i % priorities.length]);
    return { id, namespace: 'ns', sender: { id: 's' }, topics: 't', topic_published_to: 't', payload: { i }, format: 'generic_json', priority: 4, timestamp: decodeTopicId(id).timestamp / 1000, thread: [id] };
  });
}

test('ordering drops a second copy of an id and hands held messages out in id order, across priorities', async () => {
  const ms = messages(5, [9, 0, 5]);
  const timers: (() => void)[] = [];
  const order = ordering({ holdMs: 50, setTimer: (fn) => void timers.push(fn) });
  const got: number[] = [];
  const h = composeTopicHandler((m) => void got.push(m.payload.i as number), order);
  for (const i of [3, 1, 1, 4, 0, 2, 3]) await h(ms[i]!);
  assert.equal(timers.length, 1, 'one release for the batch');
  timers[0]!();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(got, [0, 1, 2, 3, 4], 'in id (time) order, whatever the priority');
  assert.equal(order.stats.duplicates, 2);
  await h(ms[2]!);
  assert.equal(order.stats.duplicates, 3, 'remembered after handling too');
});

test('ordering without a hold handles one message at a time in arrival order and counts late ones', async () => {
  const ms = messages(3);
  const order = ordering();
  const log: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const h = composeTopicHandler(async (m) => {
    log.push(`start ${String(m.payload.i)}`);
    if (m.payload.i === 2) await gate;
    log.push(`end ${String(m.payload.i)}`);
  }, order);
  const p2 = h(ms[2]!);
  const p0 = h(ms[0]!);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(log, ['start 2'], 'the next waits for the one being handled');
  release();
  await Promise.all([p2, p0]);
  assert.deepEqual(log, ['start 2', 'end 2', 'start 0', 'end 0']);
  assert.equal(order.stats.late, 1, 'an older id after a newer one is handled and counted as late');
});

test('filtering passes only what the predicate keeps', async () => {
  const got: number[] = [];
  const h = composeTopicHandler((m) => void got.push(m.payload.i as number), filtering((m) => (m.payload.i as number) % 2 === 0));
  for (const m of messages(6)) await h(m);
  assert.deepEqual(got, [0, 2, 4]);
});

test('throttling lets a burst of perSecond through, then waits for tokens (drops none)', async () => {
  let now = 0;
  const sleeps: number[] = [];
  const got: number[] = [];
  const h = composeTopicHandler((m) => void got.push(m.payload.i as number), throttling({ perSecond: 2, now: () => now, sleep: async (ms) => void (sleeps.push(ms), (now += ms)) }));
  await Promise.all(messages(5).map((m) => h(m)));
  assert.deepEqual(got, [0, 1, 2, 3, 4], 'all handled, in order');
  assert.deepEqual(sleeps, [500, 500, 500], 'the burst of 2, then one every 500 ms');
});

test('retrying calls a failing handler again with backoff and gives up after the attempts', async () => {
  const sleeps: number[] = [];
  let calls = 0;
  const flaky = composeTopicHandler(() => {
    if (++calls < 3) throw new Error('not yet');
  }, retrying({ attempts: 3, backoff: { initialMs: 100, maxMs: 1000, jitter: 0 }, sleep: async (ms) => void sleeps.push(ms) }));
  await flaky(messages(1)[0]!);
  assert.equal(calls, 3);
  assert.deepEqual(sleeps, [100, 200]);
  const never = composeTopicHandler(() => {
    throw new Error('broken');
  }, retrying({ attempts: 2, sleep: async () => undefined }));
  await assert.rejects(Promise.resolve(never(messages(1)[0]!)), /broken/);
  const notRetriable = composeTopicHandler(() => {
    calls++;
    throw new Error('fatal');
  }, retrying({ attempts: 5, retriable: () => false, sleep: async () => undefined }));
  calls = 0;
  await assert.rejects(Promise.resolve(notRetriable(messages(1)[0]!)), /fatal/);
  assert.equal(calls, 1, 'a non-retriable error is not tried again');
});

test('logging records each message and a failure; decorators compose outermost first', async () => {
  const lines: string[] = [];
  const logger = { debug: (s: string) => lines.push(`debug ${s}`), info: () => undefined, warn: (s: string) => lines.push(`warn ${s}`), error: () => undefined, child: () => logger } as unknown as Logger;
  const seen: string[] = [];
  const tag = (name: string) => (next: TopicHandler): TopicHandler => async (m) => {
    seen.push(name);
    await next(m);
  };
  const [m] = messages(1);
  const h = composeTopicHandler(() => {
    seen.push('handler');
    throw new Error('boom');
  }, tag('outer'), logging(logger), tag('inner'));
  await assert.rejects(Promise.resolve(h(m!)), /boom/);
  assert.deepEqual(seen, ['outer', 'inner', 'handler']);
  assert.match(lines[0]!, new RegExp(`debug topic ns:t message ${m!.id}`));
  assert.match(lines[1]!, /warn .*handler failed: boom/);
});
