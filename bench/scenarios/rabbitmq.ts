// RabbitMQ bus benchmark: publish with confirms + consume through our RabbitMqBus against a raw amqplib confirm
// channel and consumer doing the same job (same ~200 B JSON envelopes, same window of unconfirmed publishes, same
// durable queue, persistent messages, prefetch and per-message acks), in the same run against the same broker.

import { connect } from 'amqplib';
import { RabbitMqBus } from '../../src/bus/rabbitmqBus';
import { queueChannel } from '../../src/bus/bus';
import { fmt, type Row } from '../lib';
import { RABBIT_URL, benchEnvelope, cleanupRabbit, runPrefix, until, windowedSends } from './brokerCommon';

/** Unconfirmed publishes at once on both sides (our bus's own default maxInflight is 1,000). */
const WINDOW = 1000;
/** Our bus's default prefetch: the raw consumer uses the same. */
const PREFETCH = 100;

export interface ThroughputResult {
  ours: number;
  baseline: number;
  n: number;
  bytes: number;
}

/** Our bus: a publishing bus and a consuming bus (as two hubs would have) on one `queue:` channel. */
async function oursOnce(queue: string, n: number, prefix: string): Promise<number> {
  const pub = new RabbitMqBus({ url: RABBIT_URL, prefix, maxInflight: WINDOW, prefetch: PREFETCH, connectionName: 'bench-ours-pub' });
  const sub = new RabbitMqBus({ url: RABBIT_URL, prefix, prefetch: PREFETCH, connectionName: 'bench-ours-sub' });
  try {
    await Promise.all([pub.ready(), sub.ready()]);
    let got = 0;
    const unsub = await sub.subscribe(queueChannel(queue), () => {
      got++;
    });
    await pub.declareQueues([queue]);
    const t0 = performance.now();
    await windowedSends(n, WINDOW, (i, done) => {
      pub.publish(queueChannel(queue), benchEnvelope(i)).then(() => done(), done);
    });
    await until(() => got, n, 60_000, 'our bus to consume every message');
    const rate = (n / (performance.now() - t0)) * 1000;
    await unsub();
    return rate;
  } finally {
    await pub.close();
    await sub.close();
  }
}

/**
 * Raw amqplib: a confirm channel publishing to the default exchange, a consumer acking each message. Same socket
 * options as our bus (TCP_NODELAY), so the comparison is of the code above the socket, not of Nagle.
 */
async function rawOnce(queue: string, n: number): Promise<number> {
  const pubConn = await connect(RABBIT_URL, { noDelay: true });
  const subConn = await connect(RABBIT_URL, { noDelay: true });
  try {
    const pch = await pubConn.createConfirmChannel();
    const sch = await subConn.createChannel();
    await sch.prefetch(PREFETCH);
    await sch.assertQueue(queue, { durable: true });
    let got = 0;
    await sch.consume(
      queue,
      (msg) => {
        if (!msg) return;
        JSON.parse(msg.content.toString('utf8')); // the consumer needs the object, as ours does
        got++;
        sch.ack(msg);
      },
      { noAck: false },
    );
    const t0 = performance.now();
    let waitingDrain: Array<() => void> | undefined;
    await windowedSends(n, WINDOW, (i, done) => {
      const m = benchEnvelope(i);
      const go = (): void => {
        const ok = pch.publish(
          '',
          queue,
          Buffer.from(JSON.stringify(m), 'utf8'),
          { persistent: true, contentType: 'application/json', messageId: String(m.message_id), timestamp: Math.floor(Date.now() / 1000), type: m.message_type },
          (err) => done(err ?? undefined),
        );
        if (!ok && !waitingDrain) {
          waitingDrain = [];
          pch.once('drain', () => {
            const w = waitingDrain ?? [];
            waitingDrain = undefined;
            for (const f of w) f();
          });
        }
      };
      // Respect amqplib's buffer exactly as our bus does: wait for 'drain' once publish() said false.
      if (waitingDrain) waitingDrain.push(go);
      else go();
    });
    await until(() => got, n, 60_000, 'the raw consumer to consume every message');
    const rate = (n / (performance.now() - t0)) * 1000;
    await pch.close();
    await sch.close();
    return rate;
  } finally {
    await pubConn.close().catch(() => undefined);
    await subConn.close().catch(() => undefined);
  }
}

/** Best of `rounds` for each side, alternating raw/ours so drift on a noisy machine hits both. */
export async function rabbitmqBusThroughput(n = 20_000, rounds = 2): Promise<ThroughputResult> {
  const prefix = runPrefix('rmq');
  const qOurs = `${prefix}ours`;
  const qRaw = `${prefix}raw`;
  let ours = 0;
  let baseline = 0;
  try {
    // Warm-up: JIT, connections, queue declarations.
    await rawOnce(qRaw, 2000);
    await oursOnce(qOurs, 2000, prefix);
    for (let r = 0; r < rounds; r++) {
      baseline = Math.max(baseline, await rawOnce(qRaw, n));
      ours = Math.max(ours, await oursOnce(qOurs, n, prefix));
    }
  } finally {
    await cleanupRabbit(prefix, [qOurs, qRaw]);
  }
  return { ours, baseline, n, bytes: Buffer.byteLength(JSON.stringify(benchEnvelope(n - 1))) };
}

export async function rabbitmqRows(quick: boolean): Promise<Row[]> {
  const r = await rabbitmqBusThroughput(quick ? 10_000 : 20_000, quick ? 1 : 3);
  const ratio = r.ours / r.baseline;
  return [
    {
      what: `RabbitMQ bus: publish with confirms + consume (${r.n.toLocaleString('en-US')} × ${r.bytes} B, ${WINDOW} unconfirmed)`,
      ours: fmt.rate(r.ours),
      baseline: `${fmt.rate(r.baseline)} (raw amqplib confirm channel)`,
      ratio: fmt.ratio(ratio),
      goal: '≥ 0.8×',
      met: ratio >= 0.8,
    },
  ];
}
