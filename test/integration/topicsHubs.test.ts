// Two hubs in one process on one shared memory bus: topic messages cross between them by namespace channel, a frame
// on a namespace's channel that claims another namespace is refused, and two hubs with one machine id are reported.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBus } from '../../src/bus/memoryBus';
import { agent, startHub, waitUntil } from './hubHarness';
import { publish, subscribe, topicMessages } from './topicHarness';
import type { Hub } from '../../src/hub/hub';

async function twoHubs(machineIds: [number, number]): Promise<{ a: Hub; b: Hub; bus: MemoryBus; warnings: string[] }> {
  const bus = new MemoryBus();
  const a = await startHub({ hubId: 'hub_mema0001', topicMachineId: machineIds[0] }, { bus });
  const b = await startHub({ hubId: 'hub_memb0002', topicMachineId: machineIds[1] }, { bus });
  const warnings: string[] = [];
  b.events.on('warning', (w) => warnings.push(w));
  return { a, b, bus, warnings };
}

async function stopAll(...hubs: Hub[]): Promise<void> {
  for (const h of hubs) {
    await h.stop();
    h.dispose();
  }
}

test('a frame on a namespace\'s bus channel that claims another namespace is refused, never delivered', async () => {
  const { a, b, bus } = await twoHubs([1, 2]);
  const blue = await agent(b, 'blue', { namespace: 'blue' });
  const red = await agent(b, 'red', { namespace: 'red' });
  await subscribe(blue.c, 'news');
  await subscribe(red.c, 'news');
  await b.topics.settled();
  const forged = { id: '4660195248982056960', namespace: 'red', sender: { id: 'x' }, topics: 'news', topic_published_to: 'news', payload: { forged: true }, format: 'generic_json', priority: 4, timestamp: Date.now() / 1000, thread: [] };
  await bus.publish('topics.blue', { message_type: 'TOPIC_MESSAGE', origin_hub: 'hub_evil', message: forged });
  const fromA = await agent(a, 'writer', { namespace: 'blue' });
  const real = await publish(fromA.c, 'news', { real: true });
  await blue.c.waitFor((f) => f.message_id === real.id);
  assert.deepEqual(topicMessages(blue.c).map((m) => m.payload), [{ real: true }], 'only the real blue message');
  assert.deepEqual(topicMessages(red.c), [], 'the forged red message reached nobody');
  assert.ok(b.log.query({}).some((e) => e.body.error !== undefined && JSON.stringify(e.body).includes('namespace')), 'the refusal is in the event log');
  await Promise.all([blue.c.close(), red.c.close(), fromA.c.close()]);
  await stopAll(b, a);
});

test('two hubs with the same machine id: the first message across says so, once', async () => {
  const { a, b, warnings } = await twoHubs([7, 7]);
  const reader = await agent(b, 'reader');
  await subscribe(reader.c, 't');
  await b.topics.settled();
  const writer = await agent(a, 'writer');
  const first = await publish(writer.c, 't', { n: 1 });
  const second = await publish(writer.c, 't', { n: 2 });
  await reader.c.waitFor((f) => f.message_id === second.id);
  assert.ok(first.id !== second.id);
  await waitUntil(() => warnings.length > 0, 2000, 'the warning');
  assert.equal(warnings.length, 1, 'once per hub');
  assert.match(warnings[0]!, /hub_mema0001 .*machine id 7.*--topic-machine-id/);
  await Promise.all([reader.c.close(), writer.c.close()]);
  await stopAll(b, a);
});
