// Seed 002 channels on the Bus: the helpers' names, how Kafka maps them, and the memory bus carrying them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contextRequestChannel, contextResponseChannel } from '../../src/bus/contextChannels';
import { parseContextChannel } from '../../src/bus/bus';
import { kafkaNamesFromEnv, planTopic } from '../../src/bus/kafkaConfig';
import { MemoryBus } from '../../src/bus/memoryBus';
import type { Envelope } from '../../src/protocol/schemas';

test('context channels: the seed 002 names by default, explicit names kept, ids made safe', () => {
  assert.equal(contextRequestChannel(), 'context-request:agent.context.request');
  assert.equal(contextResponseChannel('reconstructor-1'), 'context-response:agent.context.response.reconstructor-1');
  assert.equal(contextRequestChannel('t1.agent.context.request'), 'context-request:t1.agent.context.request');
  assert.equal(contextResponseChannel('web user#1', 'p.resp'), 'context-response:p.resp.web_user_1');
  assert.deepEqual(parseContextChannel(contextRequestChannel()), { role: 'request', name: 'agent.context.request' });
  assert.deepEqual(parseContextChannel(contextResponseChannel('r')), { role: 'response', name: 'agent.context.response.r' });
  assert.equal(parseContextChannel('chat.default'), undefined);
  assert.equal(parseContextChannel('queue:agent.context.request'), undefined);
});

test('context channels on Kafka: exact topic names, no prefix, new groups start at the end', () => {
  const n = kafkaNamesFromEnv({});
  assert.deepEqual(planTopic(contextRequestChannel('x.agent.context.request'), 'switchboard.', n), { topic: 'x.agent.context.request', kind: 'context', fromBeginning: false });
  assert.deepEqual(planTopic(contextResponseChannel('r1', 'x.resp'), 'switchboard.', n), { topic: 'x.resp.r1', kind: 'context', fromBeginning: false });
});

test('context channels on the memory bus: every group sees each request once; releaseChannel ends the subscriptions', async () => {
  const bus = new MemoryBus();
  const req = contextRequestChannel();
  const got: Record<string, number> = { a1: 0, a2: 0, b: 0 };
  await bus.subscribe(req, () => void got.a1!++, { group: 'paas-agent-a' });
  await bus.subscribe(req, () => void got.a2!++, { group: 'paas-agent-a' });
  await bus.subscribe(req, () => void got.b!++, { group: 'paas-agent-b' });
  const reply = contextResponseChannel('r1');
  const answers: Envelope[] = [];
  await bus.subscribe(reply, (m) => void answers.push(m));
  for (let i = 0; i < 4; i++) await bus.publish(req, { message_type: 'REQUEST_CONTEXT', request_id: `q${i}` });
  await bus.publish(reply, { message_type: 'PROVIDE_CONTEXT', responder_id: 'a' });
  await new Promise((r) => setImmediate(r));
  assert.equal(got.a1! + got.a2!, 4);
  assert.equal(got.b, 4);
  assert.equal(answers.length, 1);
  await bus.releaseChannel(reply);
  await bus.publish(reply, { message_type: 'PROVIDE_CONTEXT', responder_id: 'late' });
  await new Promise((r) => setImmediate(r));
  assert.equal(answers.length, 1, 'no subscription left on a released channel');
  await bus.close();
});
