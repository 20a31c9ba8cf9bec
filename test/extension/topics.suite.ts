// Topics (seed 004) in a real extension host: the Topics view shows a namespace's topic with its subscriber, and
// "Publish to Topic" (given its arguments, no prompts) publishes as the person at the UI to that subscriber.

import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import WebSocket from 'ws';
import type { SwitchboardApi } from '../../src/extension/extension';
import { EXTENSION_ID, TopicCommands } from '../../src/extension/constants';
import { HUB_USER_ID } from '../../src/protocol/messageTypes';
import type { StoredTopicMessageT } from '../../src/protocol/topics';
import type { TreeNode } from '../../src/extension/treeItems';
import { waitFor, type Frame } from './rawAgent';

async function topicRows(api: SwitchboardApi): Promise<{ ns: TreeNode; topics: TreeNode[] }[]> {
  await api.topicsProvider.load();
  const provider = api.topicsProvider;
  return provider.getChildren().map((ns) => ({ ns, topics: provider.getChildren(ns) }));
}

export function registerTopicsSuite(): void {
  suite('Topics in the extension host', () => {
    let socket: WebSocket | undefined;
    suiteTeardown(() => socket?.terminate());

    test('the Topics view lists a namespace\'s topic with its subscriber; Publish to Topic reaches the subscriber', async () => {
      const api = await vscode.extensions.getExtension<SwitchboardApi>(EXTENSION_ID)!.activate();
      await api.ready();
      await waitFor('the hub running', () => api.connection()?.state === 'running' || undefined);
      const frames: Frame[] = [];
      const ws = new WebSocket(api.connection()!.info().agentUrl);
      socket = ws;
      ws.on('message', (d) => frames.push(JSON.parse(String(d)) as Frame));
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      ws.send(JSON.stringify({ message_type: 'REGISTER_AGENT', agent_name: 'topic-reader', namespace: 'ext' }));
      await waitFor('REGISTER_AGENT_RESPONSE', () => frames.find((f) => f.message_type === 'REGISTER_AGENT_RESPONSE'));
      ws.send(JSON.stringify({ message_type: 'SUBSCRIBE', topic: 'news' }));
      ws.send(JSON.stringify({ message_type: 'HISTORY', topic: 'news', limit: 1, request_id: 'ready' }));
      await waitFor('the subscription', () => frames.find((f) => f.message_type === 'HISTORY_RESPONSE' && f.request_id === 'ready'));

      const before = await waitFor('the ext namespace in the Topics view', async () => (await topicRows(api)).find((r) => r.ns.model.label === 'ext'));
      assert.equal(before.topics[0]?.model.label, 'news');
      assert.match(String(before.topics[0]?.model.description), /0 messages · 1 subscriber/);

      const stored = await vscode.commands.executeCommand<StoredTopicMessageT | undefined>(TopicCommands.publishToTopic, { namespace: 'ext', topic: 'news', payload: { hello: 'from VS Code' } });
      assert.ok(stored, 'the command returns the stored message');
      const got = await waitFor('the TOPIC_MESSAGE at the subscriber', () => frames.find((f) => f.message_type === 'TOPIC_MESSAGE' && f.message_id === stored.id));
      const message = got.message as StoredTopicMessageT;
      assert.deepEqual(message.payload, { hello: 'from VS Code' });
      assert.equal(message.sender.id, HUB_USER_ID);
      const after = await waitFor('the count in the Topics view', async () => (await topicRows(api)).find((r) => r.ns.model.label === 'ext' && /1 message/.test(String(r.topics[0]?.model.description))));
      const item = api.topicsProvider.getTreeItem(after.topics[0]!);
      assert.equal(item.label, 'news');
    });
  });
}
