// Kafka names: the seed 002 environment variables and defaults, and how bus channels map onto topics.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  consumerGroupId,
  contextRequestTopic,
  contextResponseTopic,
  kafkaBrokersFromEnv,
  kafkaNamesFromEnv,
  kafkaSafeName,
  planTopic,
} from '../../src/bus/kafkaConfig';

test('kafka names: the seed 002 defaults when no variable is set', () => {
  const n = kafkaNamesFromEnv({});
  assert.deepEqual(n.brokers, ['localhost:9092']);
  assert.equal(contextRequestTopic(n), 'agent.context.request');
  assert.equal(contextResponseTopic('reconstructor-1', n), 'agent.context.response.reconstructor-1');
  assert.equal(consumerGroupId('product-agent-1', n), 'paas-agent-product-agent-1');
});

test('kafka names: KAFKA_* variables are honoured; SWITCHBOARD_KAFKA_BROKERS wins over KAFKA_BOOTSTRAP_SERVERS', () => {
  const env = {
    KAFKA_BOOTSTRAP_SERVERS: 'k1:9092, k2:9092',
    KAFKA_CONTEXT_REQUEST_TOPIC: 'ctx.req',
    KAFKA_CONTEXT_RESPONSE_TOPIC_PREFIX: 'ctx.resp',
    KAFKA_CONSUMER_GROUP_PREFIX: 'team',
  };
  const n = kafkaNamesFromEnv(env);
  assert.deepEqual(n.brokers, ['k1:9092', 'k2:9092']);
  assert.equal(contextRequestTopic(n), 'ctx.req');
  assert.equal(contextResponseTopic('r9', n), 'ctx.resp.r9');
  assert.equal(consumerGroupId('a1', n), 'team-a1');
  assert.deepEqual(kafkaBrokersFromEnv({ ...env, SWITCHBOARD_KAFKA_BROKERS: '127.0.0.1:19092' }), ['127.0.0.1:19092']);
  assert.deepEqual(kafkaBrokersFromEnv({ KAFKA_BOOTSTRAP_SERVERS: ' , ' }), ['localhost:9092'], 'an empty list falls back');
});

test('kafka names: characters Kafka refuses become _, and names stay within 249 characters', () => {
  assert.equal(kafkaSafeName('agent:1/x y'), 'agent_1_x_y');
  assert.equal(kafkaSafeName('a'.repeat(300)).length, 249);
  assert.equal(kafkaSafeName('.'), '_.');
  assert.equal(contextResponseTopic('web user#1', kafkaNamesFromEnv({})), 'agent.context.response.web_user_1');
});

test('kafka channel plan: queues, seed 002 topics, compacted presence, prefixed streams', () => {
  const n = kafkaNamesFromEnv({});
  assert.deepEqual(planTopic('queue:broker_input_queue', 'switchboard.', n), {
    topic: 'switchboard.queue.broker_input_queue',
    kind: 'queue',
    fromBeginning: true,
  });
  assert.deepEqual(planTopic('agent.context.request', 'switchboard.', n), { topic: 'agent.context.request', kind: 'context', fromBeginning: false });
  assert.equal(planTopic('agent.context.response.rec-1', 'switchboard.', n).kind, 'context');
  assert.equal(planTopic('agent.context.responses', 'switchboard.', n).kind, 'stream', 'only the prefix followed by a dot is reserved');
  for (const p of ['presence', 'presence.default', 'hub.presence']) {
    assert.deepEqual(planTopic(p, 'switchboard.', n), { topic: `switchboard.${p}`, kind: 'presence', fromBeginning: true });
  }
  assert.deepEqual(planTopic('chat.default', 'switchboard.', n), { topic: 'switchboard.chat.default', kind: 'stream', fromBeginning: false });
  assert.equal(planTopic('chat.my ns', '', n).topic, 'chat.my_ns');
});
