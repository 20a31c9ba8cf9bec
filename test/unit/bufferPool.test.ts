// The pool HISTORY_RESPONSE frames are lent from (src/hub/bufferPool.ts): the smallest buffer that fits is lent,
// a buffer comes back once, and neither too many nor too large ones are kept.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BufferPool } from '../../src/hub/bufferPool';

test('BufferPool lends the smallest kept buffer that fits, allocates in powers of two from 64 KiB, and keeps at most `keep` of at most `maxBytes`', () => {
  const pool = new BufferPool(2, 1024 * 1024);
  const a = pool.take(100);
  assert.equal(a.length, 64 * 1024);
  const b = pool.take(300 * 1024);
  assert.equal(b.length, 512 * 1024);
  pool.give(b);
  pool.give(a);
  pool.give(a); // given twice: kept once
  assert.equal(pool.size, 2);
  assert.equal(pool.take(10), a, 'the smallest that fits');
  assert.equal(pool.take(10).length, 512 * 1024, 'then the larger one');
  assert.equal(pool.size, 0);
  const c = pool.take(200);
  const d = pool.take(200);
  const e = pool.take(200);
  [c, d, e].forEach((x) => pool.give(x));
  assert.equal(pool.size, 2, 'no more than keep');
  const huge = pool.take(2 * 1024 * 1024);
  pool.take(1);
  pool.take(1);
  pool.give(huge);
  assert.equal(pool.size, 0, 'a buffer over maxBytes is not kept');
});
