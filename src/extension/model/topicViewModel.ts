// The Topics view as plain data: namespaces → topics, each topic with its stored message count, its publish rate on
// the hub and its subscribers there. Where the numbers come from: the hub this window runs (hub.topics.stats()), or
// another window's hub over the monitor socket (TOPICS → TOPICS_RESPONSE; a monitor sees every namespace). Tested in
// plain Node; topicsTreeProvider.ts only turns it into tree items.

import type { TopicStats, TopicsFamily } from '../../hub/topics/topicsFamily';
import type { TopicSummaryT } from '../../protocol/topics';
import { TopicClient, type TopicTransport } from '../../sdk/topicsClient';
import type { TreeItemModel } from './treeItemModel';

/** Reads the topics the view shows, every namespace. */
export type TopicStatsSource = () => Promise<TopicStats[]>;

/** The hub this window runs: its in-process API. */
export function localTopicStats(topics: Pick<TopicsFamily, 'stats'>): TopicStatsSource {
  return () => topics.stats();
}

/** Another window's hub, asked over a registered monitor socket (an attached window's MonitorClient). */
export function remoteTopicStats(transport: TopicTransport, requestTimeoutMs = 5_000): TopicStatsSource {
  const client = new TopicClient(transport, { requestTimeoutMs });
  return async () => (await client.topics()).map(statsOf);
}

/** A TOPICS_RESPONSE entry as the view's numbers. */
export function statsOf(t: TopicSummaryT): TopicStats {
  return { namespace: t.namespace, topic: t.topic, count: t.count, subscribers: t.subscribers, perMinute: t.rate };
}

export interface TopicNamespaceModel {
  namespace: string;
  model: TreeItemModel;
  topics: TreeItemModel[];
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** Namespaces in name order (`default` first), their topics in name order. */
export function topicTree(stats: readonly TopicStats[]): TopicNamespaceModel[] {
  const byNs = new Map<string, TopicStats[]>();
  for (const s of stats) {
    let list = byNs.get(s.namespace);
    if (!list) byNs.set(s.namespace, (list = []));
    list.push(s);
  }
  const names = [...byNs.keys()].sort((a, b) => (a === 'default' ? -1 : b === 'default' ? 1 : a.localeCompare(b)));
  return names.map((namespace) => {
    const topics = byNs.get(namespace)!.sort((a, b) => a.topic.localeCompare(b.topic));
    const messages = topics.reduce((n, t) => n + t.count, 0);
    return {
      namespace,
      model: {
        id: `topicns:${namespace}`,
        label: namespace,
        description: `${plural(topics.length, 'topic')} · ${plural(messages, 'message')}`,
        icon: { id: 'symbol-namespace' },
        contextValue: 'topicNamespace',
        collapsible: 'expanded',
      },
      topics: topics.map((t) => topicItem(t)),
    };
  });
}

export function topicItem(t: TopicStats): TreeItemModel {
  const rate = t.perMinute > 0 ? ` · ${t.perMinute}/min` : '';
  return {
    id: `topic:${t.namespace}:${t.topic}`,
    label: t.topic,
    description: `${plural(t.count, 'message')}${rate} · ${plural(t.subscribers, 'subscriber')}`,
    tooltip: `${t.namespace}:${t.topic}\n${plural(t.count, 'stored message')}\n${t.perMinute} published on this hub in the last minute\n${plural(t.subscribers, 'subscriber')} on this hub`,
    icon: { id: 'comment-discussion', color: t.subscribers > 0 ? 'charts.green' : undefined },
    contextValue: 'topic',
    collapsible: 'none',
  };
}

/** What "Publish to Topic" accepts as the payload: a JSON object. Returns the error to show, or undefined. */
export function payloadProblem(text: string): string | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    return `Not JSON: ${(err as Error).message}`;
  }
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? undefined : 'The payload must be a JSON object, e.g. {"text": "hello"}.';
}
