// The Redis topic store (seed 004's production backend): a sorted set per topic scored by time in ms (Redis scores are
// doubles, so not by the 64-bit id), a key per message id for lookup by id with the message's ttl as the key's TTL,
// pipelined writes, and a set of known topics. Several hubs on one Redis see the same history; it survives restarts.
// A history page is one round trip (a script). Profiled on the bench's HISTORY row (1,000 of 100,000, through the
// hub): per query about 3 ms parsing bodies, 2–3 ms decoding Redis replies to strings, 2 ms serialising the answer in
// the hub, 5 ms of garbage collection for those 400 KB, the rest waiting on Redis — the bodies' size, not the
// commands, is what costs.

import { Redis } from 'ioredis';
import type { StoredTopicMessageT } from '../../protocol/topics';
import { decodeTopicId, topicIdTimeKey } from '../../protocol/ids';
import { expiresAt, isExpired, topicKey, type HistoryQuery, type TopicCount, type TopicNotifier, type TopicStore } from './topicStore';

export const DEFAULT_REDIS_TOPIC_PREFIX = 'switchboard:topics:';
/** Messages kept per topic on Redis; beyond it the oldest are removed (checked every TRIM_EVERY appends to a topic). */
export const DEFAULT_REDIS_TOPIC_LIMIT = 1_000_000;
const TRIM_EVERY = 256;

/**
 * One page of a topic's history in one round trip: the ids of a score range (forward or backward, LIMIT page), every
 * id of the page's last score too when the page is full (so a page never ends inside a millisecond), and the message
 * keys of all of them (MGET in chunks: Lua's unpack has a stack limit). Returns {full, lastScore, ids, values}.
 * The message keys are read by name, not passed as KEYS: fine on one Redis, not on a cluster.
 */
const HISTORY_PAGE_LUA = `
local raw
if ARGV[4] == '1' then
  raw = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[2], 'WITHSCORES', 'LIMIT', 0, ARGV[3])
else
  raw = redis.call('ZREVRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[2], 'WITHSCORES', 'LIMIT', 0, ARGV[3])
end
if #raw == 0 then return {0, '', {}, {}} end
local ids = {}
for i = 1, #raw, 2 do ids[#ids + 1] = raw[i] end
local last = raw[#raw]
local full = 0
if #ids == tonumber(ARGV[3]) then
  full = 1
  local seen = {}
  for _, id in ipairs(ids) do seen[id] = true end
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], last, last)) do
    if not seen[id] then ids[#ids + 1] = id end
  end
end
local values = {}
local chunk = {}
for i, id in ipairs(ids) do
  chunk[#chunk + 1] = ARGV[5] .. id
  if #chunk == 1000 or i == #ids then
    local got = redis.call('MGET', unpack(chunk))
    for j = 1, #chunk do values[#values + 1] = got[j] end
    chunk = {}
  end
end
return {full, last, ids, values}
`;

type HistoryPage = [full: number, lastScore: string, ids: string[], values: (string | null)[]];
type ScriptedRedis = Redis & {
  topicHistoryPage(z: string, from: string, to: string, page: number, forward: '1' | '0', keyPrefix: string): Promise<HistoryPage>;
};

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
    this.redis.defineCommand('topicHistoryPage', { numberOfKeys: 1, lua: HISTORY_PAGE_LUA });
  }

  private zkey(namespace: string, topic: string): string {
    return `${this.prefix}z:${topicKey(namespace, topic)}`;
  }
  private mkey(namespace: string, id: string): string {
    return `${this.prefix}m:${topicKey(namespace, id)}`;
  }

  async append(m: StoredTopicMessageT): Promise<void> {
    const z = this.zkey(m.namespace, m.topic_published_to);
    const json = JSON.stringify(m);
    const at = expiresAt(m);
    // single commands, not a pipeline object: auto-pipelining sends every write issued in one tick (many publishers,
    // many messages) in one batch, where a pipeline per message would be a batch per message
    const writes: Promise<unknown>[] = [
      at !== undefined ? this.redis.set(this.mkey(m.namespace, m.id), json, 'PXAT', at) : this.redis.set(this.mkey(m.namespace, m.id), json),
      this.redis.zadd(z, Math.round(m.timestamp * 1000), m.id),
    ];
    const tk = topicKey(m.namespace, m.topic_published_to);
    if (!this.knownTopics.has(tk)) {
      writes.push(this.redis.sadd(`${this.prefix}topics`, tk));
      this.knownTopics.add(tk);
    }
    await Promise.all(writes);
    const n = (this.appendsSinceTrim.get(z) ?? 0) + 1;
    this.appendsSinceTrim.set(z, n % TRIM_EVERY);
    if (n >= TRIM_EVERY) await this.trim(m.namespace, z);
  }

  /**
   * Many messages in one explicit pipeline (one round trip): imports and the bench's large topics. The same keys as
   * append(); the per-topic bound is checked once per topic of the batch.
   */
  async appendBatch(messages: readonly StoredTopicMessageT[]): Promise<void> {
    if (messages.length === 0) return;
    const p = this.redis.pipeline();
    const topics = new Map<string, string>();
    for (const m of messages) {
      const json = JSON.stringify(m);
      const at = expiresAt(m);
      if (at !== undefined) p.set(this.mkey(m.namespace, m.id), json, 'PXAT', at);
      else p.set(this.mkey(m.namespace, m.id), json);
      const z = this.zkey(m.namespace, m.topic_published_to);
      p.zadd(z, Math.round(m.timestamp * 1000), m.id);
      topics.set(z, m.namespace);
      const tk = topicKey(m.namespace, m.topic_published_to);
      if (!this.knownTopics.has(tk)) {
        p.sadd(`${this.prefix}topics`, tk);
        this.knownTopics.add(tk);
      }
    }
    const res = (await p.exec()) ?? [];
    const failed = res.find(([err]) => err);
    if (failed) throw failed[0]!;
    for (const [z, namespace] of topics) await this.trim(namespace, z);
  }

  async history(namespace: string, topic: string, q: HistoryQuery): Promise<StoredTopicMessageT[]> {
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
    const pages: StoredTopicMessageT[][] = [];
    const mprefix = this.mkey(namespace, '');
    const now = Date.now();
    let count = 0;
    while (count < q.limit) {
      // ids, the last score's ties and the message bodies in one round trip (a script): see HISTORY_PAGE_LUA
      const [fullFlag, lastScore, ids, values] = await (this.redis as ScriptedRedis).topicHistoryPage(z, bound, forward ? '+inf' : '-inf', page, forward ? '1' : '0', mprefix);
      if (ids.length === 0) break;
      bound = '(' + lastScore;
      // ids decide what is kept (after since_id, before before_id, the nearest `limit`): only those are parsed
      let keyed: { id: string; key: bigint; value: string | null }[] = [];
      for (let i = 0; i < ids.length; i++) {
        const key = topicIdTimeKey(ids[i]!);
        if (sinceKey !== undefined && key <= sinceKey) continue;
        if (beforeKey !== undefined && key >= beforeKey) continue;
        keyed.push({ id: ids[i]!, key, value: values[i] ?? null });
      }
      keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      const want = q.limit - count;
      if (keyed.length > want) keyed = forward ? keyed.slice(0, want) : keyed.slice(keyed.length - want);
      const loaded: StoredTopicMessageT[] = [];
      const gone: string[] = [];
      for (const k of keyed) {
        if (k.value === null) gone.push(k.id);
        else {
          const m = JSON.parse(k.value) as StoredTopicMessageT;
          if (!isExpired(m, now)) loaded.push(m);
        }
      }
      if (gone.length) await this.redis.zrem(z, ...gone); // expired keys: their ids leave the topic's set
      if (loaded.length) {
        pages.push(loaded);
        count += loaded.length;
      }
      if (fullFlag !== 1) break;
    }
    const out = forward ? pages.flat() : pages.reverse().flat();
    // one key per id: a message published to several topics holds the last one's name
    return out.map((m) => (m.topic_published_to === topic ? m : { ...m, topic_published_to: topic }));
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
    await this.redis.pipeline().del(...old.map((id) => this.mkey(namespace, id))).zremrangebyrank(z, 0, old.length - 1).exec();
  }
}
