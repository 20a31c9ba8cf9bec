// What the VS Code Monitor panel's "Load older" gets (seed 004), through the real HubManager in two windows: the
// window that owns the hub reads its topic store, a second window attached as a monitor asks with HISTORY over its
// monitor socket (naming namespace:topic). Both pages, fed to the webview's model, show the same older messages in order.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../src/protocol/logger';
import { AgentClient } from '../../src/sdk/agentClient';
import { TopicClient } from '../../src/sdk/topicsClient';
import type { ManagerSettings } from '../../src/extension/model/hubManager';
import { ManagerMonitorSource } from '../../src/extension/model/managerMonitorSource';
import { MonitorModel } from '../../src/webview/monitorModel';
import { EMPTY_FILTER } from '../../src/protocol/filter';
import { HostNotification } from '../../src/protocol/webviewMessages';
import { freePort, manager } from './managerHarness';

test('the panel source pages a topic backwards in the owning and in an attached window', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sb-paneltopics-'));
  const port = await freePort();
  const settings: ManagerSettings = { hub: { host: '127.0.0.1', port, token: 'panel-topics-token', logDir: '' }, autoStart: true };
  const a = manager(dir, settings);
  const b = manager(dir, settings);
  let agent: AgentClient | undefined;
  try {
    assert.equal(await a.startOrAttach(true), 'local');
    assert.equal(await b.startOrAttach(true), 'attached');
    agent = new AgentClient({ url: a.connection!.info().agentUrl, name: 'newsroom', namespace: 'crew', logger: silentLogger, reconnect: false });
    await agent.connect();
    const topics = new TopicClient(agent);
    const ids: string[] = [];
    for (let n = 1; n <= 5; n++) ids.push((await topics.publish('news', { text: `n${n}` }))[0]!.id);

    for (const [w, source] of [['owning', new ManagerMonitorSource(a)], ['attached', new ManagerMonitorSource(b)]] as const) {
      const page = await source.topicHistory('crew:news', ids[4], 3);
      assert.deepEqual(page.map((m) => (m.payload as { text: string }).text), ['n2', 'n3', 'n4'], `${w}: the 3 before n5, oldest first`);
      const model = new MonitorModel();
      model.setFilter({ ...EMPTY_FILTER, topic: 'crew:news' });
      model.apply({ type: HostNotification.TopicHistory, request_id: 'r', topic: 'crew:news', limit: 3, messages: page });
      const rest = await source.topicHistory('crew:news', model.oldestTopicId(), 3);
      model.apply({ type: HostNotification.TopicHistory, request_id: 'r2', topic: 'crew:news', limit: 3, messages: rest });
      const shown = Array.from({ length: model.visibleCount }, (_, i) => ((model.rowAt(i)!.body.message as { payload: { text: string } }).payload.text));
      assert.deepEqual(shown, ['n1', 'n2', 'n3', 'n4'], `${w}: both pages in order`);
      assert.equal(model.canLoadOlder, false, `${w}: a short page ends the topic`);
    }
    await assert.rejects(new ManagerMonitorSource(b).topicHistory('bad name:x', undefined, 3), /./, 'the hub refuses a bad topic name with a reason');
  } finally {
    await agent?.close();
    await b.dispose();
    await a.dispose();
    await rm(dir, { recursive: true, force: true });
  }
});
