// The size limit on frames from the bus: the bus hands the hub parsed messages, so their JSON size is bounded by a
// walk and measured exactly only near the limit. The answer must be what measuring the JSON would say.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonSizeOver } from '../../src/hub/busIntake';

const samples: unknown[] = [
  { message_type: 'TEXT', sender_id: 'agent_1', receiver_id: 'agent_2', text_payload: 'hello' },
  { message_type: 'TEXT', text_payload: 'é€😀'.repeat(300), n: 12.5, ok: true, none: null },
  { message_type: 'TEXT', text_payload: '"\\\n\u0001'.repeat(200), list: [1, 'two', { three: [3] }] },
  { message_type: 'HUB_FORWARD', origin_hub: 'hub_x', message: { message_type: 'TEXT', text_payload: 'x'.repeat(5000) } },
];

test('a frame from the bus is over the limit exactly when its JSON is, whatever its characters', () => {
  for (const v of samples) {
    const size = Buffer.byteLength(JSON.stringify(v));
    for (const limit of [0, 1, Math.floor(size / 6), size - 1, size, size + 1, size * 7]) {
      assert.equal(jsonSizeOver(v, limit), size > limit ? size : undefined, `size ${size}, limit ${limit}`);
    }
  }
});
