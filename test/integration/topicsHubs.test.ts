// Two hubs in one process on one shared memory bus: topic messages cross between them by namespace channel, a frame
// on a namespace's channel that claims another namespace is refused, and two hubs with one machine id are found at
// start from their presence: reported when both were configured, and a derived id moves to a free one.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBus } from '../../src/bus/memoryBus';
import { agent, waitUntil } from './hubHarness';
import { collidingHubId, publish, subscribe, topicMessages } from './topicHarness';
import { Hub } from '../../src/hub/hub';
import type { HubOptions } from '../../src/hub/options';
import { machineIdFor } from '../../src/hub/topics/openTopicStore';
import { compareTopicIds, decodeTopicId } from '../../src/protocol/ids';

/** A hub on the bus whose warnings are recorded from before it starts (the presence exchange runs during start). */
async function hubOn(bus: MemoryBus, options: Partial<HubOptions>): Promise<{ hub: Hub; warnings: string[] }> {
  const hub = new Hub({ port: 0, pingIntervalMs: 60_000, heartbeatIntervalMs: 60_000, inactivityTimeoutMs: 60_000, presenceIntervalMs: 60_000, ...options }, { bus });
  const warnings: string[] = [];
  hub.events.on('warning', (w) => warnings.push(w));
  await hub.start();
  return { hub, warnings };
}

async function twoHubs(machineIds: [number | undefined, number | undefined], ids: [string, string] = ['hub_mema0001', 'hub_memb0002']) {
  const bus = new MemoryBus();
  const a = await hubOn(bus, { hubId: ids[0], ...(machineIds[0] === undefined ? {} : { topicMachineId: machineIds[0] }) });
  const b = await hubOn(bus, { hubId: ids[1], ...(machineIds[1] === undefined ? {} : { topicMachineId: machineIds[1] }) });
  return { a: a.hub, b: b.hub, bus, warningsA: a.warnings, warnings: b.warnings };
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

test('two hubs configured with the same machine id: both report it at start from the presence, once, naming both hubs', async () => {
  const { a, b, warnings, warningsA } = await twoHubs([7, 7]);
  await waitUntil(() => warnings.length > 0 && warningsA.length > 0, 5000, 'a warning on each hub');
  assert.match(warnings[0]!, /hub_mema0001 .*hub_memb0002 .*machine id 7.*--topic-machine-id/);
  assert.match(warningsA[0]!, /hub_memb0002 .*hub_mema0001 .*machine id 7.*--topic-machine-id/);
  assert.equal(a.topics.machineId, 7, 'a configured id never moves');
  assert.equal(b.topics.machineId, 7);
  const reader = await agent(b, 'reader');
  await subscribe(reader.c, 't');
  await b.topics.settled();
  const writer = await agent(a, 'writer');
  const first = await publish(writer.c, 't', { n: 1 });
  const second = await publish(writer.c, 't', { n: 2 });
  await reader.c.waitFor((f) => f.message_id === second.id);
  assert.ok(first.id !== second.id);
  assert.equal(warnings.length, 1, 'once per hub: the message across adds no second warning');
  await Promise.all([reader.c.close(), writer.c.close()]);
  await stopAll(b, a);
});

test('two hubs whose derived machine ids collide: the greater hub id moves to a free one at start, and ids differ across', async () => {
  const first = 'hub_mem00001';
  const second = collidingHubId(first);
  const { a, b, warnings, warningsA } = await twoHubs([undefined, undefined], [first, second]);
  const derived = machineIdFor(first);
  await waitUntil(() => b.topics.machineId !== derived, 5000, 'the second hub to move');
  assert.equal(a.topics.machineId, derived, 'the smaller hub id keeps its derived id');
  assert.match(warnings[0]!, new RegExp(`${first} .*machine id ${derived}.*${second}.*now uses machine id ${b.topics.machineId}.*--topic-machine-id`));
  assert.deepEqual(warningsA, [], 'the hub that keeps its id has nothing to report');
  const reader = await agent(a, 'reader');
  await subscribe(reader.c, 't');
  await a.topics.settled();
  const writer = await agent(b, 'writer');
  const sent = await publish(writer.c, 't', { n: 1 });
  await reader.c.waitFor((f) => f.message_id === sent.id);
  assert.equal(decodeTopicId(sent.id).machineId, b.topics.machineId, 'minted with the new machine id');
  assert.deepEqual(warningsA, [], 'and no collision with the first message across');
  await Promise.all([reader.c.close(), writer.c.close()]);
  await stopAll(b, a);
});

test('a derived machine id gives way to a configured one, whichever hub starts first', async () => {
  const derivedHub = 'hub_memd0001';
  const taken = machineIdFor(derivedHub);
  const { a, b, warnings, warningsA } = await twoHubs([undefined, taken], [derivedHub, 'hub_mem00000']);
  await waitUntil(() => a.topics.machineId !== taken, 5000, 'the derived hub to move');
  assert.equal(b.topics.machineId, taken, 'the configured hub keeps its id though its hub id is smaller');
  assert.match(warningsA[0]!, /hub_mem00000 .*hub_memd0001 .*derived.*--topic-machine-id/);
  assert.deepEqual(warnings, []);
  await waitUntil(() => b.topics.announcedMachineIds().get(derivedHub) === a.topics.machineId, 5000, 'the moved id in the answer to the configured hub');
  await stopAll(b, a);
});

test('cross-hub ordering: live delivery interleaves two hubs by arrival, each hub\'s own messages in id order; history is in id order', async () => {
  const { a, b } = await twoHubs([31, 32]);
  const reader = await agent(b, 'reader', { namespace: 'crew' });
  await subscribe(reader.c, 'log');
  await a.topics.settled();
  await b.topics.settled();
  const onA = await agent(a, 'writerA', { namespace: 'crew' });
  const onB = await agent(b, 'writerB', { namespace: 'crew' });
  // both hubs publish at once: neither waits for the other
  const sent = await Promise.all(Array.from({ length: 20 }, (_, i) => publish(i % 2 ? onA.c : onB.c, 'log', { i })));
  await waitUntil(() => topicMessages(reader.c).length >= sent.length, 10_000, 'every message on the reader');
  const live = topicMessages(reader.c);
  assert.equal(new Set(live.map((m) => m.id)).size, sent.length, 'each message once');
  for (const machine of [31, 32]) {
    const ids = live.filter((m) => decodeTopicId(m.id).machineId === machine).map((m) => m.id);
    assert.deepEqual(ids, [...ids].sort(compareTopicIds), `hub ${machine}'s messages arrive in their id order`);
  }
  const history = await b.topics.history('crew', 'log', { limit: 100 });
  const byId = [...sent].sort((x, y) => compareTopicIds(x.id, y.id)).map((m) => m.id);
  assert.deepEqual(history.map((m) => m.id), byId, 'history (what a late joiner catches up with) is in id order, both hubs merged');
  await Promise.all([reader.c.close(), onA.c.close(), onB.c.close()]);
  await stopAll(b, a);
});
