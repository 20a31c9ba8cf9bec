// The Redis topic store (seed 004's production backend): a sorted set per topic scored by time in ms (Redis scores are
// doubles, so not by the 64-bit id), a key per message id holding the message's JSON once (a message published to
// several topics is listed in each topic's set), the message's ttl as the key's TTL, and a set of known topics.
// Several hubs on one Redis see the same history; it survives restarts.
//
// Writes: every message put in one turn of the event loop goes out in ONE pipeline of a few commands (an MSET of the
// bodies, a ZADD per topic; nothing read first), and the hub delivers once that pipeline is written — history never
// lacks a delivered message. The JSON stored is the hub's own serialisation, the same text it sends to subscribers.
// Reads: a history page is ZRANGEBYSCORE with LIMIT, then MGET (two round trips of plain commands, see page()); the
// bodies come back as Redis gave them — bytes, never parsed — for the hub to splice into its HISTORY_RESPONSE, and an
// expired message's key is gone (Redis judges the TTL), so nothing is parsed to filter either.
// A message published to several topics shares one body key and has a count of the topics that list it (an `r:` key
// beside the body, with its TTL): trimming one topic past its bound takes one off the count, and the body goes only
// when the last topic has let it go.

import { Redis } from 'ioredis';
import type { StoredTopicMessageT } from '../../protocol/topics';
import { decodeTopicId, topicIdTimeKey } from '../../protocol/ids';
import { expiresAt, isExpired, topicKey, withTopic, type HistoryQuery, type JsonText, type TopicCount, type TopicNotifier, type TopicStore } from './topicStore';

export const DEFAULT_REDIS_TOPIC_PREFIX = 'switchboard:topics:';
/** Messages kept per topic on Redis; beyond it the oldest are removed (checked every TRIM_EVERY appends to a topic). */
export const DEFAULT_REDIS_TOPIC_LIMIT = 1_000_000;
const TRIM_EVERY = 256;

/** One page of a topic's history: [full, last score, ids, bodies (null: the key is gone)], each as Redis's bytes. */
type HistoryPage = [full: number, lastScore: Buffer, ids: Buffer[], values: (Buffer | null)[]];

interface WriteBatch {
  /** key, json, key, json… of the bodies without a ttl (one MSET). */
  plain: string[];
  expiring: [key: string, json: string, at: number][];
  /** sorted set → score, id, score, id… (one ZADD each). */
  zadds: Map<string, (string | number)[]>;
  /** `namespace:topic`s this process has not added to the set of known topics yet. */
  newTopics: string[];
  /** Sorted sets (→ namespace) due a check of the per-topic bound once the batch is written. */
  trims: Map<string, string>;
  done: Promise<void>;
}

export interface RedisTopicStoreOptions {
  /** Every key this store makes starts with it (tests use their own). */
  keyPrefix?: string;
  perTopic?: number;
}

export class RedisTopicStore implements TopicStore {
  readonly kind = 'redis';
  readonly redis: Redis;
  private readonly prefix: string;
  private readonly perTopic: number;
  private readonly appendsSinceTrim = new Map<string, number>();
  /** Topics this store has added to the set of known topics (one SADD per topic per process). */
  private readonly knownTopics = new Set<string>();
  /** The pub/sub connection (a subscribed Redis connection takes no other commands), made on first use. */
  private sub: Redis | undefined;
  private readonly channelHandlers = new Map<string, Set<(json: string) => void>>();
  /** The pipeline of this turn's writes, until it is executed. */
  private pending: WriteBatch | undefined;
  /** Per-topic bounds being kept (after writes, one after another); close() waits for them. */
  private trimming: Promise<void> = Promise.resolve();

  /** Redis pub/sub under this store's prefix: hubs on one Redis without a shared bus still deliver to each other. */
  readonly notifier: TopicNotifier = {
    publish: async (channel, json) => {
      await this.redis.publish(this.pubsubChannel(channel), json);
    },
    subscribe: async (channel, handler) => {
      const full = this.pubsubChannel(channel);
      let handlers = this.channelHandlers.get(full);
      if (!handlers) {
        this.channelHandlers.set(full, (handlers = new Set()));
        await this.subscriber().subscribe(full);
      }
      handlers.add(handler);
      const set = handlers;
      return async () => {
        if (!set.delete(handler) || set.size > 0 || this.channelHandlers.get(full) !== set) return;
        this.channelHandlers.delete(full);
        await this.sub?.unsubscribe(full);
      };
    },
  };

  constructor(url: string, opts: RedisTopicStoreOptions = {}) {
    this.prefix = opts.keyPrefix ?? DEFAULT_REDIS_TOPIC_PREFIX;
    this.perTopic = opts.perTopic ?? DEFAULT_REDIS_TOPIC_LIMIT;
    // auto-pipelining: concurrent appends of many publishers share round trips
    this.redis = new Redis(url, { enableAutoPipelining: true, maxRetriesPerRequest: 2, lazyConnect: false });
    this.redis.on('error', () => undefined); // surfaced by the failing command; ioredis reconnects on its own
  }

  private zkey(namespace: string, topic: string): string {
    return `${this.prefix}z:${topicKey(namespace, topic)}`;
  }
  private mkey(namespace: string, id: string): string {
    return `${this.prefix}m:${topicKey(namespace, id)}`;
  }
  /** How many topics still list a message published to several (absent for a message of one topic). */
  private rkey(namespace: string, id: string): string {
    return `${this.prefix}r:${topicKey(namespace, id)}`;
  }

  append(m: StoredTopicMessageT): Promise<void> {
    return this.put(m, JSON.stringify(m), [m.topic_published_to]);
  }

  /** Queues the message's writes into this turn's batch; resolves when that batch has been written. */
  put(m: StoredTopicMessageT, json: string, topics: readonly string[]): Promise<void> {
    const b = this.batch();
    const key = this.mkey(m.namespace, m.id);
    const at = expiresAt(m);
    if (at !== undefined) b.expiring.push([key, json, at]);
    else b.plain.push(key, json);
    if (topics.length > 1) {
      const refs = this.rkey(m.namespace, m.id);
      if (at !== undefined) b.expiring.push([refs, String(topics.length), at]);
      else b.plain.push(refs, String(topics.length));
    }
    const score = Math.round(m.timestamp * 1000);
    for (const topic of topics) {
      const z = this.zkey(m.namespace, topic);
      let members = b.zadds.get(z);
      if (!members) b.zadds.set(z, (members = []));
      members.push(score, m.id);
      const tk = topicKey(m.namespace, topic);
      if (!this.knownTopics.has(tk)) {
        b.newTopics.push(tk);
        this.knownTopics.add(tk);
      }
      const n = (this.appendsSinceTrim.get(z) ?? 0) + 1;
      this.appendsSinceTrim.set(z, n % TRIM_EVERY);
      if (n >= TRIM_EVERY) b.trims.set(z, m.namespace);
    }
    return b.done;
  }

  /**
   * Many messages at once (imports, the bench's large topics): put in one turn, so one pipeline. The same keys as
   * append().
   */
  async appendBatch(messages: readonly StoredTopicMessageT[]): Promise<void> {
    await Promise.all(messages.map((m) => this.append(m)));
  }

  /**
   * This turn's batch: made by the first put of the turn, written once the turn's I/O callbacks have run, in one
   * pipeline of a few commands whatever the number of messages — one MSET for the bodies without a ttl, one ZADD per
   * topic with every new member, SET … PXAT per body with a ttl — so the cost per message is its bytes, not commands.
   */
  private batch(): WriteBatch {
    if (this.pending) return this.pending;
    const b: WriteBatch = { plain: [], expiring: [], zadds: new Map(), newTopics: [], trims: new Map(), done: Promise.resolve() };
    b.done = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
      if (this.pending === b) this.pending = undefined;
      const p = this.redis.pipeline();
      if (b.plain.length) p.mset(...b.plain);
      for (const [key, json, at] of b.expiring) p.set(key, json, 'PXAT', at);
      for (const [z, members] of b.zadds) p.zadd(z, ...members);
      if (b.newTopics.length) p.sadd(`${this.prefix}topics`, ...b.newTopics);
      const res = (await p.exec()) ?? [];
      const failed = res.find(([err]) => err);
      // the per-topic bound is kept after the write, not before delivery (a trim is not something a publisher waits for)
      for (const [z, namespace] of b.trims) this.trimming = this.trimming.then(() => this.trim(namespace, z)).catch(() => undefined);
      if (failed) throw failed[0]!;
    });
    this.pending = b;
    return b;
  }

  async history(namespace: string, topic: string, q: HistoryQuery): Promise<StoredTopicMessageT[]> {
    const now = Date.now();
    return (await this.historyJson(namespace, topic, q)).map((j) => JSON.parse(j.toString()) as StoredTopicMessageT).filter((m) => !isExpired(m, now));
  }

  async historyJson(namespace: string, topic: string, q: HistoryQuery): Promise<JsonText[]> {
    const z = this.zkey(namespace, topic);
    const forward = q.sinceId !== undefined;
    const page = Math.max(q.limit + 16, 64);
    // each id's time key computed once (a BigInt per id; comparing ids as text in a sort would parse them again and again)
    const sinceKey = q.sinceId !== undefined ? topicIdTimeKey(q.sinceId) : undefined;
    const beforeKey = q.beforeId !== undefined ? topicIdTimeKey(q.beforeId) : undefined;
    // whole milliseconds at a time: members of one score sort by their text in Redis, not by id, so a page never ends
    // inside a millisecond
    let bound = forward ? String(decodeTopicId(q.sinceId!).timestamp) : q.beforeId !== undefined ? String(decodeTopicId(q.beforeId).timestamp) : '+inf';
    /** Pages in the order read (forward: oldest first; backward: newest first), each oldest first. */
    const pages: JsonText[][] = [];
    const mprefix = this.mkey(namespace, '');
    let count = 0;
    while (count < q.limit) {
      const [fullFlag, lastScoreBytes, idBytes, values] = await this.page(z, bound, forward ? '+inf' : '-inf', page, forward, mprefix);
      if (idBytes.length === 0) break;
      bound = '(' + lastScoreBytes.toString('latin1');
      const ids = idBytes.map((b) => b.toString('latin1'));
      // ids decide what is kept (after since_id, before before_id, the nearest `limit`); bodies are not parsed
      let keyed: { id: string; key: bigint; value: Buffer | null }[] = [];
      for (let i = 0; i < ids.length; i++) {
        const key = topicIdTimeKey(ids[i]!);
        if (sinceKey !== undefined && key <= sinceKey) continue;
        if (beforeKey !== undefined && key >= beforeKey) continue;
        keyed.push({ id: ids[i]!, key, value: values[i] ?? null });
      }
      keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      const want = q.limit - count;
      if (keyed.length > want) keyed = forward ? keyed.slice(0, want) : keyed.slice(keyed.length - want);
      const loaded: JsonText[] = [];
      const gone: string[] = [];
      for (const k of keyed) {
        if (k.value === null) gone.push(k.id);
        else loaded.push(withTopic(k.value, topic));
      }
      if (gone.length) await this.redis.zrem(z, ...gone); // expired keys: their ids leave the topic's set
      if (loaded.length) {
        pages.push(loaded);
        count += loaded.length;
      }
      if (fullFlag !== 1) break;
    }
    return forward ? pages.flat() : pages.reverse().flat();
  }

  /**
   * One page in two round trips of plain commands: the ids of a score range (forward or backward, LIMIT page), then
   * in one pipeline the bodies (MGET: every key it reads is a key it names, as Redis Cluster requires — with one hash
   * slot per topic, which these key names do not give) and, when the page is full, every id of its last score (a
   * page never ends inside a millisecond; members of one score sort by text, not by id). A Lua script doing both in
   * one round trip was measured against this (INFO commandstats, 1,000 of 100,000): 12-19 ms of Redis's time per page
   * against 1.2-1.5 ms — the script's table conversions of 1,000 bodies cost more than a round trip.
   */
  private async page(z: string, from: string, to: string, page: number, forward: boolean, mprefix: string): Promise<HistoryPage> {
    const raw = forward ? await this.redis.zrangebyscoreBuffer(z, from, to, 'WITHSCORES', 'LIMIT', 0, page) : await this.redis.zrevrangebyscoreBuffer(z, from, to, 'WITHSCORES', 'LIMIT', 0, page);
    if (raw.length === 0) return [0, Buffer.alloc(0), [], []];
    const ids: Buffer[] = [];
    for (let i = 0; i < raw.length; i += 2) ids.push(raw[i]!);
    const last = raw[raw.length - 1]!;
    const full = ids.length === page ? 1 : 0;
    const p = this.redis.pipeline();
    p.mgetBuffer(ids.map((id) => mprefix + id.toString('latin1')));
    if (full) p.zrangebyscoreBuffer(z, last.toString('latin1'), last.toString('latin1'));
    const res = (await p.exec()) ?? [];
    const values = res[0]![1] as (Buffer | null)[];
    if (full) {
      const seen = new Set(ids.map((b) => b.toString('latin1')));
      const more = (res[1]![1] as Buffer[]).filter((b) => !seen.has(b.toString('latin1')));
      if (more.length) {
        ids.push(...more);
        values.push(...(await this.redis.mgetBuffer(more.map((id) => mprefix + id.toString('latin1')))));
      }
    }
    return [full, last, ids, values];
  }

  async byIds(namespace: string, ids: readonly string[]): Promise<StoredTopicMessageT[]> {
    if (ids.length === 0) return [];
    return this.load(namespace, ids);
  }

  async topics(): Promise<TopicCount[]> {
    const keys = await this.redis.smembers(`${this.prefix}topics`);
    const p = this.redis.pipeline();
    const parsed = keys.map((k) => {
      const at = k.indexOf(':');
      return { namespace: k.slice(0, at), topic: k.slice(at + 1) };
    });
    for (const t of parsed) p.zcard(this.zkey(t.namespace, t.topic));
    const res = (await p.exec()) ?? [];
    return parsed.map((t, i) => ({ ...t, count: Number(res[i]?.[1] ?? 0) }));
  }

  async close(): Promise<void> {
    await this.pending?.done.catch(() => undefined);
    await this.trimming;
    this.channelHandlers.clear();
    const sub = this.sub;
    this.sub = undefined;
    if (sub) await sub.quit().catch(() => sub.disconnect());
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  /** The Redis channel that carries a hub channel's messages (under this store's prefix, like its keys). */
  pubsubChannel(channel: string): string {
    return `${this.prefix}ch:${channel}`;
  }

  private subscriber(): Redis {
    if (!this.sub) {
      const sub = this.redis.duplicate();
      sub.on('error', () => undefined); // ioredis reconnects and re-subscribes on its own
      sub.on('message', (channel: string, json: string) => {
        for (const h of this.channelHandlers.get(channel) ?? []) h(json);
      });
      this.sub = sub;
    }
    return this.sub;
  }

  /** Deletes every key under this store's prefix (tests). */
  async deleteAll(): Promise<void> {
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) await this.redis.del(...keys);
    } while (cursor !== '0');
  }

  /** Messages by id, in the order asked; ids whose key is gone (expired) are dropped from the topic's set, if given. */
  private async load(namespace: string, ids: readonly string[], z?: string): Promise<StoredTopicMessageT[]> {
    const values = await this.redis.mget(ids.map((id) => this.mkey(namespace, id)));
    const now = Date.now();
    const out: StoredTopicMessageT[] = [];
    const gone: string[] = [];
    values.forEach((v, i) => {
      if (v === null) {
        gone.push(ids[i]!);
        return;
      }
      const m = JSON.parse(v) as StoredTopicMessageT;
      if (!isExpired(m, now)) out.push(m);
    });
    if (z && gone.length) await this.redis.zrem(z, ...gone);
    return out;
  }

  private async trim(namespace: string, z: string): Promise<void> {
    const excess = (await this.redis.zcard(z)) - this.perTopic;
    if (excess <= 0) return;
    const old = await this.redis.zrange(z, 0, excess - 1);
    if (old.length === 0) return;
    // a body listed by other topics too stays until the last of them trims it
    const shared = ((await this.redis.pipeline(old.map((id) => ['exists', this.rkey(namespace, id)])).exec()) ?? []).map(([, n]) => n === 1);
    const own = old.filter((_, i) => !shared[i]);
    const p = this.redis.pipeline();
    if (own.length) p.del(...own.map((id) => this.mkey(namespace, id)));
    await p.zremrangebyrank(z, 0, old.length - 1).exec();
    const sharedIds = old.filter((_, i) => shared[i]);
    if (sharedIds.length === 0) return;
    const left = (await this.redis.pipeline(sharedIds.map((id) => ['decr', this.rkey(namespace, id)])).exec()) ?? [];
    const done = sharedIds.filter((_, i) => Number(left[i]?.[1] ?? 0) <= 0);
    if (done.length) await this.redis.del(...done.flatMap((id) => [this.mkey(namespace, id), this.rkey(namespace, id)]));
  }
}
