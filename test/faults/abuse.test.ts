// Abuse: wrong tokens and Origins, spoofed senders, a flood from one client, a client that never reads, and 10,000
// connects/disconnects — each refused or contained, with the other clients unaffected and nothing leaked.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import WebSocket from 'ws';
import { Hub } from '../../src/hub/hub';
import { open, register, waitFor, sleep, closeAll, type Frame } from './helpers';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function refused(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('open', () => reject(new Error('connection was accepted')));
    ws.on('error', () => undefined);
  });
}

// A test that fails before its own hub.stop() must not leave the hub holding the file open: stop every hub at the end.
const started = new Set<Hub>();
after(async () => {
  for (const hub of started) await hub.stop().catch(() => undefined);
});

async function startHub(extra: ConstructorParameters<typeof Hub>[0] = {}): Promise<Hub> {
  const hub = new Hub({ port: 0, token: 'abuse-token', pingIntervalMs: 60_000, inactivityTimeoutMs: 120_000, ...extra });
  started.add(hub);
  await hub.start();
  return hub;
}

test('a missing or wrong token and a foreign browser Origin never reach the hub', async () => {
  const hub = await startHub();
  const base = `ws://127.0.0.1:${hub.port}/ws`;
  assert.equal(await refused(base), 401);
  assert.equal(await refused(`${base}?token=abuse-tokeN`), 401);
  assert.equal(await refused(`${base}?token=abuse-token`, { Origin: 'https://attacker.example' }), 403);
  assert.equal(hub.stats().connections, 0);
  await hub.stop();
});

test('a spoofed sender_id is replaced by the sender’s own id before anyone sees it', async () => {
  const hub = await startHub();
  const victim = await register(hub.agentUrl, 'agent', 'victim');
  const target = await register(hub.agentUrl, 'agent', 'target');
  const mallory = await register(hub.agentUrl, 'agent', 'mallory');
  mallory.ws.send(JSON.stringify({ message_type: 'TEXT', sender_id: victim.id, receiver_id: target.id, text_payload: 'trust me' }));
  await waitFor(() => target.frames.some((f) => f.message_type === 'TEXT'), 5000, 'the message');
  const got = target.frames.find((f) => f.message_type === 'TEXT')!;
  assert.equal(got.sender_id, mallory.id);
  closeAll(victim.ws, target.ws, mallory.ws);
  await hub.stop();
});

test('a flood from one client is rate-limited while another pair keeps every message', async () => {
  const hub = await startHub({ rateLimitPerSecond: 500 });
  const sink = await register(hub.agentUrl, 'agent', 'sink');
  const flooder = await register(hub.agentUrl, 'agent', 'flooder');
  const fe = await register(hub.agentUrl, 'frontend', 'calm-ui');
  const frame = JSON.stringify({ message_type: 'TEXT', receiver_id: sink.id, text_payload: 'flood' });
  for (let i = 0; i < 5000; i++) flooder.ws.send(frame);
  for (let i = 0; i < 100; i++) fe.ws.send(JSON.stringify({ message_type: 'TEXT', receiver_id: sink.id, text_payload: `calm-${i}` }));
  await waitFor(() => sink.frames.filter((f) => String(f.text_payload).startsWith('calm-')).length === 100, 10_000, 'the calm messages');
  await sleep(200);
  const floods = sink.frames.filter((f) => f.text_payload === 'flood').length;
  assert.ok(floods < 5000, `the flood was cut (${floods} of 5000 delivered)`);
  assert.ok(flooder.frames.some((f) => f.message_type === 'ERROR' && f.code === 'rate_limited'), 'the flooder was told');
  closeAll(sink.ws, flooder.ws, fe.ws);
  await hub.stop();
});

test('a client that never reads is cut off with a reason, the hub’s memory stays bounded, and the others keep receiving', async () => {
  const hub = await startHub({ maxBufferedBytes: 2 * 1024 * 1024, rateLimitPerSecond: 1_000_000, logRingSize: 100 });
  const warnings: string[] = [];
  hub.events.on('warning', (w) => warnings.push(w));
  // a watching front-end (watch_all) gets a copy of every chat message; this one stops reading at the TCP level
  const stuck = await register(hub.agentUrl, 'frontend', 'never-reads', { watch_all: true });
  let closeReason = '';
  let closeCode = 0;
  stuck.ws.on('close', (c, r) => {
    closeCode = c;
    closeReason = String(r);
  });
  const healthy = await register(hub.agentUrl, 'frontend', 'healthy-ui', { watch_all: true });
  const agent = await register(hub.agentUrl, 'agent', 'producer');
  const target = await register(hub.agentUrl, 'agent', 'consumer');
  (stuck.ws as unknown as { _socket: { pause(): void } })._socket.pause();
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const payload = 'y'.repeat(4000);
  const N = 6000;
  // in batches, so the readers sharing this process get the event loop between them
  for (let i = 0; i < N; i++) {
    agent.ws.send(JSON.stringify({ message_type: 'TEXT', receiver_id: target.id, text_payload: payload, seq: i }));
    if (i % 50 === 49) await sleep(2);
  }
  await waitFor(() => healthy.frames.filter((f) => f.message_type === 'TEXT').length === N, 30_000, 'the healthy front-end to see every copy').catch((e: Error) => {
    throw new Error(`${e.message}: healthy ${healthy.frames.filter((f) => f.message_type === 'TEXT').length}, target ${target.frames.filter((f) => f.message_type === 'TEXT').length}, producer errors ${JSON.stringify(agent.frames.filter((f) => f.message_type === 'ERROR').slice(0, 2))}, warnings ${warnings.join(' / ')}`);
  });
  await waitFor(() => warnings.some((w) => w.includes(stuck.id)), 10_000, 'a slow-consumer warning');
  assert.equal(target.frames.filter((f) => f.message_type === 'TEXT').length, N);
  // the clients live in this process too: drop what they recorded so the heap measures the hub's share
  healthy.frames.length = 0;
  target.frames.length = 0;
  gc();
  const grown = process.memoryUsage().heapUsed - heapBefore;
  // 6,000 × 4 KB = 24 MB went to the stuck client; the hub kept at most its buffer cap (2 MiB) and its small log ring
  // for it, so the heap grows by a fraction of what was sent, not by all of it
  const sentBytes = N * payload.length;
  assert.ok(grown < sentBytes / 2, `heap grew ${(grown / 1048576).toFixed(1)} MiB for ${(sentBytes / 1048576).toFixed(1)} MiB sent`);
  (stuck.ws as unknown as { _socket: { resume(): void } })._socket.resume();
  await waitFor(() => stuck.ws.readyState === WebSocket.CLOSED, 10_000, 'the stuck client to see its close');
  // The reason is always in the hub's warning. The client itself reads it only if it resumes within the hub's close
  // grace (1 s): the close frame sits behind megabytes it never read, so after the grace the hub destroys the socket
  // and the client sees an abnormal close (1006) instead.
  assert.ok(warnings.some((w) => w.includes(stuck.id) && /stopped reading/.test(w)), warnings.join(' / '));
  if (closeCode === 1008) assert.match(closeReason, /read|slow|buffer/i);
  else assert.equal(closeCode, 1006, `close code ${closeCode} (${closeReason})`);
  closeAll(healthy.ws, agent.ws, target.ws);
  await hub.stop();
});

test('10,000 connects and disconnects leave heap and handle counts back at their baseline', async () => {
  const hub = await startHub({ rateLimitPerSecond: 1_000_000 });
  const round = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, n - i) }, async (_, j) => {
          const ws = await open(hub.agentUrl);
          const done = new Promise<void>((r) => ws.once('close', () => r()));
          // half register as agents, half stay anonymous: both paths must release everything
          if ((i + j) % 2 === 0) {
            ws.send(JSON.stringify({ message_type: 'REGISTER_AGENT', agent_name: `churn-${i + j}` }));
            await new Promise((r) => ws.once('message', r));
          }
          ws.close();
          await done;
        }),
      );
    }
  };
  await round(500); // warm-up: JIT, pools, the log ring filling
  await waitFor(() => hub.stats().connections === 0, 5000, 'connections to drain');
  await sleep(200);
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  const handles0 = process.getActiveResourcesInfo().length;
  await round(10_000);
  await waitFor(() => hub.stats().connections === 0, 10_000, 'connections to drain');
  await sleep(500);
  gc();
  const heap1 = process.memoryUsage().heapUsed;
  const handles1 = process.getActiveResourcesInfo().length;
  assert.equal(handles1, handles0, 'handle count back to baseline');
  // offline agent records are bounded by maxOfflineAgents and the log by its ring: growth must stay small
  assert.ok(heap1 - heap0 < 16 * 1024 * 1024, `heap grew ${((heap1 - heap0) / 1048576).toFixed(1)} MiB over 10,000 connections`);
  await hub.stop();
});

test('frames of every kind from a closed hub’s clients do not throw after stop', async () => {
  const hub = await startHub();
  const a = await register(hub.agentUrl, 'agent', 'late');
  const frames: Frame[] = [];
  a.ws.on('message', (d) => frames.push(JSON.parse(String(d)) as Frame));
  await hub.stop();
  assert.ok(a.frames.some((f) => f.message_type === 'SHUTDOWN') || frames.some((f) => f.message_type === 'SHUTDOWN'));
  assert.equal(hub.state, 'stopped');
});
