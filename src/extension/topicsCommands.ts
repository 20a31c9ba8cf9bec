// "Publish to Topic" (seed 004): namespace, topic and a JSON payload checked before sending, published by the hub this
// window runs as the person at the UI. Run from the Topics view's title, a topic's row, or with an argument object.

import * as vscode from 'vscode';
import { HUB_USER_ID, HUB_USER_NAME } from '../protocol/messageTypes';
import { DEFAULT_TOPIC_NAMESPACE, isTopicName, type StoredTopicMessageT } from '../protocol/topics';
import type { HubManager } from './model/hubManager';
import { payloadProblem } from './model/topicViewModel';
import type { TopicsTreeProvider } from './topicsTreeProvider';
import { TopicCommands } from './constants';
import { showCommandError } from './errors';

interface PublishArgs {
  namespace?: string;
  topic?: string;
  payload?: Record<string, unknown>;
}

const NAME_HINT = 'Letters, digits, "_" and "-" only (1–128).';

export function registerTopicCommands(manager: HubManager, view: TopicsTreeProvider): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(TopicCommands.publishToTopic, async (arg?: PublishArgs): Promise<StoredTopicMessageT | undefined> => {
      try {
        const topics = manager.hub?.topics;
        if (!topics) {
          void vscode.window.showWarningMessage('Switchboard: publishing to a topic needs the hub running in this window (start it, or use `switchboard publish`).');
          return undefined;
        }
        const namespace =
          arg?.namespace ??
          (await vscode.window.showInputBox({ title: 'Publish to Topic (1/3)', prompt: 'Namespace', value: DEFAULT_TOPIC_NAMESPACE, validateInput: (v) => (isTopicName(v) ? undefined : NAME_HINT) }));
        if (namespace === undefined) return undefined;
        const topic =
          arg?.topic ?? (await vscode.window.showInputBox({ title: 'Publish to Topic (2/3)', prompt: `Topic in ${namespace}`, validateInput: (v) => (isTopicName(v) ? undefined : NAME_HINT) }));
        if (topic === undefined) return undefined;
        let payload = arg?.payload;
        if (!payload) {
          const text = await vscode.window.showInputBox({ title: 'Publish to Topic (3/3)', prompt: `JSON payload for ${namespace}:${topic}`, value: '{"text": ""}', validateInput: payloadProblem });
          if (text === undefined) return undefined;
          payload = JSON.parse(text) as Record<string, unknown>;
        }
        const [stored] = await topics.publishAs(namespace, { topics: topic, payload }, { id: HUB_USER_ID, name: HUB_USER_NAME });
        void view.load();
        void vscode.window.setStatusBarMessage(`Switchboard: published ${stored!.id} to ${namespace}:${topic}`, 5000);
        return stored;
      } catch (err) {
        void showCommandError('Publishing to a topic', err);
        return undefined;
      }
    }),
  ];
}
