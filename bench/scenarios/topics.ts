// Seed 004 topic benchmarks, each against a baseline measured in the same run:
//   - PUBLISH → TOPIC_MESSAGE to 10 subscribers through the hub, memory store, against a raw `ws` broadcast to 10;
//   - the same with the Redis store, against the same work done raw: ioredis pipelines of the store's writes (SET of
//     the body + ZADD of the member that carries it, per message), each turn's messages broadcast raw to 10 once
//     written;
//   - the hub's RedisTopicStore alone, appends/s, against raw ioredis pipelines writing the same keys and bytes;
//   - HISTORY since an id (1,000 messages) from a topic of 1,000,000 on Redis (100,000 with --quick): p50/p99, queried
//     by a client process of its own (procs/historyClient.ts).

import type WebSocket from 'ws';
import { Redis, type ChainableCommander } from 'ioredis';
import { randomBytes } from 'node:crypto';
import type { HistoryRun } from '../procs/historyClient';
import { MEMBER_HEAD, RedisTopicStore, memberHead } from '../../src/hub/topics/redisTopicStore';
import { idOfJson } from '../../src/hub/topics/topicStore';
import { TopicIdGenerator, decodeTopicId } from '../../src/protocol/ids';
import type { StoredTopicMessageT } from '../../src/protocol/topics';
import { startProc, rawAgent, openWs, percentile, sleep, waitFor, fmt, burstRates, alternate, type Row, type BenchProc } from '../lib';

const REDIS_URL = process.env.SWITCHBOARD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SUBSCRIBERS = 10;
/** Messages per HISTORY query. */
const HISTORY_LIMIT = 1000;
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
          for (const m of mine) rawWrites(p, composite.prefix, m);
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

/** Messages per raw pipeline, and per event-loop turn of the store's appends. */
const WRITE_BATCH = 100;

/**
 * A message's writes done raw, queued into pipeline `p` the plain way (two commands a message): a SET of its JSON under
 * the key the store looks it up by, and a ZADD of its topic's member (the store's head + the same JSON; layout 2 holds
 * a message twice), scored by its ms.
 */
function rawWrites(p: ChainableCommander, prefix: string, m: StoredTopicMessageT): void {
  const json = JSON.stringify(m);
  p.set(`${prefix}m:default:${m.id}`, json);
  p.zadd(`${prefix}z:default:${m.topic_published_to}`, Math.round(m.timestamp * 1000), memberHead(m.id, undefined) + json);
}

/** rawWrites in pipelines of WRITE_BATCH, one at a time; ms taken. */
async function rawPipeline(redis: Redis, prefix: string, msgs: readonly StoredTopicMessageT[]): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < msgs.length; i += WRITE_BATCH) {
    const p = redis.pipeline();
    for (const m of msgs.slice(i, i + WRITE_BATCH)) rawWrites(p, prefix, m);
    await p.exec();
  }
  return performance.now() - t0;
}

/**
 * The same keys and bytes in the store's own commands, raw: per pipeline of WRITE_BATCH one MSET of the bodies and one
 * ZADD of the members (what RedisTopicStore's batch() sends for a turn's messages of one topic, without a ttl); ms taken.
 */
async function rawStoreCommands(redis: Redis, prefix: string, msgs: readonly StoredTopicMessageT[]): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < msgs.length; i += WRITE_BATCH) {
    const bodies: string[] = [];
    const members: (string | number)[] = [];
    for (const m of msgs.slice(i, i + WRITE_BATCH)) {
      const json = JSON.stringify(m);
      bodies.push(`${prefix}m:default:${m.id}`, json);
      members.push(Math.round(m.timestamp * 1000), memberHead(m.id, undefined) + json);
    }
    await redis.pipeline().mset(...bodies).zadd(`${prefix}z:default:${msgs[i]!.topic_published_to}`, ...members).exec();
  }
  return performance.now() - t0;
}

/** The hub's store: WRITE_BATCH appends in one turn (as the hub puts a turn's messages), the next turn once written; ms taken. */
async function storeAppends(store: RedisTopicStore, msgs: readonly StoredTopicMessageT[]): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < msgs.length; i += WRITE_BATCH) await Promise.all(msgs.slice(i, i + WRITE_BATCH).map((m) => store.append(m)));
  return performance.now() - t0;
}

/** Fails unless message `m` is in Redis as the raw writes put it: its body under its key, its member in its topic's set. */
async function checkWritten(redis: Redis, prefix: string, m: StoredTopicMessageT, who: string): Promise<void> {
  const json = JSON.stringify(m);
  const body = await redis.get(`${prefix}m:default:${m.id}`);
  const score = await redis.zscore(`${prefix}z:default:${m.topic_published_to}`, memberHead(m.id, undefined) + json);
  if (body !== json || score !== String(Math.round(m.timestamp * 1000))) throw new Error(`${who} did not write message ${m.id} as the raw pipeline does (body ${body === json ? 'same' : 'differs'}, member score ${score})`);
}

/**
 * Appends/s of the hub's RedisTopicStore against raw ioredis pipelines of the same messages' writes (the plain two
 * commands a message, and the store's own commands), `n` messages a side in alternating rounds, each side its own
 * topic (names of one length, so the bytes per message are equal).
 */
async function storeVsRaw(redis: Redis, prefix: string, n: number): Promise<{ ours: number; raw: number; rawStore: number; perSide: number; rounds: number }> {
  const store = new RedisTopicStore(REDIS_URL, { keyPrefix: prefix });
  const sides = [
    { topic: 'hub', gen: new TopicIdGenerator(203), write: (ms: StoredTopicMessageT[]) => storeAppends(store, ms), ms: 0, last: undefined as StoredTopicMessageT | undefined },
    { topic: 'raw', gen: new TopicIdGenerator(200), write: (ms: StoredTopicMessageT[]) => rawPipeline(redis, prefix, ms), ms: 0, last: undefined as StoredTopicMessageT | undefined },
    { topic: 'rms', gen: new TopicIdGenerator(204), write: (ms: StoredTopicMessageT[]) => rawStoreCommands(redis, prefix, ms), ms: 0, last: undefined as StoredTopicMessageT | undefined },
  ];
  const rounds = 6;
  const per = Math.round(n / rounds / WRITE_BATCH) * WRITE_BATCH;
  let seq = 0;
  const batch = (s: (typeof sides)[number], count: number): StoredTopicMessageT[] => Array.from({ length: count }, () => message(s.gen, s.topic, seq++));
  try {
    // untimed warm-up, a few batches a side: the store's first write checks the layout key and lists the topic
    for (const s of sides) await s.write(batch(s, 10 * WRITE_BATCH));
    for (let r = 0; r < rounds; r++) {
      // each side goes first, second and third in turn
      for (let j = 0; j < sides.length; j++) {
        const s = sides[(r + j) % sides.length]!;
        const msgs = batch(s, per);
        s.ms += await s.write(msgs);
        s.last = msgs[msgs.length - 1];
      }
    }
  } finally {
    await store.close();
  }
  for (const s of sides) await checkWritten(redis, prefix, s.last!, s.topic === 'hub' ? 'RedisTopicStore' : `raw (${s.topic})`);
  const rate = (s: (typeof sides)[number]): number => ((per * rounds) / s.ms) * 1000;
  return { ours: rate(sides[0]!), raw: rate(sides[1]!), rawStore: rate(sides[2]!), perSide: per * rounds, rounds };
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
    const w = await storeVsRaw(redis, prefix, quick ? 30_000 : 60_000);
    await deletePrefix(redis, prefix); // the rows' keys so far: the HISTORY row's topic need not share Redis's memory with them
    const ratio = viaRedis.ours / viaRedis.baseline;
    rows.push({
      what: `topic publish → ${SUBSCRIBERS} subscribers (Redis store)`,
      ours: fmt.rate(viaRedis.ours),
      baseline: `${fmt.rate(viaRedis.baseline)} (the same work raw: ioredis SET+ZADD pipelines of the same bytes, then a raw ws broadcast to ${SUBSCRIBERS})`,
      ratio: fmt.ratio(ratio),
      goal: '≥ 0.5×',
      met: ratio >= 0.5,
      notes:
        `the baseline writes every message sent in one turn in one pipeline (SET of the body, ZADD of the member carrying it), then broadcasts them once written, alternating rounds with ours; ` +
        `against the raw pipeline alone (stores, delivers to nobody; the row below): ${fmt.rate(w.raw)}, ratio ${fmt.ratio(viaRedis.ours / w.raw)} — whose ceiling is what a raw ws broadcast to ${SUBSCRIBERS} alone does (memory row: ${fmt.rate(mem.baseline)} = ${fmt.ratio(mem.baseline / w.raw)} of the raw pipeline), whatever the store costs; ` +
        `the same hub with the memory store: ${fmt.ratio(viaRedis.ours / mem.ours)} of its rate`,
    });
    const appendRatio = w.ours / w.raw;
    rows.push({
      what: "Redis store: appends/s (the hub's RedisTopicStore, same messages)",
      ours: fmt.rate(w.ours),
      baseline: `${fmt.rate(w.raw)} (raw ioredis pipelines of the same bytes, ${WRITE_BATCH} messages each)`,
      ratio: fmt.ratio(appendRatio),
      goal: '≥ 0.5×',
      met: appendRatio >= 0.5,
      notes:
        `ours: RedisTopicStore.append, ${WRITE_BATCH} messages in one event-loop turn (as the hub puts a turn's messages), the next ${WRITE_BATCH} once written — it sends one MSET of the bodies and one ZADD of the members per turn (and a ZCARD per 256 appends for its per-topic bound); ` +
        `baseline: per message a SET of its JSON under its id's key and a ZADD of head + the same JSON into its topic's set, ${WRITE_BATCH} messages (200 commands) per pipeline, one pipeline at a time; ` +
        `same keys and bytes (checked by reading one message of each side back), ${w.perSide.toLocaleString('en-US')} messages a side in ${w.rounds} rounds (the sides take turns going first); ` +
        `the same writes raw in the store's commands (MSET + ZADD per ${WRITE_BATCH}), alternating too: ${fmt.rate(w.rawStore)}, ours ${fmt.ratio(w.ours / w.rawStore)} of it`,
    });

    rows.push(await historyRow(redis, quick ? 100_000 : 1_000_000, 500, prefix));
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
 * redis-cli --scan --pattern 'sbbench_keep_name_*' | xargs -r redis-cli unlink). The querying client is a process of
 * its own (procs/historyClient.ts) given the since-ids, picked here at random among those with 1,000 messages after
 * them: its heap holds one connection, not this process's leftovers, so its GC pauses are a client's.
 */
export async function historyRow(redis: Redis, total: number, queries: number, runPrefix: string): Promise<Row> {
  const keep = process.env.BENCH_TOPICS_KEEP;
  const prefix = keep ? `sbbench_keep_${keep.replace(/[^\w-]/g, '_')}_${total}:` : runPrefix;
  const ids = await fillBigTopic(redis, prefix, total);
  const warmup = 10;
  const sinceIds = Array.from({ length: warmup + queries }, () => String(ids[Math.floor(Math.random() * (total - HISTORY_LIMIT - 1))]!));
  const hub = await startProc('hubProc', { topicStore: REDIS_URL, topicKeyPrefix: prefix });
  const raw = await startProc('rawServer', { mode: 'reply' });
  const client = await startProc('historyClient', { url: hubUrl(hub), rawUrl: rawUrl(raw), topic: 'big', sinceIds, limit: HISTORY_LIMIT });
  const run = async (target: 'hub' | 'raw', from: number, to: number): Promise<HistoryRun> => {
    const r = await client.call<HistoryRun | { error: string }>('run', { target, from, to });
    if ('error' in r) throw new Error(r.error);
    return r;
  };
  try {
    await run('hub', 0, warmup);
    // the baseline answers with a response the hub gave, from memory, as it is: what a server that had it ready sends
    await raw.call('setReply', await client.call<string>('sample'));
    await run('raw', 0, warmup);
    await hub.call('gcStats'); // the pauses so far are the fill's and the warm-up's
    // alternating rounds, so what else the machine does meanwhile falls on both alike
    const ours: HistoryRun[] = [];
    const base: HistoryRun[] = [];
    const rounds = 5;
    const per = Math.ceil(queries / rounds);
    let hubCpuUs = 0;
    // round k of either side asks since the same ids: sinceIds[warmup + k·per, …)
    const slice = (k: number): [number, number] => [warmup + k * per, Math.min(warmup + queries, warmup + (k + 1) * per)];
    await alternate(
      rounds,
      async () => {
        const c0 = await hub.stats();
        ours.push(await run('hub', ...slice(ours.length)));
        const c1 = await hub.stats();
        hubCpuUs += c1.cpuUserUs + c1.cpuSystemUs - c0.cpuUserUs - c0.cpuSystemUs;
      },
      async () => void base.push(await run('raw', ...slice(base.length))),
    );
    const hubGc = await hub.call<{ minor: number[]; major: number[] }>('gcStats');
    const hubCpuMs = hubCpuUs / 1000 / queries;
    const sorted = (runs: HistoryRun[], k: 'total' | 'arrived' | 'parsing'): number[] => runs.flatMap((r) => r[k]).sort((a, b) => a - b);
    const [arrived, whole, parsing] = [sorted(ours, 'arrived'), sorted(ours, 'total'), sorted(ours, 'parsing')];
    const [bArrived, bTotal] = [sorted(base, 'arrived'), sorted(base, 'total')];
    const p = (xs: number[], q: number): string => fmt.ms(percentile(xs, q));
    const p99 = percentile(arrived, 99);
    const longest = (xs: number[]): string => fmt.ms(Math.max(0, ...xs));
    const clientGc = ours.flatMap((r) => r.gc);
    return {
      what: `HISTORY since id, 1,000 of a topic of ${total.toLocaleString('en-US')} on Redis (through the hub): until the whole response is in the client`,
      ours: `p50 ${p(arrived, 50)}, p99 ${p(arrived, 99)}`,
      baseline: `p50 ${p(bArrived, 50)}, p99 ${p(bArrived, 99)} (a raw ws server sending the same response from memory)`,
      ratio: `+${fmt.ms(percentile(arrived, 99) - percentile(bArrived, 99))} p99`,
      goal: 'p99 < 10 ms',
      met: p99 < 10,
      notes:
        `${queries} queries a side after ${warmup} to warm up, one at a time, from a client process of its own, in ${rounds} alternating rounds; the time from sending HISTORY until ws in the client has the whole HISTORY_RESPONSE (~${Math.round(ours[0]!.size / 1024)} KB, every one checked to hold ${HISTORY_LIMIT.toLocaleString('en-US')} messages). ` +
        `With the client's own decoding and JSON.parse of it (p50 ${p(parsing, 50)}, p99 ${p(parsing, 99)}; the same work for any server): ours p50 ${p(whole, 50)}, p99 ${p(whole, 99)}; the raw server p50 ${p(bTotal, 50)}, p99 ${p(bTotal, 99)}. ` +
        `Hub CPU ${hubCpuMs.toFixed(2)} ms per query; GC pauses during ours and the baseline: the hub's ${hubGc.minor.length} minor (scavenges, longest ${longest(hubGc.minor)}) and ${hubGc.major.length} major (mark-compact and its incremental steps, longest ${longest(hubGc.major)}), the client's during ours ${clientGc.length} (longest ${longest(clientGc)})`,
    };
  } finally {
    await client.stop();
    await raw.stop();
    await hub.stop();
  }
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
