// The seed 002 (peer context) channels on the Bus, under the seed's exact broker names, so a peer that knows only the
// broker (raw kafkajs, aiokafka, kcat, pika, raw amqplib) shares them with us.
//
//   contextRequestChannel(name)        `context-request:<name>`   requests, every subscriber group sees every one
//     Kafka:    topic `<name>` verbatim (1 partition); a subscription's group is a consumer group of exactly that
//               name (the seed's `paas-agent-<peer>`); a new group starts at the end of the topic
//     RabbitMQ: fanout exchange `<name>` (durable, as the seed declares it); each group gets its own auto-delete
//               queue bound to it (no group: an exclusive server-named queue); a publish carries the envelope's
//               `reply_to` and `request_id` as the AMQP replyTo and correlationId properties
//   contextResponseChannel(id, prefix) `context-response:<prefix>.<id>`   one requester's answers, point-to-point
//     Kafka:    topic `<prefix>.<id>` verbatim (1 partition)
//     RabbitMQ: queue `<prefix>.<id>` (non-durable, auto-delete: it goes with its consumer), published to through the
//               default exchange without declaring it, exactly as a seed peer answers
//   Memory:     plain channels with the bus's usual group semantics.
// The names default to the seed's (KAFKA_CONTEXT_REQUEST_TOPIC, KAFKA_CONTEXT_RESPONSE_TOPIC_PREFIX, read in
// kafkaConfig.ts). `Bus.releaseChannel` deletes a response channel's topic or queue when its requester closes.

import { CONTEXT_REQUEST_PREFIX, CONTEXT_RESPONSE_PREFIX } from './bus';
import { kafkaNamesFromEnv, kafkaSafeName } from './kafkaConfig';

/** The request channel: `context-request:agent.context.request` by default. */
export function contextRequestChannel(name: string = kafkaNamesFromEnv().contextRequestTopic): string {
  return CONTEXT_REQUEST_PREFIX + kafkaSafeName(name);
}

/**
 * One requester's answer channel: `context-response:agent.context.response.<requester_id>` by default. Characters a
 * Kafka topic refuses become `_` in the id (on every bus, so the name is the same whichever is live).
 */
export function contextResponseChannel(requesterId: string, prefix: string = kafkaNamesFromEnv().contextResponseTopicPrefix): string {
  return CONTEXT_RESPONSE_PREFIX + kafkaSafeName(`${prefix}.${requesterId}`);
}
