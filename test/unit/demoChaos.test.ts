// The demo's chaos schedule: calm by default for a first try, the first demo's pace on request, none when off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_CHAOS_EVERY_MS, chaosEveryMs } from '../../src/sdk/demoFleet';

test('by default five demo agents have no chaos in their first 5 minutes and at most one event a minute after', () => {
  const every = chaosEveryMs({});
  assert.ok(every, 'chaos is on by default');
  const [min, max] = every;
  assert.ok(min >= 5 * 60_000, `first event no sooner than 5 min, got ${min} ms`);
  const perMinute = 5 / ((min + max) / 2 / 60_000);
  assert.ok(perMinute <= 1, `five agents: ${perMinute.toFixed(2)} events a minute`);
});

test('chaos off (or crashes: false) schedules nothing; often is the first demo pace; an explicit range wins', () => {
  assert.equal(chaosEveryMs({ chaos: 'off' }), undefined);
  assert.equal(chaosEveryMs({ crashes: false, chaos: 'often' }), undefined);
  assert.deepEqual(chaosEveryMs({ chaos: 'often' }), DEMO_CHAOS_EVERY_MS.often);
  assert.deepEqual(chaosEveryMs({ chaos: 'rare', chaosEveryMs: [100, 300] }), [100, 300]);
});
