// TOPICS → TOPICS_RESPONSE: what the Topics view of a window attached to another window's hub reads. A monitor sees
// every namespace (or the one it names), anyone else its own namespace only; naming another is refused.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agent, closeAll, frontend, startHub } from './hubHarness';
import { ask, expectError, publish, subscribe } from './topicHarness';
import { MonitorClient } from '../../src/sdk/monitorClient';
import { TopicClient } from '../../src/sdk/topicsClient';
import { localTopicStats, remoteTopicStats } from '../../src/extension/model/topicViewModel';

const byKey = <T extends { namespace: string; topic: string }>(list: T[]): T[] =>
  [...list].sort((a, b) => `${a.namespace}:${a.topic}`.localeCompare(`${b.namespace}:${b.topic}`));

test('a monitor lists every namespace\'s topics with count, rate and subscribers: the attached view reads what the local one does', async () => {
  const hub = await startHub();
  const blue = await agent(hub, 'blue', { namespace: 'blue' });
  const red = await agent(hub, 'red', { namespace: 'red' });
  const ui = await frontend(hub, 'ui');
  await subscribe(blue.c, 'news');
  await subscribe(red.c, 'alerts');
  await publish(blue.c, 'news', { n: 1 });
  await publish(blue.c, 'news', { n: 2 });
  await publish(red.c, 'alerts', { n: 1 });
  await publish(ui.c, 'lobby', { n: 1 });
  const mon = new MonitorClient({ url: hub.agentUrl, name: 'attached window', reconnect: false, backlog: 0 });
  try {
    await mon.connect();
    const remote = byKey(await remoteTopicStats(mon)());
    assert.deepEqual(remote, byKey(await localTopicStats(hub.topics)()), 'the attached window sees what the hub\'s own window sees');
    assert.deepEqual(
      remote.map((t) => [t.namespace, t.topic, t.count, t.perMinute, t.subscribers]),
      [
        ['blue', 'news', 2, 2, 1],
        ['default', 'lobby', 1, 1, 0],
        ['red', 'alerts', 1, 1, 1],
      ],
    );
    const onlyRed = await new TopicClient(mon).topics('red');
    assert.deepEqual(onlyRed.map((t) => t.topic), ['alerts'], 'a monitor may name one namespace');
  } finally {
    await mon.close();
    await closeAll(hub, blue, red, ui);
  }
});

test('an agent or front-end lists its own namespace only; naming another, or a bad name, gets an ERROR and the connection carries on', async () => {
  const hub = await startHub();
  const blue = await agent(hub, 'blue', { namespace: 'blue' });
  const red = await agent(hub, 'red', { namespace: 'red' });
  const ui = await frontend(hub, 'ui');
  await publish(blue.c, 'news', { n: 1 });
  await publish(red.c, 'secret', { n: 1 });
  await publish(ui.c, 'lobby', { n: 1 });
  try {
    const mine = await ask(blue.c, { message_type: 'TOPICS' });
    assert.equal(mine.message_type, 'TOPICS_RESPONSE', JSON.stringify(mine));
    assert.deepEqual((mine.topics as { namespace: string; topic: string }[]).map((t) => `${t.namespace}:${t.topic}`), ['blue:news']);
    const own = await ask(blue.c, { message_type: 'TOPICS', namespace: 'blue' });
    assert.equal((own.topics as unknown[]).length, 1, 'naming its own namespace is fine');
    const uiList = await ask(ui.c, { message_type: 'TOPICS' });
    assert.deepEqual((uiList.topics as { topic: string }[]).map((t) => t.topic), ['lobby'], 'a front-end sees the default namespace');
    await expectError(blue.c, { message_type: 'TOPICS', namespace: 'red' }, /own namespace "blue"/);
    await expectError(blue.c, { message_type: 'TOPICS', namespace: 'red:secret' }, /not a valid name/);
    await expectError(blue.c, { message_type: 'TOPICS', namespace: '#' }, /not a valid name/);
    const after = await ask(blue.c, { message_type: 'TOPICS' });
    assert.equal(after.message_type, 'TOPICS_RESPONSE', 'still served after the refusals');
  } finally {
    await closeAll(hub, blue, red, ui);
  }
});
