// The one interface topic stores implement (memory, Redis), and what both need: the `namespace:topic` key, expiry.

import type { StoredTopicMessageT } from '../../protocol/topics';
import { compareTopicIds, isAfterTopicId } from '../../protocol/ids';

/** A message's JSON as a store holds it: text, or UTF-8 bytes as Redis returned them (never decoded to a string). */
export type JsonText = string | Buffer;

/**
 * A history page as stored bodies, oldest first. They may live in memory the store lends (the Redis store's pooled
 * reply buffers): read or copy them, then `release()` — once; after it they may change. Nothing here makes an object
 * per body unless asked for one (`body(i)`): a HISTORY_RESPONSE copies them straight into its frame.
 */
export interface HistoryBodies {
  readonly count: number;
  /** Body i, oldest first: text, or a view of bytes the store lends (valid until release()). */
  body(i: number): JsonText;
  /** UTF-8 bytes of every body joined by commas. */
  readonly joinedBytes: number;
  /** Writes every body, joined by commas, into `target` from `at`; returns where it ended. */
  writeJoined(target: Buffer, at: number): number;
  release(): void;
}

/** Bodies held as a list (the memory store's JSON texts): nothing lent, release() does nothing. */
export class ListBodies implements HistoryBodies {
  readonly joinedBytes: number;

  constructor(private readonly list: readonly JsonText[]) {
    let n = Math.max(0, list.length - 1);
    for (const b of list) n += typeof b === 'string' ? Buffer.byteLength(b) : b.length;
    this.joinedBytes = n;
  }

  get count(): number {
    return this.list.length;
  }

  body(i: number): JsonText {
    return this.list[i]!;
  }

  writeJoined(target: Buffer, at: number): number {
    for (let i = 0; i < this.list.length; i++) {
      if (i > 0) target[at++] = 0x2c; // ,
      const b = this.list[i]!;
      at += typeof b === 'string' ? target.write(b, at) : b.copy(target, at);
    }
    return at;
  }

  release(): void {}
}

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
  /**
   * Stores a message published to one or more topics of its namespace once, listed under each. `json` is the message's
   * JSON as the hub serialised it (storedTopicMessage's key order; its topic_published_to is topics[0]): the store
   * keeps these bytes, not a serialisation of its own. Idempotent per id.
   */
  put(message: StoredTopicMessageT, json: string, topics: readonly string[]): Promise<void>;
  /**
   * A message another hub minted (it came over the bus), stored like put() unless this store knows its id already —
   * as it does when both hubs share it (one Redis): a store whose entries are the message's bytes (Redis's sorted
   * sets) would otherwise hold it twice if the bytes differed.
   */
  adopt(message: StoredTopicMessageT, json: string, topics: readonly string[]): Promise<void>;
  history(namespace: string, topic: string, q: HistoryQuery): Promise<StoredTopicMessageT[]>;
  /**
   * The same selection as history(), as each message's JSON text unparsed (topic_published_to set to `topic`): the
   * hub splices them into its HISTORY_RESPONSE, then releases the page. Expiry is the store's (on Redis the key's TTL,
   * judged by Redis).
   */
  historyJson(namespace: string, topic: string, q: HistoryQuery): Promise<HistoryBodies>;
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

/** Enough bytes for the head: 20 digits, a 128-character namespace, a 128-character topic and the keys. */
const HEAD_MAX = 360;
/**
 * A stored message's JSON starts with these keys, in this order (the hub builds it so): its topic can be read and
 * replaced without parsing the body. Ids are digits and names are restricted (topics.ts), so no value holds a quote.
 */
const STORED_HEAD = /^\{"id":"\d+","namespace":"[\w-]+","topic_published_to":"/;

/**
 * The message's JSON as published to `topic`: a message published to several topics is stored once (with the first
 * one's name) and listed under each. Bodies written in another key order (by an older hub) are parsed instead.
 */
export function withTopic(json: string, topic: string): string;
export function withTopic(json: JsonText, topic: string): JsonText;
export function withTopic(json: JsonText, topic: string): JsonText {
  // the head is ASCII (digits, names of [\w-]), so its characters are its bytes: a Buffer is read without decoding it
  const text = typeof json === 'string' ? json : json.toString('latin1', 0, HEAD_MAX);
  const head = STORED_HEAD.exec(text);
  if (head) {
    const start = head[0].length;
    const end = text.indexOf('"', start);
    if (end > 0) {
      if (text.slice(start, end) === topic) return json;
      return typeof json === 'string' ? json.slice(0, start) + topic + json.slice(end) : Buffer.concat([json.subarray(0, start), Buffer.from(topic), json.subarray(end)]);
    }
  }
  const m = JSON.parse(json.toString()) as StoredTopicMessageT;
  return m.topic_published_to === topic ? json : JSON.stringify({ ...m, topic_published_to: topic });
}

/** The id of a stored message's JSON: its first key (the hub writes it so); parsed for a body of another shape. */
export function idOfJson(json: JsonText): string {
  const m = /^\{"id":"(\d+)"/.exec(typeof json === 'string' ? json : json.toString('latin1', 0, 32));
  return m ? m[1]! : String((JSON.parse(json.toString()) as { id?: unknown }).id);
}
