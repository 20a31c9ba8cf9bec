// Kafka bus benchmark: produce + consume through our KafkaBus against raw kafkajs doing the same job (idempotent
// producer, acks all, keyed by sender, the same ~200 B JSON; a consumer group parsing each message), in the same run
// against the same broker. The caller's side is the same for ours and the baseline: a window of 500 publishes, each
// one message resolved on its own — raw kafkajs as a user writes it (one producer.send() per message), ours one
// publish() per message, which the bus batches (up to 500 per request). A second raw kafkajs side that batches by hand
// (one sendBatch() of 500 at a time, the next once the last is acked) is reported in the row's notes: what the bus's
// batching is worth against a hand-written batch loop. Handing the bus all 40,000 at once instead measured 40,000
// promises, buffers and records alive together — about 50% more GC — rather than the bus. Group join is excluded
// from every side: the clock starts once the consumer has joined (our subscribe() resolves then; raw waits for
// GROUP_JOIN + run()).

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Kafka, Partitioners, logLevel, type Consumer } from 'kafkajs';
import { KafkaBus } from '../../src/bus/kafkaBus';
import { fmt, type Row } from '../lib';
import { KAFKA_BROKERS, benchEnvelope, runPrefix, until, windowedSends } from './brokerCommon';

/** Our bus's defaults, which the raw side copies. */
const BATCH = 500;
/**
 * Messages of the raw one-send-per-message side: a request per message runs at a few hundred per second on a shared
 * machine (one request on the wire at a time, as idempotence needs), a steady rate that 40,000 would take minutes to show.
 */
const PER_MESSAGE_N = 5_000;
const PARTITIONS = 3;
const SESSION_TIMEOUT_MS = 10_000;
const MAX_WAIT_MS = 1_000;

export interface KafkaResult {
  ours: number;
  /** Raw kafkajs, one producer.send() per message (a window of 500 at once, as ours). */
  baseline: number;
  /** Raw kafkajs batching by hand: one sendBatch() of 500 at a time. */
  batched: number;
  /** Every round's figure, for the spread. */
  rounds: { ours: number[]; baseline: number[]; batched: number[] };
  n: number;
  bytes: number;
}

/** How the raw kafkajs side produces: one send per message (as a user writes it) or batches of BATCH by hand. */
export type RawMode = 'perMessage' | 'batched';

export async function oursOnce(prefix: string, round: string, n: number): Promise<number> {
  const channel = `chat.${round}`;
  const bus = new KafkaBus({ brokers: KAFKA_BROKERS, clientId: `${prefix}ours`, topicPrefix: prefix, groupPrefix: `${prefix}g`, maxBatch: BATCH, partitions: PARTITIONS });
  try {
    await bus.ready(15_000);
    let got = 0;
    const unsub = await bus.subscribe(channel, () => {
      got++;
    });
    const t0 = performance.now();
    // At most one batch unacknowledged, as the raw side (which builds the next request once the last is acked).
    await windowedSends(n, BATCH, (i, done) => {
      bus.publish(channel, benchEnvelope(i)).then(() => done(), done);
    });
    await until(() => got, n, 120_000, 'our Kafka bus to consume every message');
    const rate = (n / (performance.now() - t0)) * 1000;
    await unsub();
    await bus.deleteTopics([channel]);
    return rate;
  } finally {
    await bus.close();
  }
}

export async function rawOnce(prefix: string, round: string, n: number, mode: RawMode = 'perMessage'): Promise<number> {
  const topic = `${prefix}raw-${mode}.${round}`;
  const groupId = `${prefix}raw-${mode}-group.${round}`;
  const kafka = new Kafka({ clientId: `${prefix}raw`, brokers: KAFKA_BROKERS, logLevel: logLevel.NOTHING, retry: { initialRetryTime: 100, maxRetryTime: 2000, retries: 6 } });
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  let consumer: Consumer | undefined;
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: -1 }] });
    await producer.connect();
    consumer = kafka.consumer({
      groupId,
      sessionTimeout: SESSION_TIMEOUT_MS,
      heartbeatInterval: SESSION_TIMEOUT_MS / 5,
      rebalanceTimeout: SESSION_TIMEOUT_MS,
      maxWaitTimeInMs: MAX_WAIT_MS,
      allowAutoTopicCreation: false,
    });
    const c = consumer;
    const joined = new Promise<void>((resolve) => c.on(c.events.GROUP_JOIN, () => resolve()));
    await c.connect();
    await c.subscribe({ topics: [topic], fromBeginning: true });
    let got = 0;
    await c.run({
      eachMessage: async ({ message }) => {
        if (message.value) JSON.parse(message.value.toString('utf8')); // the consumer needs the object, as ours does
        got++;
      },
    });
    await joined;
    const record = (j: number): { key: string; value: Buffer; headers: Record<string, string> } => {
      const m = benchEnvelope(j);
      return { key: String(m.sender_id), value: Buffer.from(JSON.stringify(m), 'utf8'), headers: {} };
    };
    const t0 = performance.now();
    if (mode === 'perMessage') {
      // As a user writes it: one send() per message, at most BATCH unacknowledged (the same window as ours).
      await windowedSends(n, BATCH, (i, done) => {
        producer.send({ topic, acks: -1, messages: [record(i)] }).then(() => done(), done);
      });
    } else {
      for (let i = 0; i < n; i += BATCH) {
        const messages = [];
        for (let j = i; j < Math.min(n, i + BATCH); j++) messages.push(record(j));
        await producer.sendBatch({ acks: -1, topicMessages: [{ topic, messages }] });
      }
    }
    await until(() => got, n, 120_000, 'the raw kafkajs consumer to consume every message');
    const rate = (n / (performance.now() - t0)) * 1000;
    await c.disconnect();
    consumer = undefined;
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.deleteTopics({ topics: [topic], timeout: 10_000 });
    return rate;
  } finally {
    await consumer?.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

/** Best of `rounds` for each side, alternating raw per message / raw batched / ours; each round on fresh topics and groups. */
export async function kafkaBusThroughput(n = 20_000, rounds = 2): Promise<KafkaResult> {
  const prefix = runPrefix('kafka').replace(/-$/, '.');
  const all = { ours: [] as number[], baseline: [] as number[], batched: [] as number[] };
  await rawOnce(prefix, 'warm', 2000, 'perMessage');
  await rawOnce(prefix, 'warm', 2000, 'batched');
  await oursOnce(prefix, 'warm', 2000);
  for (let r = 0; r < rounds; r++) {
    all.baseline.push(await rawOnce(prefix, `r${r}`, Math.min(n, PER_MESSAGE_N), 'perMessage'));
    all.batched.push(await rawOnce(prefix, `r${r}`, n, 'batched'));
    all.ours.push(await oursOnce(prefix, `r${r}`, n));
  }
  return {
    ours: Math.max(...all.ours),
    baseline: Math.max(...all.baseline),
    batched: Math.max(...all.batched),
    rounds: all,
    n,
    bytes: Buffer.byteLength(JSON.stringify(benchEnvelope(n - 1))),
  };
}

/**
 * The project's test broker (tools/kafka/kafka.sh) when the default address is used: started if it is not running
 * (the script is idempotent; the broker is left running, as shared infrastructure). Throws when it cannot start.
 */
function ensureKafka(): void {
  if (process.env.SWITCHBOARD_KAFKA_BROKERS) return; // someone else's broker: use it as it is
  const script = join(__dirname, '..', '..', 'tools', 'kafka', 'kafka.sh');
  if (spawnSync('bash', [script, 'status'], { stdio: 'ignore', timeout: 30_000 }).status === 0) return;
  const r = spawnSync('bash', [script, 'start'], { encoding: 'utf8', timeout: 180_000 });
  if (r.status !== 0) throw new Error(`Kafka is not running and tools/kafka/kafka.sh start failed: ${(r.stderr || r.stdout || '').trim().slice(-300)}`);
}

export async function kafkaRows(quick: boolean): Promise<Row[]> {
  ensureKafka();
  // At ~50k/s a few thousand messages take ~0.1 s: too short to tell anything on a noisy machine.
  const r = await kafkaBusThroughput(quick ? 20_000 : 40_000, quick ? 1 : 3);
  const ratio = r.ours / r.baseline;
  const list = (xs: number[]): string => xs.map((x) => fmt.rate(x)).join(', ');
  return [
    {
      what: `Kafka bus: produce (idempotent, acks all, one publish per message, ${BATCH} unacknowledged) + consume (${r.n.toLocaleString('en-US')} × ${r.bytes} B)`,
      ours: fmt.rate(r.ours),
      baseline: `${fmt.rate(r.baseline)} (raw kafkajs, one send() per message; ${Math.min(r.n, PER_MESSAGE_N).toLocaleString('en-US')} messages)`,
      ratio: fmt.ratio(ratio),
      goal: '≥ 1.0×',
      met: ratio >= 1.0,
      notes:
        `raw kafkajs batching by hand (sendBatch of ${BATCH}, one request at a time): ${fmt.rate(r.batched)}, ours ${fmt.ratio(r.ours / r.batched)} of it. ` +
        `Rounds — ours ${list(r.rounds.ours)}; raw per message ${list(r.rounds.baseline)}; raw batched ${list(r.rounds.batched)}.`,
    },
  ];
}
