// The one interface topic stores implement (memory, Redis), and what both need: the `namespace:topic` key, expiry.

import type { StoredTopicMessageT } from '../../protocol/topics';
import { compareTopicIds, isAfterTopicId } from '../../protocol/ids';

export interface HistoryQuery {
  /** Exclusive; compared on time and sequence (ids.ts), so a later message of another priority is never missed. */
  sinceId?: string;
  /** Exclusive upper bound, on the same key: pages a topic backwards ("load older"). */
  beforeId?: string;
  /** Without sinceId: the latest `limit` (before beforeId); with it: the first `limit` after it. Oldest first either way. */
  limit: number;
}

export interface TopicCount {
  namespace: string;
  topic: string;
  count: number;
}

/** Real-time notification between hubs that share a store but no bus (Redis pub/sub): JSON text per channel. */
export interface TopicNotifier {
  publish(channel: string, json: string): Promise<void>;
  /** Resolves once the subscription is in place; the returned function ends it. */
  subscribe(channel: string, handler: (json: string) => void): Promise<() => Promise<void>>;
}

export interface TopicStore {
  readonly kind: 'memory' | 'redis';
  /** Present when the store itself can tell other hubs of new messages (used when the hub has no shared bus). */
  readonly notifier?: TopicNotifier;
  /** Stores a message under its topic (message.namespace, message.topic_published_to) and its id. Idempotent per id. */
  append(message: StoredTopicMessageT): Promise<void>;
  history(namespace: string, topic: string, q: HistoryQuery): Promise<StoredTopicMessageT[]>;
  /** Messages of one namespace by id, in the order asked, unknown and expired ones left out. */
  byIds(namespace: string, ids: readonly string[]): Promise<StoredTopicMessageT[]>;
  /** Topics with stored messages (the Topics view); counts may include messages about to expire. */
  topics(): Promise<TopicCount[]>;
  close(): Promise<void>;
}

/** `namespace:topic`: names are restricted (topics.ts) so neither part holds a `:`. */
export function topicKey(namespace: string, topic: string): string {
  return `${namespace}:${topic}`;
}

/** Epoch ms after which the message is gone; undefined: it never expires. */
export function expiresAt(m: StoredTopicMessageT): number | undefined {
  return typeof m.ttl === 'number' && m.ttl > 0 ? Math.round(m.timestamp * 1000) + m.ttl * 1000 : undefined;
}

export function isExpired(m: StoredTopicMessageT, now: number = Date.now()): boolean {
  const at = expiresAt(m);
  return at !== undefined && at <= now;
}

/** Applies a HistoryQuery to messages already in time-key order (oldest first). */
export function selectHistory(ordered: readonly StoredTopicMessageT[], q: HistoryQuery, now: number = Date.now()): StoredTopicMessageT[] {
  const before = q.beforeId;
  const live = ordered.filter((m) => !isExpired(m, now) && (before === undefined || isAfterTopicId(before, m.id)));
  if (q.sinceId === undefined) return live.slice(Math.max(0, live.length - q.limit));
  const since = q.sinceId;
  return live.filter((m) => isAfterTopicId(m.id, since)).slice(0, q.limit);
}

export function byTimeKey(a: StoredTopicMessageT, b: StoredTopicMessageT): number {
  return compareTopicIds(a.id, b.id);
}
