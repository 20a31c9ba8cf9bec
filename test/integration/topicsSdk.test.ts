// The SDK's topics against a real hub: an agent (AgentClient + TopicClient) and a front-end session in a namespace
// (TopicFrontendClient) publish, subscribe with decorators, catch up with history since an id and fetch by ids.

import { test } from 'node:test';
import { createServer, type AddressInfo } from 'node:net';
import assert from 'node:assert/strict';
import { AgentClient } from '../../src/sdk/agentClient';
import { TopicClient, TopicFrontendClient } from '../../src/sdk/topicsClient';
import { filtering, ordering } from '../../src/sdk/topicsDecorators';
import { SwitchboardError } from '../../src/protocol/errors';
import type { StoredTopicMessageT } from '../../src/protocol/topics';
import { startHub, waitUntil } from './hubHarness';

test('SDK: publish resolves with the stored message, subscribe delivers through decorators, history and getMessages catch up', async () => {
  const hub = await startHub();
  const agent = new AgentClient({ url: hub.agentUrl, name: 'planner', namespace: 'crew', reconnect: false });
  await agent.connect();
  const topics = new TopicClient(agent);
  const ui = new TopicFrontendClient({ url: hub.agentUrl, name: 'crew-ui', namespace: 'crew', reconnect: false });
  await ui.connect();
  const outsider = new TopicFrontendClient({ url: hub.agentUrl, name: 'outsider', reconnect: false });
  await outsider.connect();
  try {
    const got: StoredTopicMessageT[] = [];
    const order = ordering();
    const unsubscribe = await ui.topics.subscribe('plans', (m) => void got.push(m), order, filtering((m) => m.payload.draft !== true));
    const outsiderGot: StoredTopicMessageT[] = [];
    await outsider.topics.subscribe('plans', (m) => void outsiderGot.push(m));

    const [first] = await topics.publish('plans', { step: 1 });
    assert.equal(first!.namespace, 'crew');
    assert.deepEqual(first!.sender, { id: agent.id, name: 'planner' });
    await topics.publish('plans', { step: 2, draft: true }, { priority: 1 });
    const [third] = await topics.publish('plans', { step: 3 }, { thread: [first!.id], in_response_to: first!.id });
    await waitUntil(() => got.length === 2, 5000, 'two kept messages');
    assert.deepEqual(got.map((m) => m.payload.step), [1, 3], 'the draft was filtered out');
    assert.deepEqual(got[1]!.thread, [first!.id]);

    const since = await ui.topics.history('plans', { sinceId: first!.id });
    assert.deepEqual(since.map((m) => m.payload.step), [2, 3], 'history since is exclusive, every priority');
    assert.deepEqual((await topics.getMessages([third!.id, first!.id])).map((m) => m.payload.step), [3, 1]);
    assert.deepEqual((await ui.topics.historyOfSubscriptions(first!.id, 10)).map((m) => m.payload.step), [2, 3]);

    await assert.rejects(ui.topics.history('plans', { sinceId: 'nope' }), (e: unknown) => e instanceof SwitchboardError && /not a topic message id/.test(e.message));
    await assert.rejects(topics.publish('a:b', {}), /not allowed/);
    await assert.rejects(topics.publish('plans', { big: 'x'.repeat(300_000) }), (e: unknown) => e instanceof SwitchboardError && e.code === 'frame_too_large');

    await unsubscribe();
    const [fourth] = await topics.publish('plans', { step: 4 });
    const answer = await ui.topics.history('plans', { sinceId: third!.id });
    assert.deepEqual(answer.map((m) => m.id), [fourth!.id]);
    assert.equal(got.length, 2, 'nothing after unsubscribing');
    assert.deepEqual(outsiderGot, [], 'the default namespace saw nothing of crew');
    assert.equal(order.stats.duplicates, 0);
  } finally {
    await agent.close();
    await ui.close();
    await outsider.close();
    await hub.stop();
    hub.dispose();
  }
});

test('SDK: after the hub restarts, a reconnecting client subscribes again and receives what is published', async () => {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const hub = await startHub({ port, portFallback: false, token: 'topicsrestart' });
  const reader = new TopicFrontendClient({ url: hub.agentUrl, name: 'reader', namespace: 'crew', reconnect: { initialMs: 50, maxMs: 200 } });
  await reader.connect();
  const got: StoredTopicMessageT[] = [];
  await reader.topics.subscribe('news', (m) => void got.push(m));
  try {
    let reconnected = false;
    reader.onState((s) => {
      if (s === 'connected') reconnected = true;
    });
    await hub.stop();
    await hub.start();
    await waitUntil(() => reconnected, 10_000, 'the reader to reconnect');
    const writer = new TopicFrontendClient({ url: hub.agentUrl, name: 'writer', namespace: 'crew', reconnect: false });
    await writer.connect();
    // the re-sent SUBSCRIBE is a frame ahead of anything the reader asks now: one round trip and it is in place
    await reader.topics.history('news', { limit: 1 });
    const [m] = await writer.topics.publish('news', { after: 'restart' });
    await waitUntil(() => got.some((x) => x.id === m!.id), 5000, 'the message after the restart');
    await writer.close();
  } finally {
    await reader.close();
    await hub.stop();
    hub.dispose();
  }
});
