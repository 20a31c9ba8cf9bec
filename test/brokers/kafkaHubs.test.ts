// Two hubs on one Kafka: each shows the other's agents (marked with their hub_id), a front-end on hub B talks to an
// agent on hub A and gets the reply, an agent dropping off A goes offline on B, broadcasts reach both — the broker is
// the only link between them.

import { test } from 'node:test';
import { requireBroker, uniquePrefix } from './helpers';
import { cleanupKafka, startKafkaHub } from './kafkaTestKit';
import { broadcastAcrossHubs, presenceChatAndDeparture } from './hubScenarios';

test('two hubs on one Kafka: presence shared with hub_id, a front-end on B gets replies from an agent on A, an agent leaving A goes offline on B', async (t) => {
  const k = await requireBroker('kafka', t);
  if (!k) return;
  const prefix = uniquePrefix('khubs');
  try {
    await presenceChatAndDeparture(t, (o) => startKafkaHub(k.brokers, prefix, o), 'Kafka');
  } finally {
    await cleanupKafka(k.brokers, prefix);
  }
});

test('two hubs on one Kafka: a broadcast on one hub reaches the agents of both once', async (t) => {
  const k = await requireBroker('kafka', t);
  if (!k) return;
  const prefix = uniquePrefix('khubcast');
  try {
    await broadcastAcrossHubs((o) => startKafkaHub(k.brokers, prefix, o));
  } finally {
    await cleanupKafka(k.brokers, prefix);
  }
});
