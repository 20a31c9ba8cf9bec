// The one backoff helper (src/protocol/backoff.ts) every layer's retries use.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay } from '../../src/protocol/backoff';

test('backoff doubles from initialMs (attempt 0) and never exceeds maxMs', () => {
  const opts = { initialMs: 100, maxMs: 1000 };
  assert.deepEqual([0, 1, 2, 3, 4, 10, 100, 1e9].map((a) => backoffDelay(a, opts, () => 1)), [100, 200, 400, 800, 1000, 1000, 1000, 1000]);
  assert.equal(backoffDelay(-3, opts, () => 1), 100, 'a negative attempt counts as the first');
});

test('backoff jitter: the delay lies in [d·(1 − jitter), d]; equal jitter by default; none with jitter 0', () => {
  const opts = { initialMs: 100, maxMs: 1000 };
  assert.equal(backoffDelay(3, opts, () => 0), 400, 'default jitter 0.5: never below half');
  assert.equal(backoffDelay(3, { ...opts, jitter: 0.3 }, () => 0), 560);
  assert.equal(backoffDelay(3, { ...opts, jitter: 0 }, () => 0), 800);
  const seen = new Set<number>();
  for (let i = 0; i < 200; i++) {
    const d = backoffDelay(3, { ...opts, jitter: 0.3 });
    assert.ok(d >= 560 && d <= 800, `delay ${d} outside [560, 800]`);
    seen.add(d);
  }
  assert.ok(seen.size > 10, 'jitter produced almost no spread');
});
