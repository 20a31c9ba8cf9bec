// Seed 004 topic ids (src/protocol/ids.ts): properties checked with fast-check over clocks, priorities and machines.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  TOPIC_ID_EPOCH,
  TopicIdGenerator,
  compareTopicIds,
  decodeTopicId,
  isAfterTopicId,
  isTopicId,
} from '../../src/protocol/ids';

/** A clock that replays the given steps (ms deltas, possibly negative: a clock stepped back). */
function steppedClock(start: number, steps: number[]): () => number {
  let t = start;
  let i = 0;
  return () => {
    t += steps[i++ % steps.length] ?? 0;
    return t;
  };
}

const start = fc.integer({ min: TOPIC_ID_EPOCH, max: TOPIC_ID_EPOCH + 60 * 365 * 86_400_000 });
const steps = fc.array(fc.integer({ min: -5, max: 3 }), { minLength: 1, maxLength: 50 });

test('ids from one generator increase (as 64-bit numbers) in call order for equal priority, even with a clock that steps back', () => {
  fc.assert(
    fc.property(start, steps, fc.integer({ min: 0, max: 9 }), fc.integer({ min: 1, max: 3000 }), (t0, st, prio, n) => {
      const g = new TopicIdGenerator(7, steppedClock(t0, st));
      let prev = -1n;
      for (let i = 0; i < n; i++) {
        const id = g.next(prio);
        assert.ok(isTopicId(id), id);
        const v = BigInt(id);
        assert.ok(v > prev, `id ${i} not above the one before`);
        prev = v;
      }
    }),
    { numRuns: 60 },
  );
});

test('ids of two machine ids never collide, whatever their clocks and priorities', () => {
  fc.assert(
    fc.property(start, steps, fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 400 }), fc.integer({ min: 0, max: 254 }), (t0, st, prios, m) => {
      const a = new TopicIdGenerator(m, steppedClock(t0, st));
      const b = new TopicIdGenerator(m + 1, steppedClock(t0, st));
      const seen = new Set<string>();
      for (const p of prios) {
        for (const id of [a.next(p), b.next(p)]) {
          assert.ok(!seen.has(id), `duplicate ${id}`);
          seen.add(id);
        }
      }
    }),
  );
});

test('priority, timestamp, machine id and sequence decode from the id they were encoded in', () => {
  fc.assert(
    fc.property(start, fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 255 }), (t0, prio, m) => {
      const g = new TopicIdGenerator(m, () => t0);
      const first = decodeTopicId(g.next(prio));
      assert.deepEqual(first, { priority: prio, timestamp: t0, machineId: m, sequence: 0 });
      const second = decodeTopicId(g.next(prio));
      assert.deepEqual(second, { priority: prio, timestamp: t0, machineId: m, sequence: 1 });
    }),
  );
});

test('since id never misses a later message of another priority (and never returns an earlier one)', () => {
  fc.assert(
    fc.property(start, steps, fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 2, maxLength: 300 }), fc.nat(), (t0, st, prios, pick) => {
      const g = new TopicIdGenerator(3, steppedClock(t0, st));
      const ids = prios.map((p) => g.next(p));
      const k = pick % ids.length;
      const since = ids[k]!;
      const after = ids.filter((id) => isAfterTopicId(id, since));
      assert.deepEqual(after, ids.slice(k + 1), 'exactly the messages published after it');
      assert.deepEqual([...ids].sort(compareTopicIds), ids, 'sorting on the time key restores publish order');
    }),
  );
});

test('a full sequence in one millisecond moves on to the next millisecond instead of wrapping', () => {
  const g = new TopicIdGenerator(0, () => TOPIC_ID_EPOCH + 1000);
  const ids = Array.from({ length: 5000 }, () => g.next());
  assert.equal(new Set(ids).size, ids.length);
  assert.ok(decodeTopicId(ids.at(-1)!).timestamp > TOPIC_ID_EPOCH + 1000);
});

test('ids are decimal strings within 64 bits; bad machine ids and priorities are refused', () => {
  assert.ok(!isTopicId('12a'));
  assert.ok(!isTopicId(123));
  assert.ok(!isTopicId('18446744073709551616'), '2^64 does not fit');
  assert.ok(isTopicId('18446744073709551615'));
  assert.throws(() => new TopicIdGenerator(256), RangeError);
  assert.throws(() => new TopicIdGenerator(0).next(10), RangeError);
});

test('a generator that changes its machine id (a derived id that gave way) still mints increasing ids, with the new machine id', () => {
  fc.assert(
    fc.property(start, steps, fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 200 }), (t0, st, from, to, before) => {
      const g = new TopicIdGenerator(from, steppedClock(t0, st));
      let prev = -1n;
      for (let i = 0; i < before; i++) prev = BigInt(g.next());
      g.setMachineId(to);
      assert.equal(g.machineId, to);
      for (let i = 0; i < 20; i++) {
        const id = g.next();
        assert.equal(decodeTopicId(id).machineId, to);
        assert.ok(BigInt(id) > prev, `id ${i} after the change not above the one before`);
        prev = BigInt(id);
      }
    }),
    { numRuns: 100 },
  );
  assert.throws(() => new TopicIdGenerator(1).setMachineId(256), /machine id/);
});
