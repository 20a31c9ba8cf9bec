// The RabbitMQ bus against the real broker: fan-out, competing groups, confirmed persistent publishes to durable
// queues, de-duplication, back-pressure and status. Every test uses its own prefix and deletes what it made.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'amqplib';
import { RabbitMqBus, redactAmqpUrl } from '../../src/bus/rabbitmqBus';
import { queueChannel, type BusStatus } from '../../src/bus/bus';
import { DedupWindow } from '../../src/bus/dedup';
import { withTimeout } from '../../src/bus/busSupport';
import { busConfigFromEnv, createBus } from '../../src/bus/createBus';
import type { Envelope } from '../../src/protocol/schemas';
import { cleanupRabbit, requireBroker, testLogger, uniquePrefix, waitFor } from './helpers';

function text(i: number, extra: Partial<Envelope> = {}): Envelope {
  return { message_type: 'TEXT', message_id: `m${i}`, sender_id: 's', receiver_id: 'r', text_payload: `n=${i}`, ...extra };
}

test('every subscriber without a group gets every message (fan-out)', async (t) => {
  const b = await requireBroker('rabbitmq', t);
  if (!b) return;
  const prefix = uniquePrefix('fanout');
  const bus = new RabbitMqBus({ url: b.url, prefix });
  try {
    await bus.ready();
    const a: string[] = [];
    const c: string[] = [];
    await bus.subscribe('presence', (m) => void a.push(String(m.text_payload)));
    await bus.subscribe('presence', (m) => void c.push(String(m.text_payload)));
    for (let i = 0; i < 20; i++) await bus.publish('presence', text(i));
    await waitFor(() => a.length === 20 && c.length === 20, 'both subscribers to get 20');
    assert.deepEqual(a, c);
    assert.equal(a[0], 'n=0');
    assert.equal(a[19], 'n=19');
  } finally {
    await bus.close();
    await cleanupRabbit(b.url, { prefix });
  }
});

test('subscribers sharing a group compete: each message goes to exactly one of them', async (t) => {
  const b = await requireBroker('rabbitmq', t);
  if (!b) return;
  const prefix = uniquePrefix('group');
  const bus1 = new RabbitMqBus({ url: b.url, prefix, prefetch: 1 });
  const bus2 = new RabbitMqBus({ url: b.url, prefix, prefetch: 1 });
  try {
    await Promise.all([bus1.ready(), bus2.ready()]);
    const got1: string[] = [];
    const got2: string[] = [];
    // A slow handler keeps the other consumer in play (prefetch 1).
    await bus1.subscribe('work', async (m) => {
      got1.push(String(m.message_id));
      await new Promise((r) => setTimeout(r, 5));
    }, { group: 'workers' });
    await bus2.subscribe('work', async (m) => {
      got2.push(String(m.message_id));
      await new Promise((r) => setTimeout(r, 5));
    }, { group: 'workers' });
    await Promise.all(Array.from({ length: 100 }, (_, i) => bus1.publish('work', text(i))));
    await waitFor(() => got1.length + got2.length === 100, '100 messages across the group');
    const all = new Set([...got1, ...got2]);
    assert.equal(all.size, 100, 'no message delivered twice');
    assert.ok(got1.length > 0 && got2.length > 0, `both members got work (${got1.length}/${got2.length})`);
  } finally {
    await bus1.close();
    await bus2.close();
    await cleanupRabbit(b.url, { prefix });
  }
});

test('a confirmed publish to a queue channel waits, durable and persistent, until a consumer comes, then arrives in order', async (t) => {
  const b = await requireBroker('rabbitmq', t);
  if (!b) return;
  const prefix = uniquePrefix('q');
  const q = prefix + 'agent_queue_x';
  const bus = new RabbitMqBus({ url: b.url, prefix });
  const raw = await connect(b.url);
  try {
    await bus.ready();
    for (let i = 0; i < 50; i++) await bus.publish(queueChannel(q), text(i)); // each resolves on the broker's confirm
    const ch = await raw.createChannel();
    const info = await ch.checkQueue(q);
    assert.equal(info.messageCount, 50, 'all 50 confirmed messages wait in the queue');
    const one = await ch.get(q, { noAck: false });
    assert.ok(one);
    assert.equal(one.properties.deliveryMode, 2, 'persistent');
    assert.equal(one.properties.messageId, 'm0');
    assert.deepEqual(JSON.parse(one.content.toString()), text(0), 'plain seed JSON body');
    ch.nack(one, false, true);
    await ch.close();
    const got: string[] = [];
    await bus.subscribe(queueChannel(q), (m) => void got.push(String(m.message_id)));
    await waitFor(() => got.length === 50, '50 deliveries');
    assert.deepEqual(got, Array.from({ length: 50 }, (_, i) => `m${i}`));
  } finally {
    await bus.close();
    await raw.close();
    await cleanupRabbit(b.url, { prefix });
  }
});

test('a message published twice with one message_id is handled once (receiver de-duplication)', async (t) => {
  const b = await requireBroker('rabbitmq', t);
  if (!b) return;
  const prefix = uniquePrefix('dedup');
  const q = prefix + 'q';
  const bus = new RabbitMqBus({ url: b.url, prefix });
  try {
    await bus.ready();
    const got: string[] = [];
    await bus.subscribe(queueChannel(q), (m) => void got.push(String(m.message_id)));
    await bus.publish(queueChannel(q), text(1));
    await bus.publish(queueChannel(q), text(1));
    await bus.publish(queueChannel(q), text(2));
    await waitFor(() => got.length === 2 && bus.duplicatesDropped === 1, 'two distinct messages and one dropped duplicate');
    assert.deepEqual(got, ['m1', 'm2']);
  } finally {
    await bus.close();
    await cleanupRabbit(b.url, { prefix });
  }
});

test('a burst far beyond the socket buffer is carried completely (publish() false → drain honoured)', async (t) => {
  const b = await requireBroker('rabbitmq', t);
  if (!b) return;
  const prefix = uniquePrefix('burst');
  const q = prefix + 'q';
  const bus = new RabbitMqBus({ url: b.url, prefix, maxInflight: 5000 });
  try {
    await bus.ready();
    const payload = 'x'.repeat(16 * 1024);
    let count = 0;
    let last = -1;
    let ordered = true;
    await bus.subscribe(queueChannel(q), (m) => {
      const n = Number(m.message_id);
      if (n !== last + 1) ordered = false;
      last = n;
      count++;
    });
    // 3,000 × 16 KiB ≈ 48 MiB offered at once: amqplib's buffer fills and publish() returns false on the way.
    await Promise.all(Array.from({ length: 3000 }, (_, i) => bus.publish(queueChannel(q), { message_type: 'TEXT', message_id: String(i), text_payload: payload })));
    await waitFor(() => count === 3000, '3000 deliveries', 60_000);
    assert.ok(ordered, 'in publish order');
    assert.ok(bus.backpressureWaits > 0, 'publish() returned false at least once and the bus waited for drain');
    assert.equal(bus.status().published, 3000);
  } finally {
    await bus.close();
    await cleanupRabbit(b.url, { prefix });
  }
});

test('status reports state changes and shows the URL without credentials', async (t) => {
  const b = await requireBroker('rabbitmq', t);
  if (!b) return;
  const seen: BusStatus[] = [];
  const prefix = uniquePrefix('status');
  const bus = new RabbitMqBus({ url: b.url, prefix });
  bus.onStatus((s) => void seen.push(s));
  try {
    await bus.ready();
    assert.equal(bus.state, 'up');
    assert.ok(seen.some((s) => s.state === 'up'));
    assert.equal(bus.status().url.includes('guest'), false);
    assert.equal(redactAmqpUrl('amqp://u:secret@h:1/v?heartbeat=5'), 'amqp://h:1/v');
  } finally {
    await bus.close();
  }
  assert.equal(bus.state, 'down');
  assert.equal(seen.at(-1)?.state, 'down');
  await assert.rejects(bus.publish('x', text(1)), /closed/);
  await cleanupRabbit(b.url, { prefix });
});

test('a bus pointed at a port where nothing listens reports down with the error and keeps retrying', async (t) => {
  const bus = new RabbitMqBus({ url: 'amqp://guest:guest@127.0.0.1:1', reconnect: { initialMs: 20, maxMs: 50 } });
  try {
    await waitFor(() => bus.status().reconnectAttempt >= 3, 'three reconnect attempts');
    assert.equal(bus.state === 'down' || bus.state === 'connecting', true);
    assert.match(bus.status().lastError ?? '', /ECONNREFUSED/);
    await assert.rejects(bus.ready(100), /did not answer/);
    // Publishes are held (not lost, not thrown) while down, and refused cleanly when the bus closes.
    const p = bus.publish('x', text(1));
    assert.equal(bus.unconfirmed, 1);
    await bus.close();
    await assert.rejects(p, /closed before the broker confirmed/);
  } finally {
    await bus.close();
  }
  t.diagnostic('no broker needed for this one');
});

test('the dedup window drops repeats within its bound and forgets the oldest beyond it', () => {
  const w = new DedupWindow(3);
  assert.equal(w.isDuplicate('a'), false);
  assert.equal(w.isDuplicate('a'), true);
  for (const id of ['b', 'c', 'd']) assert.equal(w.isDuplicate(id), false);
  assert.equal(w.size, 3, 'bounded');
  assert.equal(w.isDuplicate('a'), false, 'the oldest was forgotten');
  assert.equal(w.isDuplicate(undefined), false, 'no id: never a duplicate');
  assert.equal(w.dropped, 1);
  assert.throws(() => new DedupWindow(0), RangeError);
});

test('the bus is chosen from configuration: SWITCHBOARD_BUS and friends, with errors that name the variable', () => {
  assert.deepEqual(busConfigFromEnv({}), { kind: 'memory' });
  assert.deepEqual(busConfigFromEnv({ SWITCHBOARD_BUS: 'RabbitMQ', SWITCHBOARD_RABBITMQ_URL: 'amqp://u:p@h:5672', SWITCHBOARD_BUS_PREFIX: 'x_' }), {
    kind: 'rabbitmq',
    rabbitmqUrl: 'amqp://u:p@h:5672',
    prefix: 'x_',
  });
  assert.deepEqual(busConfigFromEnv({ SWITCHBOARD_BUS: 'kafka', SWITCHBOARD_KAFKA_BROKERS: 'a:1, b:2' }), { kind: 'kafka', kafkaBrokers: ['a:1', 'b:2'] });
  assert.throws(() => busConfigFromEnv({ SWITCHBOARD_BUS: 'nats' }), /SWITCHBOARD_BUS/);
  assert.equal(createBus({ kind: 'memory' }).kind, 'memory');
  assert.throws(() => createBus({ kind: 'rabbitmq', rabbitmqUrl: 'http://u:secret@h' }), (e: unknown) => e instanceof Error && /amqp:\/\//.test(e.message) && !/secret/.test(e.message));
});

test('a queue that already exists with other arguments is used as it is: no reconnect loop, nothing lost', async (t) => {
  const b = await requireBroker('rabbitmq', t);
  if (!b) return;
  const prefix = uniquePrefix('q406');
  const q = prefix + 'capped';
  const raw = await connect(b.url);
  const bus = new RabbitMqBus({ url: b.url, prefix });
  try {
    const ch = await raw.createChannel();
    await ch.assertQueue(q, { durable: true, arguments: { 'x-max-length': 1000 } });
    await ch.close();
    await bus.ready();
    await bus.publish(queueChannel(q), text(1));
    const got: string[] = [];
    await bus.subscribe(queueChannel(q), (m) => void got.push(String(m.message_id)));
    await bus.publish(queueChannel(q), text(2));
    await waitFor(() => got.length === 2, 'both messages');
    assert.deepEqual(got, ['m1', 'm2']);
    assert.equal(bus.state, 'up');
    assert.equal(bus.status().reconnectAttempt, 0, 'the connection was never dropped');
  } finally {
    await bus.close();
    await raw.close();
    await cleanupRabbit(b.url, { prefix });
  }
});

test('async handlers start in delivery order, up to prefetch at once, and each message is acked only once its handler settles', async (t) => {
  const b = await requireBroker('rabbitmq', t);
  if (!b) return;
  const prefix = uniquePrefix('conc');
  const q = prefix + 'q';
  const bus = new RabbitMqBus({ url: b.url, prefix, prefetch: 10 });
  const raw = await connect(b.url);
  try {
    await bus.ready();
    const started: string[] = [];
    const release: Array<() => void> = [];
    let running = 0;
    let maxRunning = 0;
    await bus.subscribe(queueChannel(q), async (m) => {
      started.push(String(m.message_id));
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise<void>((r) => release.push(r));
      running--;
    });
    for (let i = 0; i < 30; i++) await bus.publish(queueChannel(q), text(i));
    await waitFor(() => started.length === 10, 'ten handlers running');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(started.length, 10, 'no more than prefetch handlers at once');
    const ch = await raw.createChannel();
    assert.equal((await ch.checkQueue(q)).messageCount, 20, 'the 10 running are unacked, the other 20 wait in the queue');
    // Settle the later ones first: acks may go out of order, the queue moves on.
    for (const r of release.splice(0).reverse()) r();
    await waitFor(() => started.length === 20, 'the next ten');
    await waitFor(() => {
      for (const r of release.splice(0)) r();
      return started.length === 30 && running === 0;
    }, 'all thirty handled');
    assert.deepEqual(started, Array.from({ length: 30 }, (_, i) => `m${i}`), 'started in delivery order');
    assert.equal(maxRunning, 10);
    // Every one was acked: once the consuming connection is gone, nothing comes back to the queue.
    await bus.close();
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await ch.checkQueue(q)).messageCount, 0, 'all thirty acked');
    await ch.close();
  } finally {
    await bus.close();
    await raw.close();
    await cleanupRabbit(b.url, { prefix });
  }
});

test('the dedup window keeps exactly the last `capacity` ids however often it wraps', () => {
  const w = new DedupWindow(4);
  for (let i = 0; i < 23; i++) assert.equal(w.isDuplicate(`id${i}`), false);
  assert.equal(w.size, 4);
  for (let i = 19; i < 23; i++) assert.equal(w.isDuplicate(`id${i}`), true, `id${i} is within the window`);
  assert.equal(w.isDuplicate('id18'), false, 'id18 was forgotten');
  assert.equal(w.isDuplicate('id19'), false, 'and id18 took the place of the oldest, id19');
  assert.equal(w.size, 4);
  w.clear();
  assert.equal(w.size, 0);
  assert.equal(w.isDuplicate('id22'), false);
});

/**
 * A TCP proxy in front of the real broker that can go silent: sockets stay open and nothing is forwarded either way
 * (what a stalled broker or a wedged network path looks like to a client, short of the AMQP heartbeat noticing).
 */
async function freezableProxy(
  brokerUrl: string,
): Promise<{ url: string; freeze(on: boolean): void; freezeAtNext(classId: number, methodId: number): Promise<void>; close(): Promise<void> }> {
  const { createServer, connect: tcp } = await import('node:net');
  const upstream = new URL(brokerUrl);
  const sockets = new Set<import('node:net').Socket>();
  let frozen = false;
  // freezeAtNext: the first connection whose client sends that AMQP method goes silent (that connection only)
  let trap: { classId: number; methodId: number; sprung: () => void } | undefined;
  const server = createServer((client) => {
    const up = tcp(Number(upstream.port || 5672), upstream.hostname);
    for (const s of [client, up]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        sockets.delete(s);
        client.destroy();
        up.destroy();
      });
      if (frozen) s.pause();
    }
    // Frames from the client after the 8-byte protocol header: type(1) channel(2) size(4) payload(size) 0xCE; a method
    // frame's payload starts with class-id(2) method-id(2).
    let buf = Buffer.alloc(0);
    let headerSeen = false;
    client.on('data', (chunk: Buffer) => {
      if (!trap) return;
      buf = Buffer.concat([buf, chunk]);
      if (!headerSeen && buf.length >= 8) {
        headerSeen = true;
        buf = buf.subarray(8);
      }
      while (headerSeen && buf.length >= 7 && buf.length >= 8 + buf.readUInt32BE(3)) {
        const size = buf.readUInt32BE(3);
        if (trap && buf[0] === 1 && size >= 4 && buf.readUInt16BE(7) === trap.classId && buf.readUInt16BE(9) === trap.methodId) {
          const sprung = trap.sprung;
          trap = undefined;
          up.unpipe(client); // the broker's answer to it, and everything after, never reaches the client
          client.unpipe(up);
          sprung();
          return;
        }
        buf = buf.subarray(8 + size);
      }
    });
    client.pipe(up);
    up.pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const url = new URL(brokerUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.toString(),
    freezeAtNext(classId, methodId) {
      return new Promise<void>((sprung) => (trap = { classId, methodId, sprung }));
    },
    freeze(on) {
      frozen = on;
      for (const s of sockets) if (on) s.pause();
      else s.resume();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

test('the connection going while a channel close waits for its close-ok: the setup ends, the bus reconnects and close() returns', async (t) => {
  const b = await requireBroker('rabbitmq', t);
  if (!b) return;
  const prefix = uniquePrefix('closeok');
  const proxy = await freezableProxy(b.url);
  // the first channel.close (class 20, method 40) on the wire: declaring a known queue during the connection setup
  const sprung = proxy.freezeAtNext(20, 40);
  const bus = new RabbitMqBus({ url: proxy.url, prefix, requestTimeoutMs: 1_500, heartbeatSeconds: 60, reconnect: { initialMs: 100, maxMs: 500 }, logger: testLogger('bus') });
  try {
    await bus.declareQueues([`${prefix}q`]); // not up yet: declared by the setup
    await withTimeout(sprung, 30_000, 'the setup to close its declaration channel');
    // amqplib leaves that close pending for ever once the connection ends; the setup deadline (1.5 + 5 s) ends it
    await waitFor(() => bus.state === 'up', 'the bus to reconnect past the silent setup', 30_000);
    const got: string[] = [];
    await bus.subscribe(queueChannel(`${prefix}q`), (m) => void got.push(String(m.text_payload)));
    await bus.publish(queueChannel(`${prefix}q`), text(1, { text_payload: 'after the stalled setup' }));
    await waitFor(() => got.includes('after the stalled setup'), 'the queue to work after the reconnect');
    await bus.close();

    // Closed while a setup waits for a close-ok that never comes: close() ends the connection and must return.
    const proxy2 = await freezableProxy(b.url);
    const sprung2 = proxy2.freezeAtNext(20, 40);
    const bus2 = new RabbitMqBus({ url: proxy2.url, prefix, requestTimeoutMs: 60_000, heartbeatSeconds: 60 });
    await bus2.declareQueues([`${prefix}q`]);
    await withTimeout(sprung2, 30_000, 'the second setup to close its declaration channel');
    const t0 = Date.now();
    await withTimeout(bus2.close(), 30_000, 'close() during a stalled setup');
    const closedAfter = Date.now() - t0;
    t.diagnostic(`close() during a setup stalled on close-ok returned in ${closedAfter} ms`);
    await proxy2.close();
  } finally {
    await bus.close();
    await proxy.close();
    await cleanupRabbit(b.url, { prefix });
  }
});

test('a broker that keeps the socket but stops answering: requests fail by their deadline, the bus reconnects, close() does not hang', async (t) => {
  const b = await requireBroker('rabbitmq', t);
  if (!b) return;
  const prefix = uniquePrefix('silent');
  const proxy = await freezableProxy(b.url);
  const seen: BusStatus[] = [];
  // heartbeat 60 s: the deadlines, not the heartbeat, must be what notices the silence here
  const bus = new RabbitMqBus({ url: proxy.url, prefix, requestTimeoutMs: 1_500, heartbeatSeconds: 60, reconnect: { initialMs: 100, maxMs: 500 } });
  bus.onStatus((s) => void seen.push(s));
  try {
    await bus.ready();
    const got: string[] = [];
    await bus.subscribe('chat', (m) => void got.push(String(m.text_payload)));

    proxy.freeze(true);
    const t0 = Date.now();
    await assert.rejects(bus.declareQueues([`${prefix}q`]), /did not answer within 1500 ms/);
    const failedAfter = Date.now() - t0;
    await waitFor(() => bus.state !== 'up', 'the bus to give up the silent connection');

    proxy.freeze(false);
    await waitFor(() => bus.state === 'up', 'the bus to reconnect once the broker answers again', 30_000);
    await bus.publish('chat', text(1, { text_payload: 'after the silence' }));
    await waitFor(() => got.includes('after the silence'), 'the subscription to work again after the reconnect');
    // the state the UI shows says why
    assert.ok(seen.some((s) => s.state !== 'up' && /queue\.declare\) did not answer within 1500 ms/.test(s.lastError ?? '')), JSON.stringify(seen));

    proxy.freeze(true);
    const t1 = Date.now();
    await bus.close();
    const closedAfter = Date.now() - t1;
    t.diagnostic(`declare failed after ${failedAfter} ms; close() with a silent broker took ${closedAfter} ms`);
    // bounds that only prove "does not hang" (the broker never answers in this phase)
    assert.ok(failedAfter < 10_000, `the declare ended by its deadline (${failedAfter} ms)`);
    assert.ok(closedAfter < 15_000, `close() ended though the broker never answered (${closedAfter} ms)`);
  } finally {
    await bus.close();
    proxy.freeze(false);
    await proxy.close();
    await cleanupRabbit(b.url, { prefix });
  }
});

test('a burst of queue declarations (one per registering agent): every queue is made, one refused (other arguments) is used as it is and the rest still are', async (t) => {
  const b = await requireBroker('rabbitmq', t);
  if (!b) return;
  const prefix = uniquePrefix('declburst');
  const names = Array.from({ length: 60 }, (_, i) => `${prefix}agent_queue_${i}`);
  const odd = names[25]!;
  const admin = await connect(b.url);
  const bus = new RabbitMqBus({ url: b.url, prefix, logger: testLogger('bus') });
  try {
    // Someone made this one with other arguments: the broker refuses our durable declaration of it (406).
    const pre = await admin.createChannel();
    await pre.assertQueue(odd, { durable: false, autoDelete: false });
    await pre.close();
    await bus.ready();
    // As registrations ask: one call each, all at once (they share declarations behind the first).
    await Promise.all(names.map((q) => bus.declareQueues([q])));
    const check = await admin.createChannel();
    for (const q of names) assert.equal((await check.checkQueue(q)).queue, q, `${q} exists`);
    await check.close();
    assert.equal(bus.state, 'up', 'the refusal did not take the traffic channels down');
    // The queues behind the refused one work: a message published to the last arrives.
    const got: string[] = [];
    await bus.subscribe(queueChannel(names[59]!), (m) => void got.push(String(m.text_payload)));
    await bus.publish(queueChannel(names[59]!), text(1, { text_payload: 'after the burst' }));
    await waitFor(() => got.includes('after the burst'), 'the last queue of the burst to carry a message');
  } finally {
    await bus.close();
    await admin.close();
    await cleanupRabbit(b.url, { prefix, queues: names });
  }
});
