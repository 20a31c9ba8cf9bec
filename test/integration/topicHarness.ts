// Topic messaging from a test's real WebSocket client: request/answer round trips (request_id), publish, subscribe.

import assert from 'node:assert/strict';
import type { TestClient } from './hubHarness';
import type { Envelope } from '../../src/protocol/schemas';
import type { StoredTopicMessageT } from '../../src/protocol/topics';
import { machineIdFor } from '../../src/hub/topics/openTopicStore';

let reqSeq = 0;
/** Sends a frame with a request_id and resolves with the HISTORY_RESPONSE / TOPICS_RESPONSE (or ERROR) that answers it. */
export async function ask(c: TestClient, frame: Record<string, unknown>): Promise<Envelope> {
  const request_id = `r${++reqSeq}`;
  const before = c.frames.length;
  c.send({ ...frame, request_id });
  return c.waitFor(
    (m) => ((m.message_type === 'HISTORY_RESPONSE' || m.message_type === 'TOPICS_RESPONSE') && m.request_id === request_id) || (m.message_type === 'ERROR' && c.frames.indexOf(m) >= before),
    5000,
    `answer to ${String(frame.message_type)}`,
  );
}
export const messagesOf = (r: Envelope): StoredTopicMessageT[] => {
  assert.equal(r.message_type, 'HISTORY_RESPONSE', JSON.stringify(r));
  return r.messages as StoredTopicMessageT[];
};
export async function publish(c: TestClient, topics: string | string[], payload: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<StoredTopicMessageT> {
  return messagesOf(await ask(c, { message_type: 'PUBLISH', topics, payload, ...extra }))[0]!;
}
/** SUBSCRIBE, then a HISTORY round trip: frames are handled in order, so the subscription is in place after it. */
export async function subscribe(c: TestClient, topic: string): Promise<void> {
  c.send({ message_type: 'SUBSCRIBE', topic });
  const r = await ask(c, { message_type: 'HISTORY', topic, limit: 1 });
  assert.equal(r.message_type, 'HISTORY_RESPONSE', JSON.stringify(r));
}
export async function expectError(c: TestClient, frame: Record<string, unknown>, pattern: RegExp): Promise<void> {
  const r = await ask(c, frame);
  assert.equal(r.message_type, 'ERROR', `expected an ERROR for ${JSON.stringify(frame)}, got ${JSON.stringify(r)}`);
  assert.match(String(r.text_payload), pattern);
}
export const topicMessages = (c: TestClient, topic?: string): StoredTopicMessageT[] =>
  c.ofType('TOPIC_MESSAGE').map((f) => f.message as StoredTopicMessageT).filter((m) => topic === undefined || m.topic_published_to === topic);

/** A hub id (greater than `base`) whose derived topic machine id is the same as `base`'s. */
export function collidingHubId(base: string): string {
  const want = machineIdFor(base);
  for (let i = 0; ; i++) {
    const id = `hub_z${i.toString(16).padStart(7, '0')}`;
    if (id > base && machineIdFor(id) === want) return id;
  }
}
