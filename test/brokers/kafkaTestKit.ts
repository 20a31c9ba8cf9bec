// Shared by the Kafka broker tests: a bus on a per-test prefix, cleanup of everything under that prefix, and runners
// for the independent tools (kcat, tools/kafka/kafka.sh) that never block the event loop while they work.

import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { TestContext } from 'node:test';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaBus, type KafkaBusOptions } from '../../src/bus/kafkaBus';
import { Hub, type HubDeps } from '../../src/hub/hub';
import type { HubOptions } from '../../src/hub/options';
import { brokersRequired, requireBroker, testLogger, uniquePrefix, waitFor } from './helpers';
import type { Envelope } from '../../src/protocol/schemas';

export const REPO_ROOT = join(__dirname, '..', '..');
export const KAFKA_SCRIPT = join(REPO_ROOT, 'tools', 'kafka', 'kafka.sh');

/** A bus whose topics and groups all start with `prefix`, so a test never meets another run's traffic. */
export function prefixedBus(brokers: string[], prefix: string, extra: Partial<KafkaBusOptions> = {}): KafkaBus {
  return new KafkaBus({
    brokers,
    topicPrefix: prefix,
    groupPrefix: prefix,
    reconnect: { initialMs: 100, maxMs: 1_000 },
    logger: testLogger(prefix),
    ...extra,
  });
}

export interface KafkaTestSetup {
  brokers: string[];
  prefix: string;
  /** A bus on this test's prefix, closed when the test ends. */
  bus(extra?: Partial<KafkaBusOptions>): KafkaBus;
}

/**
 * The broker (or a loud skip, or a failure under SWITCHBOARD_REQUIRE_BROKERS=1), a prefix unique to the test, and
 * cleanup when it ends: its buses closed, then its topics and groups deleted. `needsKcat` adds the same rule for kcat.
 */
export async function kafkaSetup(t: TestContext, label: string, needsKcat = false): Promise<KafkaTestSetup | undefined> {
  const info = await requireBroker('kafka', t);
  if (!info) return undefined;
  if (needsKcat && !(await haveKcat())) {
    const reason = 'kcat is not installed (Debian package kcat; tools/ci/apt.sh installs it)';
    if (brokersRequired()) throw new Error(`SWITCHBOARD_REQUIRE_BROKERS=1 but ${reason}`);
    process.stderr.write(`\n*** SKIPPED: ${reason}\n`);
    t.skip(reason);
    return undefined;
  }
  const prefix = uniquePrefix(label);
  const buses: KafkaBus[] = [];
  t.after(async () => {
    await Promise.all(buses.map((b) => b.close()));
    await cleanupKafka(info.brokers, prefix);
  });
  return {
    brokers: info.brokers,
    prefix,
    bus(extra = {}) {
      const b = prefixedBus(info.brokers, prefix, extra);
      buses.push(b);
      return b;
    },
  };
}

/** Deletes every topic and consumer group whose name contains `prefix` (a test's own names). */
export async function cleanupKafka(brokers: string[], prefix: string): Promise<void> {
  const kafka = new Kafka({ clientId: 'switchboard-test-cleanup', brokers, logLevel: logLevel.NOTHING, retry: { retries: 2 } });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.includes(prefix));
    if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined);
    const topics = (await admin.listTopics()).filter((t) => t.includes(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 15_000 });
  } finally {
    await admin.disconnect();
  }
}

export interface ToolResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (stdin optional), killing it after timeoutMs. */
export function runTool(cmd: string, args: string[], opts: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    // A tool that exits without reading its stdin (kcat -C) makes this write fail with EPIPE: not the test's error.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** A TCP port nothing listens on right now (for a broker of a test's own, started with kafka.sh). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
}

/** True when the `kcat` binary is installed (Debian package kcat). */
export async function haveKcat(): Promise<boolean> {
  try {
    const r = await runTool('kcat', ['-V'], { timeoutMs: 5_000 });
    return r.code === 0;
  } catch {
    return false;
  }
}

/** A chat envelope numbered `seq` from `sender`. */
export function numbered(sender: string, seq: number, extra: Partial<Envelope> = {}): Envelope {
  return {
    message_type: 'TEXT',
    message_id: `${sender}-${seq}`,
    sender_id: sender,
    receiver_id: 'broadcast',
    text_payload: String(seq),
    send_timestamp: new Date().toISOString(),
    ...extra,
  };
}

/** Checks each sender's sequence arrived strictly increasing; returns the first violation, if any. */
export function orderViolation(received: Envelope[]): string | undefined {
  const last = new Map<string, number>();
  for (const m of received) {
    const sender = String(m.sender_id);
    const seq = Number(m.text_payload);
    const prev = last.get(sender) ?? -1;
    if (seq <= prev) return `${sender}: ${seq} after ${prev}`;
    last.set(sender, seq);
  }
  return undefined;
}

/** A hub on the real Kafka under a unique prefix, quick presence, and slow pings (tests drive presence themselves). */
export async function startKafkaHub(brokers: string[], prefix: string, options: Partial<HubOptions> = {}, deps: HubDeps = {}): Promise<Hub> {
  const hub = new Hub(
    {
      port: 0,
      bus: 'kafka',
      kafkaBrokers: brokers,
      busPrefix: prefix,
      presenceIntervalMs: 300,
      advertiseIntervalMs: 60_000,
      pingIntervalMs: 60_000,
      heartbeatIntervalMs: 60_000,
      inactivityTimeoutMs: 60_000,
      statusCoalesceMs: 20,
      ...options,
    },
    { logger: testLogger(`hub ${options.hubId ?? ''}`), ...deps },
  );
  await hub.start();
  await waitFor(() => hub.busStatus().state === 'up', 'the hub bus to be up', 30_000);
  return hub;
}
