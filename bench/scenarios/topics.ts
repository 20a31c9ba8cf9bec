// Seed 004 topic benchmarks, each against a baseline measured in the same run:
//   - PUBLISH → TOPIC_MESSAGE to 10 subscribers through the hub, memory store, against a raw `ws` broadcast to 10;
//   - the same with the Redis store, against raw ioredis pipelines doing the store's writes (SET + ZADD per message);
//   - HISTORY since an id (1,000 messages) from a topic of 1,000,000 on Redis (100,000 with --quick): p50/p99.

import type WebSocket from 'ws';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { RedisTopicStore } from '../../src/hub/topics/redisTopicStore';
import { TopicIdGenerator, decodeTopicId } from '../../src/protocol/ids';
import type { StoredTopicMessageT } from '../../src/protocol/topics';
import { startProc, rawAgent, openWs, percentile, sleep, waitFor, fmt, burstRates, type Row, type BenchProc } from '../lib';

const REDIS_URL = process.env.SWITCHBOARD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SUBSCRIBERS = 10;
/** Messages per pipeline when the large topic is filled. */
const FILL_CHUNK = 5_000;
const PAYLOAD = { text: 'Please summarise the latest findings on the retrieval benchmark and list three follow-ups.' };
const hubUrl = (p: BenchProc): string => `ws://127.0.0.1:${p.port}/ws?token=${p.token}`;
const rawUrl = (p: BenchProc): string => `ws://127.0.0.1:${p.port}/`;

/** A raw agent that subscribed to `topic` (confirmed by a HISTORY round trip) and counts TOPIC_MESSAGEs. */
async function subscriber(url: string, name: string, topic: string, counts: number[], i: number): Promise<WebSocket> {
  let answered = false;
  const a = await rawAgent(url, name, (s) => {
    if (s.startsWith('{"message_type":"TOPIC_MESSAGE"')) counts[i]!++;
    else if (s.includes('"HISTORY_RESPONSE"')) answered = true;
  });
  a.ws.send(JSON.stringify({ message_type: 'SUBSCRIBE', topic }));
  a.ws.send(JSON.stringify({ message_type: 'HISTORY', topic, limit: 1, request_id: 'ready' }));
  await waitFor(() => answered, 10_000, `${name} to subscribe`);
  return a.ws;
}

/** Messages/s delivered to every one of 10 subscribers: the hub (with these options) vs a raw ws broadcast. */
async function topicFanOut(hubOpts: Record<string, unknown>, k: number): Promise<{ ours: number; baseline: number; hub: BenchProc }> {
  const hub = await startProc('hubProc', hubOpts);
  const sockets: WebSocket[] = [];
  const counts: number[] = [];
  for (let i = 0; i < SUBSCRIBERS; i++) {
    counts.push(0);
    sockets.push(await subscriber(hubUrl(hub), `sub${i}`, 'bench', counts, i));
  }
  const pub = await rawAgent(hubUrl(hub), 'publisher');
  sockets.push(pub.ws);
  const frame = JSON.stringify({ message_type: 'PUBLISH', topics: 'bench', payload: PAYLOAD });

  const bc = await startProc('rawServer', { mode: 'broadcast' });
  const bcounts: number[] = [];
  for (let i = 0; i < SUBSCRIBERS; i++) {
    const ws = await openWs(rawUrl(bc));
    bcounts.push(0);
    ws.on('message', () => void bcounts[i]!++);
    sockets.push(ws);
  }
  const src = await openWs(rawUrl(bc));
  sockets.push(src);
  // what the hub delivers is about this size: the stored message with its id, sender, timestamps
  const delivered = JSON.stringify({ message_type: 'TOPIC_MESSAGE', message_id: '4660195248982056960', message: { id: '4660195248982056960', namespace: 'default', sender: { id: 'agent_00000000', name: 'publisher' }, topics: 'bench', topic_published_to: 'bench', payload: PAYLOAD, format: 'generic_json', priority: 4, timestamp: 1_800_000_000.123, thread: ['4660195248982056960'] } });
  await sleep(200);

  const rates = await burstRates(
    k,
    { send: () => pub.ws.send(frame), got: counts, what: 'subscribers to receive every topic message' },
    { send: () => src.send(delivered), got: bcounts, what: 'raw broadcast' },
    180_000,
  );
  for (const s of sockets) s.terminate();
  await bc.stop();
  return { ...rates, hub };
}

function message(gen: TopicIdGenerator, topic: string, i: number): StoredTopicMessageT {
  const id = gen.next(4);
  return { id, namespace: 'default', sender: { id: 'agent_bench', name: 'bench' }, topics: topic, topic_published_to: topic, payload: { ...PAYLOAD, i }, format: 'generic_json', priority: 4, timestamp: decodeTopicId(id).timestamp / 1000, thread: [id] };
}

/** The store's writes done raw: SET + ZADD per message in pipelines of 100, messages/s. */
async function rawPipeline(redis: Redis, prefix: string, n: number): Promise<number> {
  const gen = new TopicIdGenerator(200);
  const msgs = Array.from({ length: n }, (_, i) => message(gen, 'raw', i));
  const t0 = performance.now();
  for (let i = 0; i < n; i += 100) {
    const p = redis.pipeline();
    for (const m of msgs.slice(i, i + 100)) {
      p.set(`${prefix}m:default:${m.id}`, JSON.stringify(m));
      p.zadd(`${prefix}z:default:raw`, Math.round(m.timestamp * 1000), m.id);
    }
    await p.exec();
  }
  return (n / (performance.now() - t0)) * 1000;
}

async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.unlink(...keys);
  } while (cursor !== '0');
}

export async function topicRows(quick: boolean): Promise<Row[]> {
  const rows: Row[] = [];
  const k = quick ? 2000 : 10_000;
  const mem = await topicFanOut({}, k);
  await mem.hub.stop();
  const memRatio = mem.ours / mem.baseline;
  rows.push({ what: `topic publish → ${SUBSCRIBERS} subscribers (memory store)`, ours: fmt.rate(mem.ours), baseline: `${fmt.rate(mem.baseline)} (raw ws broadcast to ${SUBSCRIBERS})`, ratio: fmt.ratio(memRatio), goal: '≥ 0.5×', met: memRatio >= 0.5 });

  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
  } catch (err) {
    rows.push({ what: 'topics on Redis', ours: 'skipped', baseline: '', ratio: '', goal: '', met: null, notes: `Redis not reachable at ${REDIS_URL}: ${(err as Error).message}` });
    redis.disconnect();
    return rows;
  }
  const prefix = `sbbench_${randomBytes(4).toString('hex')}:`;
  try {
    const viaRedis = await topicFanOut({ topicStore: REDIS_URL, topicKeyPrefix: prefix }, k);
    await viaRedis.hub.stop();
    const raw = await rawPipeline(redis, prefix, k);
    const ratio = viaRedis.ours / raw;
    rows.push({ what: `topic publish → ${SUBSCRIBERS} subscribers (Redis store)`, ours: fmt.rate(viaRedis.ours), baseline: `${fmt.rate(raw)} (raw ioredis SET+ZADD pipelines)`, ratio: fmt.ratio(ratio), goal: '≥ 0.5×', met: ratio >= 0.5, notes: `the same hub with the memory store: ${fmt.ratio(viaRedis.ours / mem.ours)} of its rate; raw ws broadcast to ${SUBSCRIBERS} in the same run: ${fmt.rate(viaRedis.baseline)} — the hub's WebSocket fan-out, which the raw pipeline does not do, bounds this ratio at ${fmt.ratio(viaRedis.baseline / raw)}` });

    // HISTORY since id from a large topic: filled straight into the store (one message per ms of a past stretch), in
    // pipelines of FILL_CHUNK messages (one round trip each)
    const total = quick ? 100_000 : 1_000_000;
    const store = new RedisTopicStore(REDIS_URL, { keyPrefix: prefix });
    let t = Date.now() - total - 60_000;
    const gen = new TopicIdGenerator(201, () => t++);
    const ids: string[] = [];
    for (let i = 0; i < total; i += FILL_CHUNK) {
      const batch = Array.from({ length: Math.min(FILL_CHUNK, total - i) }, (_, j) => message(gen, 'big', i + j));
      for (const m of batch) ids.push(m.id);
      await store.appendBatch(batch);
    }
    await store.close();
    const hub = await startProc('hubProc', { topicStore: REDIS_URL, topicKeyPrefix: prefix });
    const times: number[] = [];
    let pending: ((n: number) => void) | undefined;
    const q = await rawAgent(hubUrl(hub), 'reader', (s) => {
      if (s.startsWith('{"message_type":"HISTORY_RESPONSE"')) pending?.((JSON.parse(s) as { messages: unknown[] }).messages.length);
    });
    const queries = quick ? 50 : 200;
    for (let i = 0; i < queries + 10; i++) {
      const since = ids[Math.floor(Math.random() * (total - 1001))]!;
      const t0 = performance.now();
      const got = await new Promise<number>((resolve) => {
        pending = resolve;
        q.ws.send(JSON.stringify({ message_type: 'HISTORY', topic: 'big', since_id: since, limit: 1000 }));
      });
      if (got !== 1000) throw new Error(`HISTORY returned ${got} messages, expected 1000`);
      if (i >= 10) times.push(performance.now() - t0); // the first 10 warm up
    }
    q.ws.terminate();
    await hub.stop();
    times.sort((a, b) => a - b);
    const p99 = percentile(times, 99);
    rows.push({ what: `HISTORY since id, 1,000 of a topic of ${total.toLocaleString('en-US')} on Redis (through the hub)`, ours: `p50 ${fmt.ms(percentile(times, 50))}, p99 ${fmt.ms(p99)}`, baseline: '—', ratio: '—', goal: 'p99 < 10 ms', met: p99 < 10 });
  } finally {
    await deletePrefix(redis, prefix);
    redis.disconnect();
  }
  return rows;
}
