// Shared by every broker test: is the real broker there (skip loudly, or fail under SWITCHBOARD_REQUIRE_BROKERS=1),
// unique per-run names so parallel runs never share queues/topics, and a wait-for-condition helper instead of sleeps.

import { connect as tcpConnect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { connect as amqpConnect } from 'amqplib';
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { SWITCHBOARD_TEST_KAFKA } from '../../src/bus/kafkaConfig';
import { withTimeout } from '../../src/bus/busSupport';
import { createLogger, silentLogger, type Logger } from '../../src/protocol/logger';

export type BrokerKind = 'rabbitmq' | 'kafka';

export interface BrokerInfo {
  kind: BrokerKind;
  /** amqp://… for RabbitMQ; for Kafka the first of `brokers`. */
  url: string;
  /** Kafka bootstrap list (host:port); for RabbitMQ the single host:port. */
  brokers: string[];
}

const HOW_TO_START: Record<BrokerKind, string> = {
  rabbitmq:
    'start RabbitMQ on 127.0.0.1:5672 (guest/guest), e.g. `rabbitmq-server -detached`, or point SWITCHBOARD_RABBITMQ_URL at one',
  kafka:
    'start the project\'s single-node Kafka with `bash tools/kafka/kafka.sh start` (127.0.0.1:19092, from the Maven Central jars), or point SWITCHBOARD_KAFKA_BROKERS at one',
};

export function rabbitUrl(): string {
  return process.env.SWITCHBOARD_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
}

export function kafkaBrokers(): string[] {
  return (process.env.SWITCHBOARD_KAFKA_BROKERS ?? SWITCHBOARD_TEST_KAFKA)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export function brokersRequired(): boolean {
  return process.env.SWITCHBOARD_REQUIRE_BROKERS === '1';
}

function hostPort(hp: string, defaultPort: number): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(hp);
  return { host: m?.[1] ?? '127.0.0.1', port: m?.[2] ? Number(m[2]) : defaultPort };
}

/** Resolves true when something accepts a TCP connection there within timeoutMs. */
export function portAnswers(host: string, port: number, timeoutMs = 1500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect({ host, port });
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

async function probe(kind: BrokerKind): Promise<{ info: BrokerInfo; ok: boolean }> {
  if (kind === 'rabbitmq') {
    const url = rabbitUrl();
    const u = new URL(url);
    const hp = `${u.hostname}:${u.port || '5672'}`;
    const { host, port } = hostPort(hp, 5672);
    return { info: { kind, url, brokers: [hp] }, ok: await portAnswers(host, port) };
  }
  const brokers = kafkaBrokers();
  const { host, port } = hostPort(brokers[0] ?? SWITCHBOARD_TEST_KAFKA, 19092);
  return { info: { kind, url: brokers[0] ?? '', brokers }, ok: await portAnswers(host, port) };
}

/**
 * Call at the top of a broker test. Returns the broker's address when it answers. When it does not: with
 * SWITCHBOARD_REQUIRE_BROKERS=1 it throws (the test fails); otherwise it says loudly why on stderr, marks the test
 * skipped (when given the test context) and returns undefined — the caller returns at once.
 */
export async function requireBroker(kind: BrokerKind, t?: TestContext): Promise<BrokerInfo | undefined> {
  if (kind === 'rabbitmq') await waitWhileRabbitRestarts();
  const { info, ok } = await probe(kind);
  if (ok) return info;
  const reason = `${kind} is not reachable at ${kind === 'rabbitmq' ? info.brokers[0] : info.brokers.join(',')}: ${HOW_TO_START[kind]}`;
  if (brokersRequired()) throw new Error(`SWITCHBOARD_REQUIRE_BROKERS=1 but ${reason}`);
  process.stderr.write(`\n*** SKIPPED (broker missing): ${reason}\n`);
  t?.skip(reason);
  return undefined;
}

/** A name unique to this run and test: `sbt_<label>_<hex>_`. Use it as the queue/exchange/topic prefix. */
export function uniquePrefix(label: string): string {
  return `sbt_${label.replace(/[^A-Za-z0-9]/g, '').slice(0, 20)}_${randomBytes(4).toString('hex')}_`;
}

/** Poll `cond` until it is truthy or the deadline passes (then throw with `what`). */
export async function waitFor<T>(
  cond: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  what: string,
  timeoutMs = 10_000,
  everyMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      // an async condition that never settles (a broker round trip that hangs) must not outlive the deadline
      const v = await withTimeout(Promise.resolve(cond()), Math.max(1, deadline - Date.now()) + 1_000, `the check for ${what}`);
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Deletes RabbitMQ queues and exchanges a test made, over a connection of its own (after the buses closed, so no
 * consumer re-declares them). With `prefix`, every queue and exchange whose name starts with it goes too
 * (listed with `rabbitmqctl` when it is available on this machine).
 */
export async function cleanupRabbit(
  url: string,
  what: { queues?: string[]; exchanges?: string[]; prefix?: string },
): Promise<void> {
  // A fault test in another process may be cycling the broker right now (it waits 30 s for others, then goes ahead):
  // clean up once it is back, and ride out a refused connect for a while.
  await waitWhileRabbitRestarts();
  const queues = new Set(what.queues ?? []);
  const exchanges = new Set(what.exchanges ?? []);
  if (what.prefix) {
    for (const q of listRabbit('list_queues', what.prefix)) queues.add(q);
    for (const x of listRabbit('list_exchanges', what.prefix)) exchanges.add(x);
  }
  if (queues.size === 0 && exchanges.size === 0) return;
  let conn: Awaited<ReturnType<typeof amqpConnect>> | undefined;
  for (let tries = 1; !conn; tries++) {
    try {
      conn = await amqpConnect(url, { timeout: 10_000 }); // a stalled broker fails the cleanup, not the whole file
    } catch (err) {
      if (tries >= 15 || (err as { code?: string }).code !== 'ECONNREFUSED') throw err;
      await new Promise((r) => setTimeout(r, 2_000));
    }
  }
  try {
    const ch = await conn.createChannel();
    for (const q of queues) await ch.deleteQueue(q);
    for (const x of exchanges) await ch.deleteExchange(x);
    await ch.close();
  } finally {
    await conn.close();
  }
}

function listRabbit(cmd: 'list_queues' | 'list_exchanges', prefix: string): string[] {
  const r = spawnSync('rabbitmqctl', ['-q', cmd, 'name'], { encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0 || typeof r.stdout !== 'string') return [];
  return r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((n) => n.startsWith(prefix));
}

// --- broker restarts, coordinated between test processes -----------------------------------------------------------

/**
 * A fault test that stops RabbitMQ holds this marker (with its pid) for the duration: broker tests in other
 * processes wait at requireBroker() instead of starting against a broker about to vanish.
 */
export const RABBIT_RESTART_MARKER = join(tmpdir(), 'switchboard-rabbitmq-restart.lock');

/** Whether a pid file names a live process other than this one (a holder that died no longer counts). */
function otherHolderAlive(file: string): boolean {
  if (!existsSync(file)) return false;
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
    process.kill(pid, 0); // throws when that process is gone
    return true;
  } catch {
    return false;
  }
}

/** Removes a pid file if this process holds it. */
function releasePidFile(file: string): void {
  try {
    if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
  } catch {
    // already gone
  }
}

const markerHolderAlive = (): boolean => otherHolderAlive(RABBIT_RESTART_MARKER);

async function waitWhileRabbitRestarts(timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (markerHolderAlive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
}

function otherRabbitConnections(): number {
  const r = spawnSync('rabbitmqctl', ['-q', 'list_connections', 'name'], { encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0 || typeof r.stdout !== 'string') return 0;
  return r.stdout.split('\n').filter((l) => l.trim() && l.trim() !== 'name').length;
}

/**
 * Runs `fn` (which may stop and start RabbitMQ) while no other broker test starts, after waiting (up to quietMs)
 * for the connections of tests already running elsewhere to finish. The marker is removed even when fn throws.
 */
export async function withRabbitRestartLock<T>(fn: () => Promise<T>, quietMs = 30_000): Promise<T> {
  await waitWhileRabbitRestarts();
  writeFileSync(RABBIT_RESTART_MARKER, String(process.pid));
  try {
    const deadline = Date.now() + quietMs;
    while (otherRabbitConnections() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    return await fn();
  } finally {
    releasePidFile(RABBIT_RESTART_MARKER);
  }
}

// --- Kafka tests that must not overlap ---------------------------------------------------------------------------

/**
 * Waits until no other test process holds the named lock (a pid file; a holder that died no longer counts), takes it
 * and returns its release.
 * Used to keep the Kafka broker-restart test and the per-hub topic tests (topic deletion, a second broker) apart:
 * run side by side, the restart test's consumers stalled after the restart (2 of 2 tries, 2026-12-06), which is
 * recorded as an open problem in issue 5; apart, each passes. SWITCHBOARD_TEST_NOLOCK=1 turns the lock off, to try to
 * reproduce that (not reproduced since: 3 of 3 side by side passed on 2026-12-06, once under two CPU burners).
 */
export async function acquireExclusive(name: string, waitMs = 600_000): Promise<() => void> {
  if (process.env.SWITCHBOARD_TEST_NOLOCK === '1') return () => undefined;
  const file = join(tmpdir(), `switchboard-${name}.lock`);
  const deadline = Date.now() + waitMs;
  for (;;) {
    while (otherHolderAlive(file) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    writeFileSync(file, String(process.pid));
    // two processes that wrote at once: the last write wins, the other waits for it
    await new Promise((r) => setTimeout(r, 100));
    if (readFileSync(file, 'utf8').trim() === String(process.pid) || Date.now() > deadline) break;
  }
  return () => releasePidFile(file);
}

/** SWITCHBOARD_TEST_LOG=1 shows the bus's log lines on stderr (quiet otherwise). */
export function testLogger(label: string): Logger {
  if (process.env.SWITCHBOARD_TEST_LOG !== '1') return silentLogger;
  return createLogger((level, line) => process.stderr.write(`${new Date().toISOString()} ${level} [${label}] ${line}\n`), 'debug');
}
