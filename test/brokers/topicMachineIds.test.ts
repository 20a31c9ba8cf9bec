// Topic machine ids of hubs on one real RabbitMQ: announced in the hubs' presence, so a collision is found at start —
// a derived id moves to a free one, two configured ones are reported naming both hubs and the option to set.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rabbitWorld } from './rabbitHarness';
import { waitFor } from './helpers';
import { agent } from '../integration/hubHarness';
import { collidingHubId, publish, subscribe } from '../integration/topicHarness';
import { machineIdFor } from '../../src/hub/topics/openTopicStore';
import { decodeTopicId } from '../../src/protocol/ids';

test('two hubs on one RabbitMQ whose derived machine ids collide: the second moves at start, messages cross with distinct ids', async (t) => {
  const w = await rabbitWorld(t, 'tmachine');
  if (!w) return;
  const first = 'hub_mid00001';
  const second = collidingHubId(first);
  const derived = machineIdFor(first);
  const a = await w.hub({ hubId: first });
  const b = await w.hub({ hubId: second });
  await waitFor(() => b.topics.machineId !== derived, 'the second hub to move off the shared derived id');
  assert.equal(a.topics.machineId, derived, 'the smaller hub id keeps its id');
  await waitFor(() => a.topics.announcedMachineIds().get(second) === b.topics.machineId, 'A to hear B announce its new id');
  const reader = await agent(a, 'reader');
  const writer = await agent(b, 'writer');
  t.after(() => Promise.all([reader.c.close(), writer.c.close()]).then(() => undefined));
  await subscribe(reader.c, 'ids');
  await a.topics.settled();
  const sent = await publish(writer.c, 'ids', { n: 1 });
  await reader.c.waitFor((f) => f.message_id === sent.id, 20_000, 'the message from B');
  assert.equal(decodeTopicId(sent.id).machineId, b.topics.machineId);
  assert.notEqual(decodeTopicId(sent.id).machineId, a.topics.machineId);
});

test('two hubs on one RabbitMQ configured with one machine id: the first hub warns at start, naming both and --topic-machine-id', async (t) => {
  const w = await rabbitWorld(t, 'tmachine2');
  if (!w) return;
  const a = await w.hub({ hubId: 'hub_mca00001', topicMachineId: 42 });
  const warnings: string[] = [];
  a.events.on('warning', (text) => warnings.push(text));
  const b = await w.hub({ hubId: 'hub_mcb00002', topicMachineId: 42 });
  await waitFor(() => warnings.length > 0, 'the warning on A');
  assert.match(warnings[0]!, /hub_mcb00002 .*hub_mca00001 .*machine id 42.*--topic-machine-id/);
  assert.equal(a.topics.machineId, 42);
  assert.equal(b.topics.machineId, 42, 'configured ids never move');
});
