// WebSocket-side benchmarks: the hub against bare `ws` servers doing the least the same job needs, in the same run.

import type WebSocket from 'ws';
import { decodeFrame } from '../../src/protocol/codec';
import { startProc, rawAgent, openWs, percentile, sleep, waitFor, fmt, alternate, burstRates, type Row, type BenchProc } from '../lib';

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
  /** Set by windowed(): the pair's receiver calls it after counting a delivery. */
  onDeliver?: () => void;
}
interface PacedPair {
  send: (t: number) => void;
  latencies: number[];
}

/**
 * Windowed throughput: each of `pairs` senders keeps `window` messages in flight for `ms`. Event-driven: a delivery
 * sends the next message (no polling loop burning the client's core while it waits), the same for ours and baseline.
 */
async function windowed(pairs: Pair[], window: number, ms: number): Promise<number> {
  // per pair: sent in this window, and deliveries before it (delivered() counts from the start of the run)
  const sent = pairs.map(() => 0);
  const before = pairs.map((p) => p.delivered());
  let running = true;
  const pump = (i: number): void => {
    const p = pairs[i]!;
    while (running && sent[i]! - (p.delivered() - before[i]!) < window) {
      p.send();
      sent[i]!++;
    }
  };
  const base = pairs.reduce((a, p) => a + p.delivered(), 0);
  const start = performance.now();
  pairs.forEach((p, i) => {
    p.onDeliver = () => pump(i);
    pump(i);
  });
  await sleep(ms);
  running = false;
  const total = pairs.reduce((a, p) => a + p.delivered(), 0) - base;
  const rate = (total / (performance.now() - start)) * 1000;
  // let what is still in flight arrive before the other side is measured
  await waitFor(() => pairs.every((p, i) => p.delivered() - before[i]! >= sent[i]!), 10_000, 'messages in flight').catch(() => undefined);
  for (const p of pairs) p.onDeliver = undefined;
  return rate;
}

/**
 * The monitor whose copy of every message is part of the measured work. It reads in a process of its own: its
 * reading is the monitor's cost, not the hub's, and must not delay the measuring clients' event loop (the baseline
 * has no monitor to read).
 */
async function startMonitor(hub: BenchProc): Promise<BenchProc> {
  const m = await startProc('swarm', { url: hubUrl(hub), count: 1, register: true, monitor: true });
  await m.call('info');
  return m;
}

/**
 * What every bench client does with a frame it receives, ours and baseline alike: decode the text and look at its
 * type (a PING from the hub is answered). The baseline clients do the same work per frame as ours, so the ratio
 * compares the servers, not different client code.
 */
function isText(s: string): boolean {
  return s.startsWith('{"message_type":"TEXT"') || s.includes('"message_type":"TEXT"');
}

export interface CpuShare {
  server: number;
  client: number;
}

export async function routedThroughput(ms = 3000): Promise<{ ours: number; baseline: number; oursCpu: CpuShare; baselineCpu: CpuShare }> {
  const P = 8;
  const W = 64;
  const ROUND_MS = 500;
  // ours: agent → hub (validate, route, log, copy to a monitor) → agent
  const hub = await startProc('hubProc', { logRingSize: 10_000 });
  const monitor = await startMonitor(hub);
  const sockets: WebSocket[] = [];
  const pairs = await agentPairs(hub, P, sockets);
  // baseline: the same clients and payloads against a bare ws echo server
  const echo = await startProc('rawServer', { mode: 'echo' });
  const epairs: Pair[] = [];
  for (let i = 0; i < P; i++) {
    let got = 0;
    const ws = await openWs(rawUrl(echo));
    const frame = textFrame(`agent_a${i}`, `agent_b${i}`, PAYLOAD);
    const pair: Pair = { send: () => ws.send(frame), delivered: () => got };
    ws.on('message', (d) => {
      const s = String(d);
      if (s.includes('"PING"')) return;
      if (isText(s)) {
        got++;
        pair.onDeliver?.();
      }
    });
    sockets.push(ws);
    epairs.push(pair);
  }
  await windowed(pairs, W, 300); // warm-up
  await windowed(epairs, W, 300);
  let ours = 0;
  let baseline = 0;
  const rounds = Math.max(2, Math.round(ms / ROUND_MS));
  const oursCpu = new CpuMeter(hub);
  const baseCpu = new CpuMeter(echo);
  await alternate(
    rounds,
    async () => void (ours += dbg('ours', await oursCpu.during(() => windowed(pairs, W, ROUND_MS)))),
    async () => void (baseline += dbg('base', await baseCpu.during(() => windowed(epairs, W, ROUND_MS)))),
  );
  for (const s of sockets) s.terminate();
  await monitor.stop();
  await hub.stop();
  await echo.stop();
  return { ours: ours / rounds, baseline: baseline / rounds, oursCpu: oursCpu.summary(), baselineCpu: baseCpu.summary() };
}

/**
 * CPU used by the server process and by this (client) process while one side is measured, as shares of a core:
 * a server near 100% is the bottleneck; a client near 100% means the client caps the rate (client-bound).
 */
class CpuMeter {
  private server = 0;
  private client = 0;
  private wall = 0;
  constructor(private readonly proc: BenchProc) {}
  async during<T>(fn: () => Promise<T>): Promise<T> {
    const s0 = await this.proc.stats();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const out = await fn();
    const c1 = process.cpuUsage(c0);
    const s1 = await this.proc.stats();
    this.wall += performance.now() - t0;
    this.client += (c1.user + c1.system) / 1000;
    this.server += (s1.cpuUserUs + s1.cpuSystemUs - s0.cpuUserUs - s0.cpuSystemUs) / 1000;
    return out;
  }
  summary(): { server: number; client: number } {
    return { server: this.server / this.wall, client: this.client / this.wall };
  }
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

export async function addedLatency(rate = 10_000, ms = 3000): Promise<{ ours: number[]; baseline: number[]; hubGc: { minor: number[]; major: number[] } }> {
  const P = 10;
  const ROUND_MS = 750;
  const hub = await startProc('hubProc', {});
  const monitor = process.env.BENCH_NO_MONITOR ? undefined : await startMonitor(hub);
  const sockets: WebSocket[] = [];
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
  await hub.call('gcStats'); // from here: the hub's GC pauses while it carries the measured traffic (idle in the relay's rounds)
  await alternate(
    Math.max(2, Math.round(ms / ROUND_MS)),
    async () => void ours.push(...(await paced(pairs, rate, ROUND_MS))),
    async () => void baseline.push(...(await paced(rpairs, rate, ROUND_MS))),
  );
  const hubGc = (await hub.call('gcStats')) as { minor: number[]; major: number[] };
  for (const s of sockets) s.terminate();
  await monitor?.stop();
  await hub.stop();
  await relay.stop();
  return { ours: ours.sort((a, b) => a - b), baseline: baseline.sort((a, b) => a - b), hubGc };
}

/** Occurrences of `needle` in `s`. */
function count(s: string, needle: string): number {
  let n = 0;
  for (let i = s.indexOf(needle); i >= 0; i = s.indexOf(needle, i + needle.length)) n++;
  return n;
}

/**
 * One message to `m` monitors: deliveries per second to every monitor, against a raw broadcast of a pre-built buffer.
 * Both client sets decode each frame's text and count the chat messages in it by scanning (ours: the inbound TEXT
 * entries of a MONITOR_EVENTS batch; baseline: the TEXT frame itself); both servers run side by side and are measured
 * in alternating rounds.
 */
export async function fanOut(m: number, k = 2000): Promise<{ ours: number; baseline: number }> {
  const hub = await startProc('hubProc', { monitorMaxPending: 100_000 });
  const counts: number[] = [];
  const sockets: WebSocket[] = [];
  for (let i = 0; i < m; i++) {
    const ws = await openWs(hubUrl(hub));
    counts.push(0);
    ws.on('message', (d) => {
      const s = String(d);
      if (s.startsWith('{"message_type":"MONITOR_EVENTS"')) counts[i]! += count(s, '"direction":"in","message_type":"TEXT"');
    });
    ws.send(JSON.stringify({ message_type: 'REGISTER_MONITOR', monitor_name: `m${i}`, backlog: 0 }));
    sockets.push(ws);
  }
  const b = await rawAgent(hubUrl(hub), 'sink');
  const a = await rawAgent(hubUrl(hub), 'source');
  sockets.push(a.ws, b.ws);
  const frame = textFrame(a.id, b.id, PAYLOAD);

  const bc = await startProc('rawServer', { mode: 'broadcast' });
  const bcounts: number[] = [];
  for (let i = 0; i < m; i++) {
    const ws = await openWs(rawUrl(bc));
    bcounts.push(0);
    ws.on('message', (d) => {
      if (isText(String(d))) bcounts[i]!++;
    });
    sockets.push(ws);
  }
  const src = await openWs(rawUrl(bc));
  sockets.push(src);
  await sleep(200);

  const rates = await burstRates(
    k,
    { send: () => a.ws.send(frame), got: counts, what: 'monitors to receive every message' },
    { send: () => src.send(frame), got: bcounts, what: 'raw broadcast' },
    120_000,
  );
  for (const s of sockets) s.terminate();
  await hub.stop();
  await bc.stop();
  return rates;
}

export interface ScalePoint {
  n: number;
  oursBytesPerAgent: number;
  baseBytesPerAgent: number;
  oursCpu: number;
  baseCpu: number;
  /** CPU of bare ws running the ws FAQ heartbeat (a WebSocket ping to each client every 10 s): any presence's floor. */
  floorCpu: number | undefined;
  registrationsPerSec: number;
  connectsPerSec: number;
  /** Bare ws connects that each send one frame and wait for it back (echo): any registration's round trip, no logic. */
  echoConnectsPerSec: number;
  /** The lowest and highest registrations/connects ratio of the alternating rounds. */
  ratioSpread: [number, number];
}

async function idleCpu(p: BenchProc, windowMs: number): Promise<number> {
  const a = await p.stats();
  const t = performance.now();
  await sleep(windowMs);
  const b = await p.stats();
  return (b.cpuUserUs + b.cpuSystemUs - a.cpuUserUs - a.cpuSystemUs) / 1000 / (performance.now() - t);
}

/**
 * `n` idle agents from SWARMS client processes connecting at once (100 at a time in all): the time from `go` until
 * all are up, after a warm-up of the same work on the same server (WARMUP_PER_SWARM each, closed again), so the rate
 * is the server's compiled path rather than V8 warming up. The clients are lean (procs/lightWs.ts) and split over two
 * processes, the same for ours and the baseline: on two cores the load generator's own CPU otherwise sets the rate.
 */
const SWARMS = 2;
/** Registrations (connections, for bare ws) each swarm makes and closes before the timed run, on either server. */
const WARMUP_PER_SWARM = 200;
interface Swarm {
  procs: BenchProc[];
  /** Connects (and registers) the n, timed from the moment every swarm starts. */
  go(): Promise<{ elapsedMs: number; registered: number }>;
}
async function swarmReady(url: string, n: number, register: boolean, warmup = WARMUP_PER_SWARM): Promise<Swarm> {
  const k = n >= SWARMS ? SWARMS : 1;
  const procs = await Promise.all(
    Array.from({ length: k }, (_, i) =>
      startProc('swarm', { url, count: Math.floor(n / k) + (i < n % k ? 1 : 0), register, concurrency: Math.ceil(100 / k), onCommand: true, warmup }),
    ),
  );
  await Promise.all(procs.map((p) => p.call('warm')));
  return {
    procs,
    async go() {
      const t0 = performance.now();
      const infos = await Promise.all(procs.map((p) => p.call<{ registered: number }>('go')));
      return { elapsedMs: performance.now() - t0, registered: infos.reduce((a, x) => a + x.registered, 0) };
    },
  };
}

/**
 * Memory per connected agent and presence CPU at n agents (default intervals: PING and heartbeat every 10 s), hub vs
 * bare ws. CPU is averaged over whole presence periods (cpuWindowMs a multiple of 10 s): a window that is not catches
 * one round or two by chance. Both servers are up at once and the registrations and the bare connects alternate in
 * rounds (a share of n each), so both sides meet the same load from the rest of the machine. From 1,000 agents on, a
 * third server, bare ws with the ws FAQ heartbeat (a WebSocket ping to every client each 10 s), measures what any
 * presence at that interval costs: one write and one read per client per interval. A third side in the rounds,
 * bare ws echoing the client's REGISTER_AGENT back, is the floor of any registration: a connect plus one round trip.
 */
export async function scale(n: number, cpuWindowMs = 20_000): Promise<ScalePoint> {
  const hub = await startProc('hubProc', {});
  const raw = await startProc('rawServer', { mode: 'idle' });
  const echo = await startProc('rawServer', { mode: 'echo' });
  await sleep(300);
  const rounds = n >= 1000 ? 3 : 1;
  const share = (r: number): number => Math.floor(n / rounds) + (r < n % rounds ? 1 : 0);
  const ours: Swarm[] = [];
  const base: Swarm[] = [];
  const echoed: Swarm[] = [];
  for (let r = 0; r < rounds; r++) {
    // one warm-up per server, as before the rounds: more would leave the heap grown and hide the agents' memory
    const warm = r === 0 ? WARMUP_PER_SWARM : 0;
    ours.push(await swarmReady(hubUrl(hub), share(r), true, warm));
    base.push(await swarmReady(rawUrl(raw), share(r), false, warm));
    echoed.push(await swarmReady(rawUrl(echo), share(r), true, warm));
  }
  const before = await hub.stats(true);
  const rb = await raw.stats(true);
  let oursMs = 0;
  let baseMs = 0;
  let echoMs = 0;
  let registered = 0;
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    // which side goes first alternates
    const goOurs = async (): Promise<number> => {
      const o = await ours[r]!.go();
      registered += o.registered;
      oursMs += o.elapsedMs;
      return o.registered / o.elapsedMs;
    };
    const goBase = async (): Promise<number> => {
      const b = await base[r]!.go();
      baseMs += b.elapsedMs;
      return share(r) / b.elapsedMs;
    };
    let o: number;
    let b: number;
    if (r % 2 === 0) {
      o = await goOurs();
      b = await goBase();
    } else {
      b = await goBase();
      o = await goOurs();
    }
    ratios.push(o / b);
    echoMs += (await echoed[r]!.go()).elapsedMs;
  }
  await sleep(500);
  const after = await hub.stats(true);
  const ra = await raw.stats(true);
  const oursCpu = await idleCpu(hub, cpuWindowMs);
  const baseCpu = await idleCpu(raw, cpuWindowMs);
  for (const sw of [...ours, ...base, ...echoed]) for (const p of sw.procs) await p.stop();
  await hub.stop();
  await raw.stop();
  await echo.stop();
  let floorCpu: number | undefined;
  if (n >= 1000) {
    const faq = await startProc('rawServer', { mode: 'heartbeat' });
    await sleep(300);
    const sw = await swarmReady(rawUrl(faq), n, false);
    await sw.go();
    await sleep(500);
    floorCpu = await idleCpu(faq, cpuWindowMs);
    for (const p of sw.procs) await p.stop();
    await faq.stop();
  }
  return {
    n,
    oursBytesPerAgent: Math.max(0, after.rss - before.rss) / n,
    baseBytesPerAgent: Math.max(0, ra.rss - rb.rss) / n,
    oursCpu,
    baseCpu,
    floorCpu,
    registrationsPerSec: (registered / oursMs) * 1000,
    connectsPerSec: (n / baseMs) * 1000,
    echoConnectsPerSec: (n / echoMs) * 1000,
    ratioSpread: [Math.min(...ratios), Math.max(...ratios)],
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

export function latencyRow(r: { ours: number[]; baseline: number[]; hubGc: { minor: number[]; major: number[] } }): Row[] {
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
      notes: `${r.ours.length} samples; hub GC meanwhile: ${gcLine(r.hubGc)}`,
    },
  ];
}

/** "41 scavenges, 5.1 ms mean, 9.4 ms max; 2 other, 8.6 ms max" (other: mark-compact and the rest). */
function gcLine(g: { minor: number[]; major: number[] }): string {
  const sum = (a: number[]): number => a.reduce((x, y) => x + y, 0);
  const max = (a: number[]): number => a.reduce((x, y) => Math.max(x, y), 0);
  const minor = g.minor.length ? `${g.minor.length} scavenges, ${(sum(g.minor) / g.minor.length).toFixed(1)} ms mean, ${max(g.minor).toFixed(1)} ms max` : 'no scavenge';
  return g.major.length ? `${minor}; ${g.major.length} other, ${max(g.major).toFixed(1)} ms max` : minor;
}

/** For scenarios of other slices (bench/scenarios/debugger.ts): the same clients, windows and alternation. */
export { windowed, alternate, type Pair };

/** `n` agent pairs on a hub (a sends TEXT to b; b counts what arrives); their sockets are added to `sockets`. */
export async function agentPairs(hub: BenchProc, n: number, sockets: WebSocket[]): Promise<Pair[]> {
  const pairs: Pair[] = [];
  for (let i = 0; i < n; i++) {
    let got = 0;
    const pair: Pair = { send: () => undefined, delivered: () => got };
    const b = await rawAgent(hubUrl(hub), `b${i}`, (s) => {
      if (isText(s)) {
        got++;
        pair.onDeliver?.();
      }
    });
    const a = await rawAgent(hubUrl(hub), `a${i}`);
    sockets.push(a.ws, b.ws);
    const frame = textFrame(a.id, b.id, PAYLOAD);
    pair.send = () => a.ws.send(frame);
    pairs.push(pair);
  }
  return pairs;
}
