// Presence and connection bookkeeping in isolation: the sweep finds only silent agents, a late tick (hub stall) is
// skipped once but never twice, and the token bucket allows a 2× burst, refills, and reports persistent flooding.
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
      registeredConnections: () => [],
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

test('equal PING and heartbeat intervals run both rounds in one turn (one write per agent); unequal ones run apart', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const rounds = (ping: number, heartbeat: number, ms: number): string[] => {
    const seen: string[] = [];
    let turn = 0;
    const p = new Presence(
      { pingIntervalMs: ping, inactivityTimeoutMs: 0, heartbeatIntervalMs: heartbeat },
      {
        agentConnections: () => [],
        registeredConnections: () => [],
        pingRound: () => void seen.push(`ping@${turn}`),
        heartbeatRound: () => void seen.push(`heartbeat@${turn}`),
        onInactive: () => undefined,
      },
    );
    p.start();
    for (let i = 1; i <= ms / 10; i++) {
      turn = i * 10;
      t.mock.timers.tick(10);
    }
    p.stop();
    return seen;
  };
  // the same callback: PING first, then the heartbeat, in the same turn
  assert.deepEqual(rounds(100, 100, 200), ['ping@100', 'heartbeat@100', 'ping@200', 'heartbeat@200']);
  assert.deepEqual(rounds(100, 50, 100), ['heartbeat@50', 'ping@100', 'heartbeat@100']);
  assert.deepEqual(rounds(0, 50, 100), ['heartbeat@50', 'heartbeat@100']);
  assert.deepEqual(rounds(50, 0, 100), ['ping@50', 'ping@100']);
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
