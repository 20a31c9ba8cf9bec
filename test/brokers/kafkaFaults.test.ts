// No loss across a Kafka restart: a counted stream from several senders while tools/kafka/kafka.sh stops the broker
// (SIGTERM) and starts it again. Every message arrives once, in order per sender, at a competing-group subscriber and
// at a subscriber of its own. It runs its own broker on free ports (same script, its own data dir), so Kafka tests
// running in parallel on the shared broker are not disturbed; the shared broker is never touched.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireExclusive, requireBroker, uniquePrefix, waitFor } from './helpers';
import { Kafka, logLevel } from 'kafkajs';
import { KAFKA_SCRIPT, freePort, numbered, orderViolation, prefixedBus, runTool, type ToolResult } from './kafkaTestKit';
import type { Envelope } from '../../src/protocol/schemas';
import { queueChannel, type BusStatus } from '../../src/bus/bus';

/** How long the broker stays stopped before the restart (SWITCHBOARD_KAFKA_FAULT_DOWN_MS). */
const DOWN_MS = Number(process.env.SWITCHBOARD_KAFKA_FAULT_DOWN_MS ?? 8_000);

/** How long every message may take to arrive after the last publish is acknowledged (SWITCHBOARD_KAFKA_FAULT_WAIT_MS). */
const WAIT_MS = Number(process.env.SWITCHBOARD_KAFKA_FAULT_WAIT_MS ?? 180_000);

/**
 * When the count stalls: the topic's offsets and the groups' committed offsets, where the messages a subscriber lacks
 * sit in the topic (read back from the beginning with a fresh consumer), and whether each subscriber still receives a
 * probe published now (a stuck consumer does not; one that skipped past the messages does).
 */
async function diagnoseStall(
  brokers: string[],
  prefix: string,
  topic: string,
  senders: string[],
  expected: string[],
  subs: Record<string, Counter>,
  publish: (m: Envelope) => Promise<void>,
): Promise<string> {
  const kafka = new Kafka({ brokers, clientId: `${prefix}diag`, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const out: string[] = [];
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    out.push(`topic ${topic}: ${ends.map((e) => `p${e.partition} ${e.low}..${e.high}`).join(', ')}`);
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(prefix));
    for (const g of groups) {
      const committed = await admin.fetchOffsets({ groupId: g, topics: [topic] });
      const described = await admin.describeGroups([g]);
      out.push(
        `group …${g.slice(-24)} (${described.groups[0]?.state}, ${described.groups[0]?.members.length} member(s)): committed ` +
          committed.flatMap((t) => t.partitions.map((p) => `p${p.partition} ${p.offset}`)).join(', '),
      );
    }
    // Where is every message? Read the topic back from the beginning.
    const where = new Map<string, string>();
    const reader = kafka.consumer({ groupId: `${prefix}diag-reader` });
    await reader.connect();
    await reader.subscribe({ topics: [topic], fromBeginning: true });
    const total = ends.reduce((n, e) => n + Number(e.high) - Number(e.low), 0);
    let read = 0;
    await reader.run({
      eachMessage: async ({ partition, message }) => {
        read++;
        try {
          const id = String((JSON.parse(String(message.value)) as Envelope).message_id);
          if (!where.has(id)) where.set(id, `p${partition}@${message.offset}`);
        } catch {
          /* not ours */
        }
      },
    });
    await waitFor(() => read >= total, 'the diagnostic reader to read the topic', 60_000).catch(() => undefined);
    await reader.disconnect();
    out.push(`read back ${read} record(s) of ${total}; ${expected.filter((id) => !where.has(id)).length} expected id(s) not in the topic`);
    for (const [name, c] of Object.entries(subs)) {
      const missing = expected.filter((id) => !c.ids.has(id));
      if (missing.length === 0) continue;
      const at = missing.slice(0, 6).map((id) => `${id} at ${where.get(id) ?? 'nowhere'}`);
      out.push(`${name} lacks ${missing.length}: ${at.join(', ')}${missing.length > 6 ? ', …' : ''}`);
    }
    // Still reading? One probe per sender (one per partition key), published now.
    const probes = senders.map((s) => numbered(s, 1_000_000, { message_id: `probe-${s}` }));
    for (const m of probes) await publish(m);
    await waitFor(() => Object.values(subs).every((c) => probes.every((m) => c.ids.has(String(m.message_id)))), 'the probes', 20_000).catch(() => undefined);
    for (const [name, c] of Object.entries(subs)) out.push(`${name} got ${probes.filter((m) => c.ids.has(String(m.message_id))).length}/${probes.length} probes`);
  } finally {
    await admin.disconnect();
  }
  return out.join('; ');
}

class Counter {
  readonly got: Envelope[] = [];
  readonly ids = new Set<string>();
  duplicates = 0;
  firstAfter: number | undefined;
  add = (m: Envelope): void => {
    const id = String(m.message_id);
    if (this.ids.has(id)) this.duplicates++;
    this.ids.add(id);
    this.got.push(m);
  };
}

test('kafka broker restart: a counted stream arrives complete, once, in order per sender', { timeout: 420_000 }, async (t) => {
  const shared = await requireBroker('kafka', t);
  if (!shared) return;
  t.after(await acquireExclusive('kafka-test-brokers')); // see acquireExclusive: these tests stall each other

  const port = await freePort();
  const cport = await freePort();
  const state = mkdtempSync(join(tmpdir(), 'sb-kafka-fault-'));
  const env = {
    ...process.env,
    SWITCHBOARD_KAFKA_PORT: String(port),
    SWITCHBOARD_KAFKA_CONTROLLER_PORT: String(cport),
    SWITCHBOARD_KAFKA_STATE_DIR: state,
  };
  const script = async (cmd: 'start' | 'stop' | 'status'): Promise<{ ms: number; r: ToolResult }> => {
    const t0 = Date.now();
    const r = await runTool('bash', [KAFKA_SCRIPT, cmd], { env, timeoutMs: 180_000 });
    if (r.code !== 0) throw new Error(`kafka.sh ${cmd} failed (${r.code}): ${r.stderr}`);
    return { ms: Date.now() - t0, r };
  };
  const brokers = [`127.0.0.1:${port}`];
  const prefix = uniquePrefix('kfault');
  const pub = prefixedBus(brokers, prefix);
  // A second publisher whose kafkajs gives up after one retry: its sends fail during the outage and the bus's own
  // loop resends them (the first one's kafkajs retrier may ride out a short outage by itself).
  const impatient = prefixedBus(brokers, prefix, { clientRetries: 1 });
  const grouped = prefixedBus(brokers, prefix);
  const own = prefixedBus(brokers, prefix);
  const late = prefixedBus(brokers, prefix);
  t.after(async () => {
    // Buses first, while their broker is still there; then this test's own broker and its data go.
    await Promise.all([pub.close(), impatient.close(), grouped.close(), own.close(), late.close()]);
    await runTool('bash', [KAFKA_SCRIPT, 'stop'], { env, timeoutMs: 60_000 }).catch(() => undefined);
    rmSync(state, { recursive: true, force: true });
  });
  const firstStart = await script('start');
  // The script is idempotent: a second start finds the running broker (same pid) instead of launching another.
  const pidOf = (r: ToolResult): string | undefined => /pid (\d+)/.exec(r.stderr)?.[1];
  const again = await script('start');
  assert.match(again.r.stderr, /already running/);
  assert.equal(pidOf(again.r), pidOf(firstStart.r));
  assert.equal((await script('status')).r.code, 0);

  const statuses: Array<{ at: number; s: BusStatus }> = [];
  pub.onStatus((s) => statuses.push({ at: Date.now(), s }));

  const inGroup = new Counter();
  const ofItsOwn = new Counter();
  await grouped.subscribe('chat.default', inGroup.add, { group: 'router' });
  await own.subscribe('chat.default', ofItsOwn.add);

  const senders = ['agent_a', 'agent_b', 'agent_c', 'agent_d'];
  const seq = new Map(senders.map((s) => [s, 0]));
  const sends: Promise<void>[] = [];
  let sent = 0;
  const tick = (): void => {
    for (const s of senders) {
      const n = seq.get(s)!;
      seq.set(s, n + 1);
      const p = (s === 'agent_d' ? impatient : pub).publish('chat.default', numbered(s, n));
      p.catch(() => undefined);
      sends.push(p);
      sent++;
    }
  };
  const stream = async (ticks: number): Promise<void> => {
    for (let i = 0; i < ticks; i++) {
      tick();
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  // Keeps publishing until `until` settles, then `after` more ticks.
  const streamDuring = async (until: Promise<unknown>, after: number): Promise<void> => {
    let done = false;
    void until.finally(() => (done = true)).catch(() => undefined);
    while (!done) {
      tick();
      await new Promise((r) => setTimeout(r, 10));
    }
    await stream(after);
  };

  await stream(200); // before
  await waitFor(() => inGroup.got.length > 0 && ofItsOwn.got.length > 0, 'traffic flowing before the restart', 30_000);

  let sentWhileDown = 0;
  let lateSubscribeMs = 0;
  const lateGot = new Counter();
  const lateChat = new Counter();
  const lateChatFrom = new Map<string, number>();
  const lateQueue = queueChannel('late_q');
  const lateSends: Promise<void>[] = [];
  const cycle = (async () => {
    const stopped = await script('stop');
    const downAt = Date.now();
    const before = sent;
    // Subscribing while the broker is away returns at once and the consumer starts when it is back; a queue
    // channel keeps what was published meanwhile for it.
    await waitFor(() => late.state === 'down', 'the late bus to find the broker away', 30_000);
    const t0 = Date.now();
    await late.subscribe(lateQueue, lateGot.add);
    lateSubscribeMs = Date.now() - t0;
    // A chat subscriber that comes while the broker is away gets everything published after subscribe() returned
    // (its start is placed by time once the broker is back: the end offsets of then would skip the outage's traffic).
    await late.subscribe('chat.default', lateChat.add);
    for (const s of senders) lateChatFrom.set(s, seq.get(s)!);
    for (let i = 0; i < 50; i++) lateSends.push(pub.publish(lateQueue, numbered('agent_late', i)));
    // Gone longer than kafkajs's own retries last (~5 s), so the bus's retry loop on top is what recovers.
    await new Promise((r) => setTimeout(r, DOWN_MS));
    const started = await script('start');
    sentWhileDown = sent - before;
    return { stopMs: stopped.ms, startMs: started.ms, upAt: Date.now(), downAt };
  })();
  await streamDuring(cycle, 200); // during the outage, then after it
  const c = await cycle;
  const sentTotal = sent;

  await Promise.all(sends);
  await Promise.all(lateSends);
  const allAcked = Date.now();
  await waitFor(() => inGroup.ids.size >= sentTotal && ofItsOwn.ids.size >= sentTotal, `all ${sentTotal} messages at both subscribers`, WAIT_MS, 50).catch(
    async (err: Error) => {
      // which side lags, where the missing messages are in the topic, and whether the lagging consumer still reads
      const lag = (c: Counter): string => senders.map((s) => `${s} ${c.got.filter((m) => m.sender_id === s).length}`).join(', ');
      const expected = senders.flatMap((s) => Array.from({ length: seq.get(s)! }, (_, i) => `${s}-${i}`));
      const diagnosis = await diagnoseStall(brokers, prefix, pub.topicFor('chat.default'), senders, expected, { group: inGroup, own: ofItsOwn }, (m) =>
        pub.publish('chat.default', m),
      ).catch((e: Error) => `diagnosis failed: ${e.message}`);
      throw new Error(
        `${err.message}; group subscriber ${inGroup.ids.size} (${lag(inGroup)}), own subscriber ${ofItsOwn.ids.size} (${lag(ofItsOwn)}); ` +
          `states: group ${grouped.state} (${grouped.status().lastError ?? 'no error'}), own ${own.state} (${own.status().lastError ?? 'no error'}); ${diagnosis}`,
      );
    },
  );
  await waitFor(() => lateGot.ids.size >= 50, 'the 50 queued for the subscriber that came during the outage', 120_000, 50);
  const lateChatExpected = senders.flatMap((s) => Array.from({ length: seq.get(s)! - lateChatFrom.get(s)! }, (_, i) => `${s}-${lateChatFrom.get(s)! + i}`));
  await waitFor(() => lateChatExpected.every((id) => lateChat.ids.has(id)), 'the chat subscriber that came during the outage to get what was sent after', 60_000, 50).catch(
    (err: Error) => {
      const missing = lateChatExpected.filter((id) => !lateChat.ids.has(id));
      throw new Error(`${err.message}: ${missing.length} of ${lateChatExpected.length} missing (${missing.slice(0, 5).join(', ')}…)`);
    },
  );
  const allReceived = Date.now();
  await new Promise((r) => setTimeout(r, 1_500)); // late duplicates would show up now

  const busBackAt = statuses.find((x) => x.at >= c.downAt && x.s.state === 'up')?.at;
  process.stderr.write(
    `[timing] kafka fault: first start ${firstStart.ms} ms, stop (SIGTERM) ${c.stopMs} ms, restart ${c.startMs} ms; ` +
      `down ${DOWN_MS} ms; sent ${sentTotal} (${sentWhileDown} while the broker was down); bus up again ${busBackAt ? busBackAt - c.upAt : '?'} ms after the broker answered; ` +
      `every publish acked ${allAcked - c.upAt} ms and every message received ${allReceived - c.upAt} ms after it; ` +
      `redeliveries dropped by dedup: group ${grouped.duplicatesDropped}, own ${own.duplicatesDropped}; ` +
      `max reconnect attempt ${Math.max(...statuses.map((x) => x.s.reconnectAttempt))}; ` +
      `sends retried by the bus loop: impatient ${impatient.sendRetries}, default ${pub.sendRetries}; ` +
      `subscribe() during the outage returned in ${lateSubscribeMs} ms; the chat subscriber that came then got ${lateChat.ids.size} ` +
      `(${lateChatExpected.length} sent after it subscribed)\n`,
  );

  assert.ok(sentWhileDown > 0, 'messages were published while the broker was down');
  assert.notEqual(pidOf((await script('status')).r), pidOf(firstStart.r), 'a new broker process after the restart');
  assert.ok(statuses.some((x) => x.s.state === 'down'), 'the bus noticed the outage');
  assert.ok(impatient.sendRetries > 0, 'the impatient publisher saw its sends fail (and resent them)');
  assert.ok(lateSubscribeMs < 10_000, `subscribe() while the broker is away does not wait for it (${lateSubscribeMs} ms)`);
  assert.equal(lateGot.got.length, 50, 'the late queue subscriber got each queued message once');
  assert.equal(lateChat.duplicates, 0, 'the late chat subscriber: 0 duplicates');
  assert.equal(orderViolation(lateChat.got), undefined, 'the late chat subscriber: in order per sender');
  assert.equal(orderViolation(lateGot.got), undefined);
  assert.equal(pub.state, 'up');
  for (const [name, c2] of [['group subscriber', inGroup], ['own subscriber', ofItsOwn]] as const) {
    assert.equal(c2.ids.size, sentTotal, `${name}: every message received`);
    assert.equal(c2.got.length, sentTotal, `${name}: nothing received twice`);
    assert.equal(c2.duplicates, 0, `${name}: 0 duplicates`);
    assert.equal(orderViolation(c2.got), undefined, `${name}: in order per sender`);
  }
});
