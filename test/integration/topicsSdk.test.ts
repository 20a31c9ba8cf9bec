// The SDK's topics against a real hub: an agent (AgentClient + TopicClient) and a front-end session in a namespace
// (TopicFrontendClient) publish, subscribe with decorators, catch up with history since an id and fetch by ids.

import { test } from 'node:test';
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
