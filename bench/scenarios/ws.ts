// WebSocket-side benchmarks: the hub against bare `ws` servers doing the least the same job needs, in the same run.

import type WebSocket from 'ws';
import { decodeFrame } from '../../src/protocol/codec';
import { startProc, rawAgent, openWs, percentile, sleep, waitFor, fmt, type Row, type BenchProc } from '../lib';

const PAYLOAD = 'Please summarise the latest findings on the retrieval benchmark and list three follow-ups.';

function textFrame(from: string, to: string, text: string): string {
  return JSON.stringify({ message_type: 'TEXT', sender_id: from, receiver_id: to, text_payload: text, send_timestamp: new Date().toISOString() });
}

function hubUrl(p: BenchProc): string {
  return `ws://127.0.0.1:${p.port}/ws?token=${p.token}`;
}
function rawUrl(p: BenchProc): string {
  return `ws://127.0.0.1:${p.port}/`;
}

const dbg = (k: string, v: number): number => (process.env.BENCH_DEBUG && console.error(k, Math.round(v)), v);
interface Pair {
  send: () => void;
  delivered: () => number;
}
interface PacedPair {
  send: (t: number) => void;
  latencies: number[];
}

/** Windowed throughput: each of `pairs` senders keeps `window` messages in flight for `ms`. */
async function windowed(pairs: { send: () => void; delivered: () => number }[], window: number, ms: number): Promise<number> {
  const sent = pairs.map(() => 0);
  const pump = (i: number): void => {
    const p = pairs[i]!;
    while (sent[i]! - p.delivered() < window) {
      p.send();
      sent[i]!++;
    }
  };
  const start = performance.now();
  const base = pairs.reduce((a, p) => a + p.delivered(), 0);
  while (performance.now() - start < ms) {
    for (let i = 0; i < pairs.length; i++) pump(i);
    await new Promise((r) => setImmediate(r));
  }
  const total = pairs.reduce((a, p) => a + p.delivered(), 0) - base;
  // let what is still in flight arrive before the other side is measured
  await waitFor(() => pairs.every((p, i) => p.delivered() >= sent[i]!), 10_000, 'messages in flight').catch(() => undefined);
  return (total / (performance.now() - start)) * 1000;
}

/**
 * What every bench client does with a frame it receives, ours and baseline alike: decode the text and look at its
 * type (a PING from the hub is answered). The baseline clients do the same work per frame as ours, so the ratio
 * compares the servers, not different client code.
 */
function isText(s: string): boolean {
  return s.startsWith('{"message_type":"TEXT"') || s.includes('"message_type":"TEXT"');
}

/**
 * Ours and the baseline run side by side (both servers up, both client sets connected) and are measured in
 * alternating rounds, so background load on the two shared cores (other test runs) hits both alike.
 */
async function alternate(rounds: number, ours: () => Promise<void>, baseline: () => Promise<void>): Promise<void> {
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      await ours();
      await baseline();
    } else {
      await baseline();
      await ours();
    }
  }
}

export async function routedThroughput(ms = 3000): Promise<{ ours: number; baseline: number }> {
  const P = 8;
  const W = 64;
  const ROUND_MS = 500;
  // ours: agent → hub (validate, route, log, copy to a monitor) → agent
  const hub = await startProc('hubProc', { logRingSize: 10_000 });
  const monitor = await openWs(hubUrl(hub));
  monitor.send(JSON.stringify({ message_type: 'REGISTER_MONITOR', monitor_name: 'bench', backlog: 0 }));
  const pairs: Pair[] = [];
  const sockets: WebSocket[] = [monitor];
  for (let i = 0; i < P; i++) {
    let got = 0;
    const b = await rawAgent(hubUrl(hub), `b${i}`, (s) => {
      if (isText(s)) got++;
    });
    const a = await rawAgent(hubUrl(hub), `a${i}`);
    sockets.push(a.ws, b.ws);
    const frame = textFrame(a.id, b.id, PAYLOAD);
    pairs.push({ send: () => a.ws.send(frame), delivered: () => got });
  }
  // baseline: the same clients and payloads against a bare ws echo server
  const echo = await startProc('rawServer', { mode: 'echo' });
  const epairs: Pair[] = [];
  for (let i = 0; i < P; i++) {
    let got = 0;
    const ws = await openWs(rawUrl(echo));
    ws.on('message', (d) => {
      const s = String(d);
      if (s.includes('"PING"')) return;
      if (isText(s)) got++;
    });
    sockets.push(ws);
    const frame = textFrame(`agent_a${i}`, `agent_b${i}`, PAYLOAD);
    epairs.push({ send: () => ws.send(frame), delivered: () => got });
  }
  await windowed(pairs, W, 300); // warm-up
  await windowed(epairs, W, 300);
  let ours = 0;
  let baseline = 0;
  const rounds = Math.max(2, Math.round(ms / ROUND_MS));
  await alternate(
    rounds,
    async () => void (ours += dbg("ours", await windowed(pairs, W, ROUND_MS))),
    async () => void (baseline += dbg("base", await windowed(epairs, W, ROUND_MS))),
  );
  for (const s of sockets) s.terminate();
  await hub.stop();
  await echo.stop();
  return { ours: ours / rounds, baseline: baseline / rounds };
}

/** Paced at `rate` msg/s over 10 pairs; latency measured in one process, so one clock. */
async function paced(
  pairs: { send: (t: number) => void; latencies: number[] }[],
  rate: number,
  ms: number,
): Promise<number[]> {
  const start = performance.now();
  let sent = 0;
  while (performance.now() - start < ms) {
    const due = Math.floor(((performance.now() - start) / 1000) * rate);
    while (sent < due) {
      pairs[sent % pairs.length]!.send(performance.now());
      sent++;
    }
    await new Promise((r) => setImmediate(r));
  }
  await sleep(200);
  const all = pairs.flatMap((p) => p.latencies.splice(0));
  return all;
}

export async function addedLatency(rate = 10_000, ms = 3000): Promise<{ ours: number[]; baseline: number[] }> {
  const P = 10;
  const ROUND_MS = 750;
  const hub = await startProc('hubProc', {});
  const monitor = await openWs(hubUrl(hub));
  monitor.send(JSON.stringify({ message_type: 'REGISTER_MONITOR', monitor_name: 'bench', backlog: 0 }));
  const sockets: WebSocket[] = [monitor];
  const pairs: PacedPair[] = [];
  const stamp = /"text_payload":"t=([0-9.]+)"/;
  for (let i = 0; i < P; i++) {
    const latencies: number[] = [];
    const b = await rawAgent(hubUrl(hub), `b${i}`, (s) => {
      const m = stamp.exec(s);
      if (m) latencies.push(performance.now() - Number(m[1]));
    });
    const a = await rawAgent(hubUrl(hub), `a${i}`);
    sockets.push(a.ws, b.ws);
    pairs.push({ send: (t: number) => a.ws.send(textFrame(a.id, b.id, `t=${t}`)), latencies });
  }

  const relay = await startProc('rawServer', { mode: 'relay' });
  const rpairs: PacedPair[] = [];
  for (let i = 0; i < P; i++) {
    const latencies: number[] = [];
    const b = await openWs(rawUrl(relay));
    b.send(JSON.stringify({ hello: `b${i}` }));
    b.on('message', (d) => {
      const s = String(d);
      if (s.includes('"PING"')) return;
      const m = stamp.exec(s);
      if (m) latencies.push(performance.now() - Number(m[1]));
    });
    const a = await openWs(rawUrl(relay));
    sockets.push(a, b);
    const to = `b${i}`;
    rpairs.push({ send: (t: number) => a.send(`{"to":"${to}","frame":${textFrame(`a${i}`, to, `t=${t}`)}}`), latencies });
  }
  await sleep(100);
  await paced(pairs, rate, 500); // warm-up
  await paced(rpairs, rate, 500);
  const ours: number[] = [];
  const baseline: number[] = [];
  await alternate(
    Math.max(2, Math.round(ms / ROUND_MS)),
    async () => void ours.push(...(await paced(pairs, rate, ROUND_MS))),
    async () => void baseline.push(...(await paced(rpairs, rate, ROUND_MS))),
  );
  for (const s of sockets) s.terminate();
  await hub.stop();
  await relay.stop();
  return { ours: ours.sort((a, b) => a - b), baseline: baseline.sort((a, b) => a - b) };
}

/** One message to `m` monitors: deliveries per second to every monitor, against a raw broadcast of a pre-built buffer. */
export async function fanOut(m: number, k = 2000): Promise<{ ours: number; baseline: number }> {
  const hub = await startProc('hubProc', { monitorMaxPending: 100_000 });
  const counts: number[] = [];
  const sockets: WebSocket[] = [];
  for (let i = 0; i < m; i++) {
    const ws = await openWs(hubUrl(hub));
    counts.push(0);
    ws.on('message', (d) => {
      const s = String(d);
      if (!s.includes('"MONITOR_EVENTS"')) return;
      const msg = JSON.parse(s) as { entries: { direction: string; message_type: string }[] };
      for (const e of msg.entries) if (e.direction === 'in' && e.message_type === 'TEXT') counts[i]!++;
    });
    ws.send(JSON.stringify({ message_type: 'REGISTER_MONITOR', monitor_name: `m${i}`, backlog: 0 }));
    sockets.push(ws);
  }
  const b = await rawAgent(hubUrl(hub), 'sink');
  const a = await rawAgent(hubUrl(hub), 'source');
  sockets.push(a.ws, b.ws);
  await sleep(200);
  const frame = textFrame(a.id, b.id, PAYLOAD);
  let t0 = performance.now();
  for (let i = 0; i < k; i++) a.ws.send(frame);
  await waitFor(() => counts.every((c) => c >= k), 120_000, 'monitors to receive every message');
  const ours = (k / (performance.now() - t0)) * 1000;
  for (const s of sockets) s.terminate();
  await hub.stop();

  const bc = await startProc('rawServer', { mode: 'broadcast' });
  const bcounts: number[] = [];
  const bs: WebSocket[] = [];
  for (let i = 0; i < m; i++) {
    const ws = await openWs(rawUrl(bc));
    bcounts.push(0);
    ws.on('message', () => bcounts[i]!++);
    bs.push(ws);
  }
  const src = await openWs(rawUrl(bc));
  await sleep(200);
  t0 = performance.now();
  for (let i = 0; i < k; i++) src.send(frame);
  await waitFor(() => bcounts.every((c) => c >= k), 120_000, 'raw broadcast');
  const baseline = (k / (performance.now() - t0)) * 1000;
  for (const s of [...bs, src]) s.terminate();
  await bc.stop();
  return { ours, baseline };
}

export interface ScalePoint {
  n: number;
  oursBytesPerAgent: number;
  baseBytesPerAgent: number;
  oursCpu: number;
  baseCpu: number;
  registrationsPerSec: number;
  connectsPerSec: number;
}

async function idleCpu(p: BenchProc, windowMs: number): Promise<number> {
  const a = await p.stats();
  const t = performance.now();
  await sleep(windowMs);
  const b = await p.stats();
  return (b.cpuUserUs + b.cpuSystemUs - a.cpuUserUs - a.cpuSystemUs) / 1000 / (performance.now() - t);
}

/** Memory per connected agent and presence CPU at n agents (default intervals: PING every 10 s), hub vs bare ws. */
export async function scale(n: number, cpuWindowMs = 10_500): Promise<ScalePoint> {
  const hub = await startProc('hubProc', {});
  await sleep(300);
  const before = await hub.stats(true);
  const swarm = await startProc('swarm', { url: hubUrl(hub), count: n, register: true, concurrency: 100 });
  const info = await swarm.call<{ elapsedMs: number; registered: number }>('info');
  await sleep(500);
  const after = await hub.stats(true);
  const oursCpu = await idleCpu(hub, cpuWindowMs);
  await swarm.stop();
  await hub.stop();

  const raw = await startProc('rawServer', { mode: 'idle' });
  await sleep(300);
  const rb = await raw.stats(true);
  const rswarm = await startProc('swarm', { url: rawUrl(raw), count: n, register: false, concurrency: 100 });
  const rinfo = await rswarm.call<{ elapsedMs: number }>('info');
  await sleep(500);
  const ra = await raw.stats(true);
  const baseCpu = await idleCpu(raw, cpuWindowMs);
  await rswarm.stop();
  await raw.stop();
  return {
    n,
    oursBytesPerAgent: Math.max(0, after.rss - before.rss) / n,
    baseBytesPerAgent: Math.max(0, ra.rss - rb.rss) / n,
    oursCpu,
    baseCpu,
    registrationsPerSec: (info.registered / info.elapsedMs) * 1000,
    connectsPerSec: (n / rinfo.elapsedMs) * 1000,
  };
}

/** Frames per second through the protocol codec against JSON.parse alone (interleaved rounds, medians). */
export function validation(rounds = 7): { ours: number; baseline: number } {
  const frame = textFrame('web_1a2b3c4d', 'agent_5e6f7a8b', PAYLOAD);
  let sink = 0;
  const rate = (fn: () => void): number => {
    const end = performance.now() + 200;
    let n = 0;
    while (performance.now() < end) {
      for (let i = 0; i < 1000; i++) fn();
      n += 1000;
    }
    return n * 5;
  };
  const codec = (): void => {
    if (decodeFrame(frame).ok) sink++;
  };
  const parse = (): void => {
    sink += (JSON.parse(frame) as { message_type: string }).message_type.length;
  };
  for (let i = 0; i < 20_000; i++) {
    codec();
    parse();
  }
  const o: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < rounds; r++) {
    o.push(rate(codec));
    b.push(rate(parse));
  }
  if (sink < 0) console.log(sink);
  const med = (xs: number[]): number => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  return { ours: med(o), baseline: med(b) };
}

export function latencyRow(r: { ours: number[]; baseline: number[] }): Row[] {
  const o50 = percentile(r.ours, 50);
  const o99 = percentile(r.ours, 99);
  const b50 = percentile(r.baseline, 50);
  const b99 = percentile(r.baseline, 99);
  return [
    {
      what: 'added latency p50 (agent → agent at 10k msg/s)',
      ours: fmt.ms(o50),
      baseline: `${fmt.ms(b50)} (raw ws relay)`,
      ratio: `+${fmt.ms(o50 - b50)}`,
      goal: '—',
      met: null,
    },
    {
      what: 'added latency p99 (agent → agent at 10k msg/s)',
      ours: fmt.ms(o99),
      baseline: `${fmt.ms(b99)} (raw ws relay)`,
      ratio: `+${fmt.ms(o99 - b99)}`,
      goal: '< 1 ms added',
      met: o99 - b99 < 1,
      notes: `${r.ours.length} samples`,
    },
  ];
}
