// Seed 004 topic benchmarks, each against a baseline measured in the same run:
//   - PUBLISH → TOPIC_MESSAGE to 10 subscribers through the hub, memory store, against a raw `ws` broadcast to 10;
//   - the same with the Redis store, against raw ioredis pipelines doing the store's writes (SET of the body + ZADD of
//     the member that carries it, per message),
//     and (in its notes) against that pipeline and a raw ws broadcast of the same messages together;
//   - HISTORY since an id (1,000 messages) from a topic of 1,000,000 on Redis (100,000 with --quick): p50/p99.

import type WebSocket from 'ws';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { PerformanceObserver } from 'node:perf_hooks';
import { MEMBER_HEAD, RedisTopicStore, memberHead } from '../../src/hub/topics/redisTopicStore';
import { idOfJson } from '../../src/hub/topics/topicStore';
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

/**
 * Messages/s delivered to every one of 10 subscribers: the hub (with these options) vs a raw ws broadcast — or, with
 * `composite`, vs the raw pipeline and the raw broadcast together: every message sent in one turn written in one
 * pipeline (SET + ZADD of the body-carrying member each), then broadcast once that pipeline is written (what the hub does, done raw).
 */
async function topicFanOut(hubOpts: Record<string, unknown>, k: number, composite?: { redis: Redis; prefix: string }): Promise<{ ours: number; baseline: number; hub: BenchProc }> {
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

  let baselineSend = (): void => src.send(delivered);
  if (composite) {
    const gen = new TopicIdGenerator(202);
    let batch: StoredTopicMessageT[] | undefined;
    baselineSend = () => {
      if (!batch) {
        const mine: StoredTopicMessageT[] = (batch = []);
        setImmediate(() => {
          batch = undefined;
          const p = composite.redis.pipeline();
          for (const m of mine) {
            const json = JSON.stringify(m);
            p.set(`${composite.prefix}m:default:${m.id}`, json);
            p.zadd(`${composite.prefix}z:default:composite`, Math.round(m.timestamp * 1000), memberHead(m.id, undefined) + json);
          }
          void p.exec().then(() => {
            for (let i = 0; i < mine.length; i++) src.send(delivered);
          });
        });
      }
      batch.push(message(gen, 'composite', batch.length));
    };
  }
  const rates = await burstRates(
    k,
    { send: () => pub.ws.send(frame), got: counts, what: 'subscribers to receive every topic message' },
    { send: baselineSend, got: bcounts, what: composite ? 'raw pipeline + raw broadcast' : 'raw broadcast' },
    180_000,
  );
  for (const s of sockets) s.terminate();
  await bc.stop();
  return { ...rates, hub };
}

function message(gen: TopicIdGenerator, topic: string, i: number): StoredTopicMessageT {
  const id = gen.next(4);
  // id, namespace, topic_published_to first, as the hub builds a stored message
  return { id, namespace: 'default', topic_published_to: topic, sender: { id: 'agent_bench', name: 'bench' }, topics: topic, payload: { ...PAYLOAD, i }, format: 'generic_json', priority: 4, timestamp: decodeTopicId(id).timestamp / 1000, thread: [id] };
}

/**
 * The store's writes done raw, messages/s: per message a SET of its JSON (lookup by id) and a ZADD of its topic member
 * (head + the same JSON: layout 2 holds a message twice), in pipelines of 100.
 */
async function rawPipeline(redis: Redis, prefix: string, n: number): Promise<number> {
  const gen = new TopicIdGenerator(200);
  const msgs = Array.from({ length: n }, (_, i) => message(gen, 'raw', i));
  const t0 = performance.now();
  for (let i = 0; i < n; i += 100) {
    const p = redis.pipeline();
    for (const m of msgs.slice(i, i + 100)) {
      const json = JSON.stringify(m);
      p.set(`${prefix}m:default:${m.id}`, json);
      p.zadd(`${prefix}z:default:raw`, Math.round(m.timestamp * 1000), memberHead(m.id, undefined) + json);
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
    const viaRedis = await topicFanOut({ topicStore: REDIS_URL, topicKeyPrefix: prefix }, k, { redis, prefix });
    await viaRedis.hub.stop();
    const raw = await rawPipeline(redis, prefix, k);
    const ratio = viaRedis.ours / raw;
    rows.push({
      what: `topic publish → ${SUBSCRIBERS} subscribers (Redis store)`,
      ours: fmt.rate(viaRedis.ours),
      baseline: `${fmt.rate(raw)} (raw ioredis SET+ZADD pipelines of the same bytes)`,
      ratio: fmt.ratio(ratio),
      goal: '≥ 0.5×',
      met: ratio >= 0.5,
      notes:
        `against the raw pipeline + a raw ws broadcast to ${SUBSCRIBERS} of the same messages together (one pipeline per turn, broadcast once written), alternating with ours: ${fmt.rate(viaRedis.baseline)}, ratio ${fmt.ratio(viaRedis.ours / viaRedis.baseline)}; ` +
        `the same hub with the memory store: ${fmt.ratio(viaRedis.ours / mem.ours)} of its rate; ` +
        `the baseline stores and delivers to nobody: a raw ws broadcast to ${SUBSCRIBERS} alone (memory row) does ${fmt.rate(mem.baseline)} = ${fmt.ratio(mem.baseline / raw)} of it, the ceiling of this ratio for a store that cost nothing`,
    });

    rows.push(await historyRow(redis, quick ? 100_000 : 1_000_000, quick ? 50 : 200, prefix));
  } finally {
    await deletePrefix(redis, prefix);
    redis.disconnect();
  }
  return rows;
}

/**
 * HISTORY since id (1,000 messages) from a topic of `total` through the hub, p50/p99. The topic is filled straight into
 * the store (one message per ms of a past stretch) in one pipeline per FILL_CHUNK messages. With BENCH_TOPICS_KEEP=name
 * it lives under its own prefix and is kept, and a later run with the same name and size reuses it (delete it with
 * redis-cli --scan --pattern 'sbbench_keep_name:*' | xargs redis-cli unlink).
 */
export async function historyRow(redis: Redis, total: number, queries: number, runPrefix: string): Promise<Row> {
  const keep = process.env.BENCH_TOPICS_KEEP;
  const prefix = keep ? `sbbench_keep_${keep.replace(/[^\w-]/g, '_')}_${total}:` : runPrefix;
  const ids = await fillBigTopic(redis, prefix, total);
  const hub = await startProc('hubProc', { topicStore: REDIS_URL, topicKeyPrefix: prefix });
  const times: number[] = [];
  /** Until the frame is in the client as a string (before its JSON is parsed), and the parse alone. */
  const arrived: number[] = [];
  const parsing: number[] = [];
  let t0 = 0;
  let size = 0;
  let pending: ((n: number) => void) | undefined;
  const q = await rawAgent(hubUrl(hub), 'reader', (s) => {
    if (!s.startsWith('{"message_type":"HISTORY_RESPONSE"')) return;
    const t1 = performance.now();
    size = s.length;
    const n = (JSON.parse(s) as { messages: unknown[] }).messages.length;
    arrived.push(t1 - t0);
    parsing.push(performance.now() - t1);
    pending?.(n);
  });
  let cpu0 = await hub.stats();
  // the querying client's own GC pauses while it queries (they delay the frame's arrival as if the hub were slow)
  const clientGc: number[] = [];
  const gcObserver = new PerformanceObserver((l) => {
    for (const e of l.getEntries()) clientGc.push(e.duration);
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  for (let i = 0; i < queries + 10; i++) {
    const since = String(ids[Math.floor(Math.random() * (total - 1001))]!);
    t0 = performance.now();
    const got = await new Promise<number>((resolve) => {
      pending = resolve;
      q.ws.send(JSON.stringify({ message_type: 'HISTORY', topic: 'big', since_id: since, limit: 1000 }));
    });
    if (got !== 1000) throw new Error(`HISTORY returned ${got} messages, expected 1000`);
    if (i >= 10) times.push(performance.now() - t0); // the first 10 warm up
    else {
      arrived.length = parsing.length = 0;
      if (i === 9) cpu0 = await hub.stats();
    }
  }
  const cpu1 = await hub.stats();
  gcObserver.disconnect();
  const gcMax = Math.max(0, ...clientGc);
  q.ws.terminate();
  await hub.stop();
  const hubCpuMs = (cpu1.cpuUserUs + cpu1.cpuSystemUs - cpu0.cpuUserUs - cpu0.cpuSystemUs) / 1000 / queries;
  times.sort((a, b) => a - b);
  arrived.sort((a, b) => a - b);
  parsing.sort((a, b) => a - b);
  const p99 = percentile(times, 99);
  return {
    what: `HISTORY since id, 1,000 of a topic of ${total.toLocaleString('en-US')} on Redis (through the hub)`,
    ours: `p50 ${fmt.ms(percentile(times, 50))}, p99 ${fmt.ms(p99)}`,
    baseline: '—',
    ratio: '—',
    goal: 'p99 < 10 ms',
    met: p99 < 10,
    notes:
      `${queries} queries after 10 to warm up, one at a time; the time from sending HISTORY to the parsed HISTORY_RESPONSE (~${Math.round(size / 1024)} KB each). ` +
      `Of it: until the frame is in the client as a string p50 ${fmt.ms(percentile(arrived, 50))}, p99 ${fmt.ms(percentile(arrived, 99))}; the client's JSON.parse of it p50 ${fmt.ms(percentile(parsing, 50))}, p99 ${fmt.ms(percentile(parsing, 99))}; ` +
      `hub CPU ${hubCpuMs.toFixed(2)} ms per query; the client's own GC pauses meanwhile: ${clientGc.length}, longest ${fmt.ms(gcMax)}`,
  };
}

/**
 * The ids of topic `big` under `prefix`, oldest first: filled now, or read back when a kept topic of this size is there.
 * Kept as 64-bit integers in one typed array, not a million strings: the querying client's heap must not hold a million
 * objects, or its own mark-compacts (~50 ms each, measured) land in the figure as if the hub had been slow.
 */
async function fillBigTopic(redis: Redis, prefix: string, total: number): Promise<BigUint64Array> {
  const z = `${prefix}z:default:big`;
  if ((await redis.zcard(z)) === total) {
    const ids = new BigUint64Array(total);
    let n = 0;
    // members are the messages (a head, then the JSON, whose first key is the id), in id order; a topic kept by a
    // version before layout 2 holds ids, and the hub converts it when it opens it
    for (let i = 0; i < total; i += 100_000) {
      for (const m of await redis.zrange(z, i, Math.min(total, i + 100_000) - 1)) ids[n++] = BigInt(/^\d+$/.test(m) ? m : idOfJson(m.slice(MEMBER_HEAD)));
    }
    return ids;
  }
  const store = new RedisTopicStore(REDIS_URL, { keyPrefix: prefix });
  let t = Date.now() - total - 60_000;
  const gen = new TopicIdGenerator(201, () => t++);
  const ids = new BigUint64Array(total);
  for (let i = 0; i < total; i += FILL_CHUNK) {
    const batch = Array.from({ length: Math.min(FILL_CHUNK, total - i) }, (_, j) => message(gen, 'big', i + j));
    batch.forEach((m, j) => (ids[i + j] = BigInt(m.id)));
    await store.appendBatch(batch);
  }
  await store.close();
  return ids;
}
