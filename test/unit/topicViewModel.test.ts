// The Topics view's rows (src/extension/model/topicViewModel.ts) and the payload check of "Publish to Topic".

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { payloadProblem, statsOf, topicTree } from '../../src/extension/model/topicViewModel';

test('namespaces (default first) → topics in name order, with count, rate and subscribers', () => {
  const tree = topicTree([
    { namespace: 'zeta', topic: 'b', count: 1, subscribers: 0, perMinute: 0 },
    { namespace: 'default', topic: 'news', count: 12, subscribers: 2, perMinute: 5 },
    { namespace: 'alpha', topic: 'x', count: 0, subscribers: 1, perMinute: 0 },
    { namespace: 'default', topic: 'chat', count: 3, subscribers: 0, perMinute: 0 },
  ]);
  assert.deepEqual(tree.map((n) => n.namespace), ['default', 'alpha', 'zeta']);
  const def = tree[0]!;
  assert.equal(def.model.description, '2 topics · 15 messages');
  assert.deepEqual(def.topics.map((t) => [t.label, t.description]), [
    ['chat', '3 messages · 0 subscribers'],
    ['news', '12 messages · 5/min · 2 subscribers'],
  ]);
  assert.equal(def.topics[1]!.id, 'topic:default:news', 'ids stay stable across refreshes');
  assert.equal(tree[1]!.topics[0]!.description, '0 messages · 1 subscriber');
  assert.deepEqual(topicTree([]), []);
});

test('the payload of Publish to Topic must be a JSON object', () => {
  assert.equal(payloadProblem('{"text": "hi"}'), undefined);
  assert.match(payloadProblem('{text: hi}')!, /^Not JSON/);
  assert.match(payloadProblem('[1, 2]')!, /JSON object/);
  assert.match(payloadProblem('"hello"')!, /JSON object/);
  assert.match(payloadProblem('null')!, /JSON object/);
});

test('a TOPICS_RESPONSE entry becomes the view\'s numbers (rate is per minute)', () => {
  assert.deepEqual(statsOf({ namespace: 'ns', topic: 't', count: 3, rate: 2, subscribers: 1 }), { namespace: 'ns', topic: 't', count: 3, subscribers: 1, perMinute: 2 });
});
