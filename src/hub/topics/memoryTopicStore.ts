// The in-process topic store: its own bounded list per topic (not the event log's ring, which all traffic shares),
// expired messages dropped as they are met, and an id index per namespace.

import type { StoredTopicMessageT } from '../../protocol/topics';
import { compareTopicIds } from '../../protocol/ids';
import { byTimeKey, isExpired, selectHistory, topicKey, withTopic, ListBodies, type HistoryBodies, type HistoryQuery, type TopicCount, type TopicStore } from './topicStore';

export const DEFAULT_MEMORY_TOPIC_LIMIT = 10_000;

interface TopicList {
  namespace: string;
  topic: string;
  messages: StoredTopicMessageT[];
}

export class MemoryTopicStore implements TopicStore {
  readonly kind = 'memory';
  private readonly lists = new Map<string, TopicList>();
  /** `namespace:id` → message (removed with the message when it leaves its topic's list). */
  private readonly ids = new Map<string, StoredTopicMessageT>();

  /** A message's JSON as the hub serialised it (put), reused by historyJson. */
  private readonly json = new WeakMap<StoredTopicMessageT, string>();

  /** perTopic: messages kept per topic; beyond it the oldest are dropped. */
  constructor(private readonly perTopic: number = DEFAULT_MEMORY_TOPIC_LIMIT) {}

  /** In memory a message is an object per topic (each list holds its own), sharing the JSON the hub made. */
  put(message: StoredTopicMessageT, json: string, topics: readonly string[]): Promise<void> {
    topics.forEach((topic, i) => {
      const m = i === 0 && message.topic_published_to === topic ? message : { ...message, topic_published_to: topic };
      this.json.set(m, withTopic(json, topic));
      void this.append(m);
    });
    return Promise.resolve();
  }

  /** put() is idempotent per id here already. */
  adopt(message: StoredTopicMessageT, json: string, topics: readonly string[]): Promise<void> {
    return this.put(message, json, topics);
  }

  historyJson(namespace: string, topic: string, q: HistoryQuery): Promise<HistoryBodies> {
    return this.history(namespace, topic, q).then((ms) => new ListBodies(ms.map((m) => this.json.get(m) ?? JSON.stringify(m))));
  }

  append(m: StoredTopicMessageT): Promise<void> {
    const key = topicKey(m.namespace, m.topic_published_to);
    const idKey = topicKey(m.namespace, m.id);
    let list = this.lists.get(key);
    if (!list) {
      list = { namespace: m.namespace, topic: m.topic_published_to, messages: [] };
      this.lists.set(key, list);
    }
    const msgs = list.messages;
    const last = msgs[msgs.length - 1];
    if (!last || compareTopicIds(last.id, m.id) < 0) msgs.push(m);
    else if (!msgs.some((x) => x.id === m.id)) {
      // arrived out of order (another hub's message over the bus): insert in place
      msgs.push(m);
      msgs.sort(byTimeKey);
    } else return Promise.resolve();
    this.ids.set(idKey, m);
    this.trim(list);
    return Promise.resolve();
  }

  history(namespace: string, topic: string, q: HistoryQuery): Promise<StoredTopicMessageT[]> {
    const list = this.lists.get(topicKey(namespace, topic));
    if (!list) return Promise.resolve([]);
    this.trim(list);
    return Promise.resolve(selectHistory(list.messages, q));
  }

  byIds(namespace: string, ids: readonly string[]): Promise<StoredTopicMessageT[]> {
    const now = Date.now();
    const out: StoredTopicMessageT[] = [];
    for (const id of ids) {
      const m = this.ids.get(topicKey(namespace, id));
      if (m && !isExpired(m, now)) out.push(m);
    }
    return Promise.resolve(out);
  }

  topics(): Promise<TopicCount[]> {
    return Promise.resolve([...this.lists.values()].map((l) => ({ namespace: l.namespace, topic: l.topic, count: l.messages.length })));
  }

  close(): Promise<void> {
    this.lists.clear();
    this.ids.clear();
    return Promise.resolve();
  }

  /** Drops the oldest beyond the bound and expired messages at the front (ttl varies per message; the rest go on read). */
  private trim(list: TopicList): void {
    const msgs = list.messages;
    const now = Date.now();
    let drop = Math.max(0, msgs.length - this.perTopic);
    while (drop < msgs.length && isExpired(msgs[drop]!, now)) drop++;
    if (drop === 0) return;
    for (const m of msgs.splice(0, drop)) {
      const idKey = topicKey(m.namespace, m.id);
      if (this.ids.get(idKey) === m) this.ids.delete(idKey);
    }
  }
}
