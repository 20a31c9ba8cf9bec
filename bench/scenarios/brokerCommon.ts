// Shared by the broker benchmarks: unique names per run, the ~200 B envelope both sides send, a bounded window of
// unconfirmed publishes, and RabbitMQ clean-up by prefix (queues and exchanges this run made).

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect } from 'amqplib';
import type { Envelope } from '../../src/protocol/schemas';

export const RABBIT_URL = process.env.SWITCHBOARD_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
export const KAFKA_BROKERS = (process.env.SWITCHBOARD_KAFKA_BROKERS ?? '127.0.0.1:19092').split(',').map((s) => s.trim());

/** `bench-<pid>-<hex>-`: every queue, exchange, topic and group of one run starts with it. */
export function runPrefix(what: string): string {
  return `bench-${what}-${process.pid}-${randomBytes(3).toString('hex')}-`;
}

/** A TEXT envelope of about 200 bytes once serialised (the same object on both sides of a comparison). */
export function benchEnvelope(i: number): Envelope {
  return {
    message_type: 'TEXT',
    message_id: `m-${i}`,
    sender_id: 'agent_bench_sender',
    receiver_id: 'agent_bench_receiver',
    text_payload: 'Summarise the benchmark.',
    send_timestamp: '2026-11-23T20:00:00.000Z',
  };
}

/**
 * Keeps at most `window` sends unsettled until `total` have settled; `send(i, done)` starts one and calls done when
 * it is confirmed. Resolves when all are confirmed; rejects on the first failure.
 */
export function windowedSends(total: number, window: number, send: (i: number, done: (err?: unknown) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let next = 0;
    let settled = 0;
    let failed = false;
    const pump = (): void => {
      while (!failed && next < total && next - settled < window) {
        const i = next++;
        send(i, (err) => {
          if (failed) return;
          if (err) {
            failed = true;
            reject(err instanceof Error ? err : new Error(String(err)));
            return;
          }
          settled++;
          if (settled === total) resolve();
          else pump();
        });
      }
    };
    pump();
  });
}

/** Resolves when `count()` reaches `target`; rejects after timeoutMs naming what was awaited. */
export async function until(count: () => number, target: number, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (count() < target) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} (${count()}/${target})`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

function listRabbit(kind: 'list_queues' | 'list_exchanges', prefix: string): string[] {
  const r = spawnSync('rabbitmqctl', ['-q', kind, 'name'], { encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0 || typeof r.stdout !== 'string') return [];
  return r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((n) => n.startsWith(prefix));
}

/** Deletes these queues and every queue/exchange whose name starts with `prefix`; returns how many it deleted. */
export async function cleanupRabbit(prefix: string, queues: string[] = []): Promise<number> {
  const qs = new Set([...queues, ...listRabbit('list_queues', prefix)]);
  const xs = listRabbit('list_exchanges', prefix);
  if (qs.size === 0 && xs.length === 0) return 0;
  const conn = await connect(RABBIT_URL);
  try {
    const ch = await conn.createChannel();
    for (const q of qs) await ch.deleteQueue(q);
    for (const x of xs) await ch.deleteExchange(x);
    await ch.close();
  } finally {
    await conn.close();
  }
  return qs.size + xs.length;
}
