// The Redis topic store (seed 004's production backend): a sorted set per topic scored by time in ms (Redis scores are
// doubles, so not by the 64-bit id), a key per message id holding the message's JSON (lookup by id), the message's ttl
// as that key's TTL, and a set of known topics. Several hubs on one Redis see the same history; it survives restarts.
//
// Layout 2 (LAYOUT): a topic's set holds the messages themselves. A member is a head of MEMBER_HEAD ASCII bytes — the
// id's time key (time, sequence, machine: the order "since id" follows) as 15 hex digits, then the epoch ms the message
// expires at as 12 hex digits (NEVER for none) — followed by the message's JSON as published to that topic. Members
// of one score sort by their bytes, so Redis keeps a topic in id order, and a history page is ONE ZRANGEBYSCORE whose
// reply is the page's bodies: since-id, before-id and expiry are byte comparisons of each member's head, and the
// bodies go into the HISTORY_RESPONSE as Redis's bytes, never parsed or decoded to strings. Measured against layout 1
// (ids in the set, bodies by MGET): Redis's time per page of 1,000 ~0.1 ms against ~1.1 ms, one round trip not two.
// The cost: a message's JSON is held twice (its key, for lookup by id, and its topic's member) — once more per
// further topic it was published to.
// Layout 1 (before it; its sets held ids): a hub of this version converts a Redis of layout 1 when it opens it (each
// topic in place, chunk by chunk), and a topic that still meets an id member (a hub of the old version writing to the
// same Redis) is converted when read — old history stays readable, never silently empty. Hubs of the old version must
// not share a Redis with this one: they read a layout 2 member as an id whose key is gone and would drop it.
//
// Writes: every message put in one turn of the event loop goes out in ONE pipeline of a few commands (an MSET of the
// bodies, a ZADD per topic; nothing read first), and the hub delivers once that pipeline is written — history never
// lacks a delivered message. The JSON stored is the hub's own serialisation, the same text it sends to subscribers.
// A message published to several topics has one body key and a count of the topics that list it (an `r:` key beside
// the body, with its TTL): trimming one topic past its bound takes one off the count, and the body key goes only when
// the last topic has let it go (each topic's own member goes with that topic's trim).

import { Redis } from 'ioredis';
import { RedisPageReader, type RedisPage } from './redisPages';
import type { StoredTopicMessageT } from '../../protocol/topics';
import { TOPIC_ID_EPOCH, decodeTopicId, topicIdTimeKey } from '../../protocol/ids';
import { expiresAt, idOfJson, isExpired, topicKey, withTopic, type HistoryBodies, type HistoryQuery, type TopicCount, type TopicNotifier, type TopicStore } from './topicStore';

export const DEFAULT_REDIS_TOPIC_PREFIX = 'switchboard:topics:';
/** Messages kept per topic on Redis; beyond it the oldest are removed (checked every TRIM_EVERY appends to a topic). */
export const DEFAULT_REDIS_TOPIC_LIMIT = 1_000_000;
const TRIM_EVERY = 256;

/** The layout of a topic's set this store reads and writes (the header comment); kept under `<prefix>layout`. */
export const LAYOUT = '2';
/** A member's head: 15 hex digits of the id's time key, 12 of the expiry's epoch ms. */
const KEY_HEX = 15;
const EXPIRY_HEX = 12;
export const MEMBER_HEAD = KEY_HEX + EXPIRY_HEX;
const NEVER = 'f'.repeat(EXPIRY_HEX);
/** A layout 1 member: a decimal id. */
const OLD_MEMBER = /^[0-9]{1,20}$/;
/** Old members converted per round of a layout 1 topic's conversion. */
const CONVERT_CHUNK = 1000;

/** The head of a topic member: the id's time key, then when it expires (never: NEVER). */
export function memberHead(id: string, expiresAtMs: number | undefined): string {
  return topicIdTimeKey(id).toString(16).padStart(KEY_HEX, '0') + (expiresAtMs === undefined ? NEVER : expiresAtMs.toString(16).padStart(EXPIRY_HEX, '0'));
}

/** The epoch ms a member's message was published at (its score), read from the head's time key; `at`: where it starts. */
function msOfMemberAt(buf: Buffer, at: number): number {
  // the time key's first 11 hex digits are 44 bits: the 41 of time and 3 of the sequence
  return Math.floor(parseInt(buf.toString('latin1', at, at + 11), 16) / 8) + TOPIC_ID_EPOCH;
}

function isOldMember(member: Buffer): boolean {
  return member.length <= 20 && OLD_MEMBER.test(member.toString('latin1'));
}

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

/**
 * A history query's bodies as ranges of the pages read (no object per body): the pages go back to the history
 * connection's pool on release(). A backward query collects newest first; `reversed` hands them out oldest first.
 */
class PageBodies implements HistoryBodies {
  private readonly pages: RedisPage[] = [];
  private readonly refs: number[] = [];
  private readonly starts: number[] = [];
  private readonly lens: number[] = [];
  joinedBytes = 0;

  constructor(private readonly reversed: boolean) {}

  get count(): number {
    return this.refs.length;
  }

  addPage(page: RedisPage): number {
    return this.pages.push(page) - 1;
  }

  push(ref: number, start: number, len: number): void {
    this.joinedBytes += this.refs.length > 0 ? len + 1 : len;
    this.refs.push(ref);
    this.starts.push(start);
    this.lens.push(len);
  }

  private index(i: number): number {
    return this.reversed ? this.refs.length - 1 - i : i;
  }

  body(i: number): Buffer {
    const k = this.index(i);
    return this.pages[this.refs[k]!]!.buf.subarray(this.starts[k]!, this.starts[k]! + this.lens[k]!);
  }

  writeJoined(target: Buffer, at: number): number {
    for (let i = 0; i < this.refs.length; i++) {
      if (i > 0) target[at++] = 0x2c; // ,
      const k = this.index(i);
      at += this.pages[this.refs[k]!]!.buf.copy(target, at, this.starts[k]!, this.starts[k]! + this.lens[k]!);
    }
    return at;
  }

  release(): void {
    for (const p of this.pages) p.release();
  }
}

export class RedisTopicStore implements TopicStore {
  readonly kind = 'redis';
  readonly redis: Redis;
  /** History pages are read on a connection of their own, without ioredis's reply decoder (redisPages.ts). */
  private readonly pages: RedisPageReader;
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
  /** The check (and, for a Redis of layout 1, the conversion) of the layout, made on first use; retried if it failed. */
  private layout: Promise<void> | undefined;

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
    this.pages = new RedisPageReader(this.redis.options);
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
    const head = memberHead(m.id, at);
    for (const topic of topics) {
      const z = this.zkey(m.namespace, topic);
      let members = b.zadds.get(z);
      if (!members) b.zadds.set(z, (members = []));
      // each topic's member carries the JSON as published to that topic: read back as it is
      members.push(score, head + (topic === topics[0] ? json : withTopic(json, topic)));
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

  /** Stored unless its body key is there: the hub that minted it wrote it to this Redis already. */
  async adopt(m: StoredTopicMessageT, json: string, topics: readonly string[]): Promise<void> {
    if ((await this.redis.exists(this.mkey(m.namespace, m.id))) === 1) return;
    await this.put(m, json, topics);
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
      await this.layoutReady();
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
    const page = await this.historyJson(namespace, topic, q);
    try {
      const out: StoredTopicMessageT[] = [];
      for (let i = 0; i < page.count; i++) {
        const m = JSON.parse(page.body(i).toString()) as StoredTopicMessageT;
        if (!isExpired(m, now)) out.push(m);
      }
      return out;
    } finally {
      page.release();
    }
  }

  async historyJson(namespace: string, topic: string, q: HistoryQuery): Promise<HistoryBodies> {
    await this.layoutReady();
    const z = this.zkey(namespace, topic);
    for (;;) {
      const got = await this.readHistory(z, q);
      if (got) return got;
      // a member of layout 1 (an id, written by a hub of the old version): convert the topic, then read again
      await this.convertTopic(namespace, topic);
    }
  }

  /**
   * The members of a history query, bodies only (the head cut off, no copy: views into the pages read, which the caller
   * releases), oldest first; undefined when a layout 1 member was met. Forward (since_id) from since_id's millisecond
   * up, else backward from before_id's (or the newest): pages of ZRANGEBYSCORE/ZREVRANGEBYSCORE with LIMIT on the
   * history connection (redisPages.ts), each continuing at the last member's millisecond with an offset past the
   * members of it already read. Members are in id order (their heads sort so), so the bounds and expiry are byte
   * comparisons of heads; expired members met leave the set.
   */
  private async readHistory(z: string, q: HistoryQuery): Promise<HistoryBodies | undefined> {
    const forward = q.sinceId !== undefined;
    const since = q.sinceId !== undefined ? Buffer.from(memberHead(q.sinceId, undefined), 'latin1') : undefined;
    const before = q.beforeId !== undefined ? Buffer.from(memberHead(q.beforeId, undefined), 'latin1') : undefined;
    const now = Buffer.from(memberHead('0', Date.now()), 'latin1');
    const nowFirst = now[KEY_HEX]!;
    let pastSince = false;
    let from = forward ? String(decodeTopicId(q.sinceId!).timestamp) : q.beforeId !== undefined ? String(decodeTopicId(q.beforeId).timestamp) : '+inf';
    let offset = 0;
    const out = new PageBodies(!forward);
    const gone: Buffer[] = [];
    const release = (): void => out.release();
    try {
      let done = false;
      while (!done && out.count < q.limit) {
        const ask = Math.max(q.limit - out.count + 16, 64);
        const page = await this.pages.command(forward ? ['ZRANGEBYSCORE', z, from, '+inf', 'LIMIT', String(offset), String(ask)] : ['ZREVRANGEBYSCORE', z, from, '-inf', 'LIMIT', String(offset), String(ask)]);
        const ref = out.addPage(page);
        const { buf, starts, lens, count } = page;
        for (let i = 0; i < count; i++) {
          const at = starts[i]!;
          const len = lens[i]!;
          if (len <= MEMBER_HEAD || buf[at + MEMBER_HEAD] !== 0x7b /* { */) {
            if (isOldMember(page.member(i))) {
              release();
              return undefined;
            }
            continue; // not a member this store wrote
          }
          // buf.compare(target, tStart, tEnd, sStart, sEnd): this member's bytes against the target's
          if (since && !pastSince) {
            if (buf.compare(since, 0, KEY_HEX, at, at + KEY_HEX) <= 0) {
              if (forward) continue; // the since-id's own millisecond, at or before it
              done = true; // backward, down to since-id
              break;
            }
            pastSince = forward; // forward, members come in id order: every later one is past it too
          }
          if (before && buf.compare(before, 0, KEY_HEX, at, at + KEY_HEX) >= 0) {
            if (!forward) continue; // before-id's own millisecond, at or after it
            done = true; // forward, up to before-id
            break;
          }
          // expired when its expiry is at or before now (12 hex digits each: compared as bytes; a first digit above
          // now's, as NEVER's is, settles it without the comparison)
          if (buf[at + KEY_HEX]! <= nowFirst && buf.compare(now, KEY_HEX, MEMBER_HEAD, at + KEY_HEX, at + MEMBER_HEAD) <= 0) {
            gone.push(page.member(i)); // expired: Redis dropped its key; its member goes now
            continue;
          }
          out.push(ref, at + MEMBER_HEAD, len - MEMBER_HEAD);
          if (out.count === q.limit) break;
        }
        if (count < ask) break;
        // go on at the last member's millisecond, past the members of it this query has read
        const lastMs = msOfMemberAt(buf, starts[count - 1]!);
        let inLast = 0;
        while (inLast < count && msOfMemberAt(buf, starts[count - 1 - inLast]!) === lastMs) inLast++;
        const next = String(lastMs);
        offset = next === from ? offset + inLast : inLast;
        from = next;
      }
      // before the pages go back: the members to remove are views into them
      if (gone.length) await this.redis.zrem(z, ...gone);
    } catch (err) {
      release();
      throw err;
    }
    return out;
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
    await this.layout?.catch(() => undefined);
    await this.pending?.done.catch(() => undefined);
    await this.trimming;
    this.channelHandlers.clear();
    const sub = this.sub;
    this.sub = undefined;
    if (sub) await sub.quit().catch(() => sub.disconnect());
    this.pages.close();
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
    const members = await this.redis.zrangeBuffer(z, 0, excess - 1);
    if (members.length === 0) return;
    const old = members.map((m) => idOfJson(m.subarray(MEMBER_HEAD)));
    // a body listed by other topics too stays until the last of them trims it
    const shared = ((await this.redis.pipeline(old.map((id) => ['exists', this.rkey(namespace, id)])).exec()) ?? []).map(([, n]) => n === 1);
    const own = old.filter((_, i) => !shared[i]);
    const p = this.redis.pipeline();
    if (own.length) p.del(...own.map((id) => this.mkey(namespace, id)));
    await p.zremrangebyrank(z, 0, members.length - 1).exec();
    const sharedIds = old.filter((_, i) => shared[i]);
    if (sharedIds.length === 0) return;
    const left = (await this.redis.pipeline(sharedIds.map((id) => ['decr', this.rkey(namespace, id)])).exec()) ?? [];
    const done = sharedIds.filter((_, i) => Number(left[i]?.[1] ?? 0) <= 0);
    if (done.length) await this.redis.del(...done.flatMap((id) => [this.mkey(namespace, id), this.rkey(namespace, id)]));
  }

  /** Resolves once this Redis holds layout 2 under the prefix: at once when its layout key says so, else after converting. */
  private layoutReady(): Promise<void> {
    if (!this.layout) {
      this.layout = this.checkLayout();
      this.layout.catch(() => {
        this.layout = undefined; // the next use tries again
      });
    }
    return this.layout;
  }

  private async checkLayout(): Promise<void> {
    const key = `${this.prefix}layout`;
    const found = await this.redis.get(key);
    if (found === LAYOUT) return;
    if (found !== null) throw new Error(`The topic history in Redis under "${this.prefix}" has layout ${found}, which this hub does not know (it reads layout ${LAYOUT}): a newer version wrote it.`);
    // no layout key: a new Redis, or one of layout 1 (whose hubs listed every topic in the set of known topics)
    for (const k of await this.redis.smembers(`${this.prefix}topics`)) {
      const at = k.indexOf(':');
      await this.convertTopic(k.slice(0, at), k.slice(at + 1));
    }
    await this.redis.set(key, LAYOUT);
  }

  /**
   * Converts a topic's layout 1 members (ids) to layout 2 members (head + body, the body from its key, as published to
   * this topic), chunk by chunk, each chunk's ZADDs and ZREMs in one MULTI. Idempotent: hubs converting one topic at
   * once write the same members; an id whose key is gone (expired) just leaves the set.
   */
  private async convertTopic(namespace: string, topic: string): Promise<void> {
    const z = this.zkey(namespace, topic);
    let cursor = '0';
    do {
      const [next, items] = await this.redis.zscan(z, cursor, 'COUNT', CONVERT_CHUNK);
      cursor = next;
      const ids: string[] = [];
      const scores: string[] = [];
      for (let i = 0; i < items.length; i += 2) {
        if (OLD_MEMBER.test(items[i]!)) {
          ids.push(items[i]!);
          scores.push(items[i + 1]!);
        }
      }
      if (ids.length === 0) continue;
      const bodies = await this.redis.mget(ids.map((id) => this.mkey(namespace, id)));
      const tx = this.redis.multi();
      bodies.forEach((body, i) => {
        if (body !== null) {
          const m = JSON.parse(body) as StoredTopicMessageT;
          tx.zadd(z, scores[i]!, memberHead(ids[i]!, expiresAt(m)) + withTopic(body, topic));
        }
        tx.zrem(z, ids[i]!);
      });
      await tx.exec();
    } while (cursor !== '0');
  }
}
