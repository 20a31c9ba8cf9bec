// Presence and connection bookkeeping in isolation: the sweep finds only silent agents, PINGs only the silent ones and
// heartbeats only the quiet ones, a late tick (hub stall) is skipped once but never twice, and the token bucket
// allows a 2× burst, refills, and reports persistent flooding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Presence } from '../../src/hub/presence';
import { Connection } from '../../src/hub/connection';
import type { WebSocket } from 'ws';

type Fake = { lastSeen: number; closing: boolean; id: string };

function presence(conns: Fake[], inactive: string[], timeoutMs = 1000): Presence {
  return new Presence(
    { pingIntervalMs: 0, inactivityTimeoutMs: timeoutMs, heartbeatIntervalMs: 0 },
    {
      agentConnections: () => conns as unknown as Connection[],
      clients: () => [],
      pingRound: () => undefined,
      heartbeatRound: () => undefined,
      onInactive: (c) => inactive.push(c.id),
    },
  );
}

test('the sweep reports agents silent longer than the timeout, and only those', () => {
  const now = 100_000;
  const conns: Fake[] = [
    { id: 'fresh', lastSeen: now - 500, closing: false },
    { id: 'stale', lastSeen: now - 1500, closing: false },
    { id: 'closing', lastSeen: now - 5000, closing: true },
  ];
  const inactive: string[] = [];
  presence(conns, inactive).sweep(now);
  assert.deepEqual(inactive, ['stale']);
});

test('one sweep timer serves every agent, at a fraction of the timeout', () => {
  assert.equal(presence([], [], 15_000).sweepIntervalMs, 1000);
  assert.equal(presence([], [], 500).sweepIntervalMs, 100);
});

type Agent = Fake & { closed: boolean; earlySeedUi: boolean; framesOut: number; role: 'agent' | 'frontend'; presence: { pingedAt: number; outMark: number; quietOutSince: number } };

function client(id: string, t0: number, role: 'agent' | 'frontend' = 'agent'): Agent {
  return { id, role, lastSeen: t0, closing: false, closed: false, earlySeedUi: false, framesOut: 0, presence: { pingedAt: 0, outMark: 0, quietOutSince: t0 } };
}

/** A Presence at the default intervals over `conns`, with what it sent in `sent` ("PING a", "HEARTBEAT f"). */
function defaults(conns: Agent[], sent: string[], inactive: string[] = []): Presence<Agent> {
  return new Presence<Agent>(
    { pingIntervalMs: 10_000, inactivityTimeoutMs: 15_000, heartbeatIntervalMs: 10_000 },
    {
      agentConnections: () => conns.filter((c) => c.role === 'agent'),
      clients: () => conns,
      pingRound: (targets) => targets.forEach((c) => (c.framesOut++, sent.push(`PING ${c.id}`))),
      heartbeatRound: (targets) => targets.forEach((c) => (c.framesOut++, sent.push(`HEARTBEAT ${c.id}`))),
      onInactive: (c) => inactive.push(c.id),
    },
  );
}

test('an agent that keeps talking is never PINGed; a silent one is PINGed each interval and closed after the timeout as before', () => {
  const t0 = 1_000_000_000; // synthetic: every time here is passed in
  const chatty = client('chatty', t0);
  const silent = client('silent', t0);
  const sent: string[] = [];
  const inactive: string[] = [];
  const p = defaults([chatty, silent], sent, inactive);
  for (let s = 1; s <= 30; s++) {
    const now = t0 + s * 1000;
    if (s % 3 === 0) chatty.lastSeen = now; // a frame every 3 s
    p.sweep(now, now - 1000);
    if (inactive.length) {
      // the silent agent: PINGed once its silence reached the interval, judged once it passed the timeout
      assert.equal(s, 16, 'judged at the first sweep past 15 s of silence, as before');
      break;
    }
  }
  assert.deepEqual(inactive, ['silent']);
  assert.deepEqual(sent.filter((x) => x.startsWith('PING')), ['PING silent']);
  assert.ok(!sent.includes('PING chatty'));
});

test('an agent that answers each PING is PINGed once per interval, and the PING is its heartbeat', () => {
  const t0 = 1_000_000_000; // synthetic: every time here is passed in
  const idle = client('idle', t0);
  const sent: string[] = [];
  const inactive: string[] = [];
  const p = defaults([idle], sent, inactive);
  for (let s = 1; s <= 60; s++) {
    const now = t0 + s * 1000;
    const before = sent.length;
    p.sweep(now, now - 1000);
    if (sent.length > before) idle.lastSeen = now + 5; // its PONG
  }
  assert.deepEqual(inactive, []);
  assert.equal(sent.filter((x) => x === 'PING idle').length, 6, 'one PING each 10 s over 60 s');
  assert.ok(!sent.includes('HEARTBEAT idle'), 'no SERVER_HEARTBEAT besides the PINGs');
});

test('a client sent something within the heartbeat interval gets no SERVER_HEARTBEAT; a quiet one gets one each interval', () => {
  const t0 = 1_000_000_000; // synthetic: every time here is passed in
  const busy = client('busy', t0, 'frontend');
  const quiet = client('quiet', t0, 'frontend');
  const sent: string[] = [];
  const p = defaults([busy, quiet], sent);
  for (let s = 1; s <= 40; s++) {
    const now = t0 + s * 1000;
    if (s % 4 === 0) busy.framesOut++; // a status update every 4 s
    p.sweep(now, now - 1000);
  }
  assert.ok(!sent.includes('HEARTBEAT busy'));
  assert.equal(sent.filter((x) => x === 'HEARTBEAT quiet').length, 4, 'one each 10 s over 40 s');
  assert.ok(!sent.some((x) => x.startsWith('PING')), 'front-ends are never PINGed');
});

test('a tick that fires late (the hub stalled) is skipped once, the next one judges', async () => {
  const conns: Fake[] = [{ id: 'stale', lastSeen: Date.now() - 10_000, closing: false }];
  const inactive: string[] = [];
  const p = presence(conns, inactive, 100); // sweep every 25 ms
  p.start();
  const until = Date.now() + 200;
  while (Date.now() < until) {
    // block the event loop: the next tick is late
  }
  await new Promise((r) => setTimeout(r, 1));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(inactive, [], 'the late tick did not judge');
  await new Promise((r) => setTimeout(r, 150));
  p.stop();
  assert.ok(inactive.length >= 1, 'a later tick did');
});

function conn(rate: number): Connection {
  return new Connection({} as WebSocket, '127.0.0.1', { maxBufferedBytes: 1024, rateLimitPerSecond: rate }, { onSlowConsumer: () => undefined });
}

// Synthetic times start well after the connections were created, so that their creation instant never matters.
const T0 = Date.now() + 1_000_000;

test('the token bucket allows a burst of 2× the rate, then refills at the rate', () => {
  const c = conn(10);
  const t0 = T0;
  let ok = 0;
  for (let i = 0; i < 50; i++) if (c.checkRate(t0) === 'ok') ok++;
  assert.equal(ok, 20);
  assert.equal(c.rateDropped, 30);
  assert.equal(c.checkRate(t0 + 100), 'ok', '100 ms refills one token at 10/s');
  assert.equal(c.checkRate(t0 + 100), 'limited');
});

test('flooding in ten consecutive seconds is reported as abuse; a quiet second resets the count', () => {
  const c = conn(5);
  const t0 = T0;
  const floodSecond = (s: number): string[] => Array.from({ length: 40 }, (_, i) => c.checkRate(t0 + s * 1000 + i));
  for (let s = 0; s < 10; s++) assert.ok(!floodSecond(s).includes('abuse'), `second ${s}`);
  assert.ok(floodSecond(10).includes('abuse'));
  const d = conn(5);
  for (let s = 0; s < 9; s++) Array.from({ length: 40 }, (_, i) => d.checkRate(t0 + s * 1000 + i));
  d.checkRate(t0 + 9000); // one frame in second 9: within the refilled bucket, no drops
  for (let s = 10; s < 15; s++) for (let i = 0; i < 40; i++) assert.notEqual(d.checkRate(t0 + s * 1000 + i), 'abuse');
});

test('a rate of 0 disables the limit', () => {
  const c = conn(0);
  for (let i = 0; i < 10_000; i++) assert.equal(c.checkRate(), 'ok');
});
