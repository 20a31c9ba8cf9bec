// The seed's own clients' frame pattern against the hub (issue 15, Measure): 10 front-ends registered as the seed UI
// does (REGISTER_FRONTEND {frontend_name}), each sending TEXT {message_id of 6 base36, sender_id, receiver_id,
// text_payload, send_timestamp as a browser's locale time, message_type} to its own agent, which answers as the seed's
// early agents do (REPLY {sender_id, receiver_id, text_payload} — no message_id, no in_reply_to_message_id: a
// front-end matches its replies in order). 100 round trips in flight in all. Baseline in the same run: the same
// clients on a bare `ws` relay (no registry, no validation, no log). Also counted: frames each front-end receives per
// round trip — the B10 figure, which was ≈19 while routed chat was copied to every front-end, and is 1 on the seed.

import type WebSocket from 'ws';
import { startProc, openWs, percentile, fmt, type BenchProc, type Row } from '../lib';

const FRONTENDS = 10;
const IN_FLIGHT = 100;
const PER_FRONTEND = IN_FLIGHT / FRONTENDS;
const PHASE_BUDGET_MS = 10_000;
const HUB_OPTS = { pingIntervalMs: 60_000, inactivityTimeoutMs: 120_000, heartbeatIntervalMs: 60_000, rateLimitPerSecond: 1_000_000, bus: 'memory' };

interface Load {
  perSec: number;
  p50: number;
  p99: number;
  /** Frames the front-ends received during the run, per round trip (chat and anything else). */
  framesPerRoundTrip: number;
}

/** How one side frames things: the hub speaks the seed's protocol, the bare relay needs a `to` prefix and a hello. */
interface Dialect {
  register(ws: WebSocket, role: 'agent' | 'frontend', i: number): Promise<string>;
  frame(to: string, body: Record<string, unknown>): string;
}

/** Agent ids are fresh per run: the warm-up's sockets may still be closing when the measured run registers. */
let runNo = 0;

function firstFrame(ws: WebSocket): Promise<Record<string, unknown>> {
  return new Promise((resolve) => ws.once('message', (d) => resolve(JSON.parse(String(d)) as Record<string, unknown>)));
}

const HUB: Dialect = {
  async register(ws, role, i) {
    const first = firstFrame(ws);
    if (role === 'agent') ws.send(JSON.stringify({ message_type: 'REGISTER_AGENT', agent_id: `agent_seedbench_${runNo}_${i}`, agent_name: `seed-agent-${i}` }));
    else ws.send(JSON.stringify({ message_type: 'REGISTER_FRONTEND', frontend_name: 'ChatUI' }));
    const r = await first;
    const id = r[role === 'agent' ? 'agent_id' : 'frontend_id'];
    if (r.status !== 'success' || typeof id !== 'string') throw new Error(`registration failed: ${JSON.stringify(r)}`);
    return id;
  },
  frame: (_to, body) => JSON.stringify(body),
};

const RAW: Dialect = {
  async register(ws, role, i) {
    const id = role === 'agent' ? `agent_seedbench_${runNo}_${i}` : `fe_${runNo}_${i}`;
    ws.send(JSON.stringify({ hello: id }));
    return id;
  },
  // the relay reads the receiver from a leading "to" field
  frame: (to, body) => `{"to":"${to}",${JSON.stringify(body).slice(1)}`,
};

function base36Id(): string {
  return Math.random().toString(36).slice(2, 8).padEnd(6, '0');
}

async function run(url: string, d: Dialect, budgetMs: number, maxRoundTrips: number): Promise<Load> {
  const sockets: WebSocket[] = [];
  runNo++;
  try {
    const agents: string[] = [];
    for (let i = 0; i < FRONTENDS; i++) {
      const ws = await openWs(url);
      sockets.push(ws);
      const id = await d.register(ws, 'agent', i);
      agents.push(id);
      ws.on('message', (data) => {
        const s = String(data);
        if (s.includes('"PING"')) return void ws.send(JSON.stringify({ message_type: 'PONG', agent_id: id }));
        const m = JSON.parse(s) as { message_type?: string; sender_id?: string };
        if (m.message_type !== 'TEXT' || !m.sender_id) return;
        ws.send(d.frame(m.sender_id, { message_type: 'REPLY', sender_id: id, receiver_id: m.sender_id, text_payload: 'All three runs finished; numbers are in the report.' }));
      });
    }
    const lat: number[] = [];
    let frames = 0;
    let done = 0;
    let started = 0;
    let t0 = performance.now();
    let finish: () => void = () => undefined;
    const finished = new Promise<void>((r) => (finish = r));
    let live = FRONTENDS;
    const starters: (() => void)[] = [];
    for (let i = 0; i < FRONTENDS; i++) {
      const ws = await openWs(url);
      sockets.push(ws);
      const feId = await d.register(ws, 'frontend', i);
      const agent = agents[i]!;
      const sentAt: number[] = [];
      const send = (): void => {
        if (started >= maxRoundTrips || performance.now() - t0 > budgetMs) return;
        started++;
        sentAt.push(performance.now());
        const body = {
          message_id: base36Id(),
          sender_id: feId,
          receiver_id: agent,
          text_payload: 'What is the status of the retrieval benchmark?',
          send_timestamp: new Date().toLocaleTimeString('en-US'),
          message_type: 'TEXT',
        };
        ws.send(d.frame(agent, body));
      };
      ws.on('message', (data) => {
        frames++;
        const s = String(data);
        if (!s.includes('"REPLY"')) return;
        const m = JSON.parse(s) as { sender_id?: string; receiver_id?: string };
        if (m.sender_id !== agent || m.receiver_id !== feId) return;
        lat.push(performance.now() - sentAt.shift()!);
        done++;
        send();
        if (sentAt.length === 0 && --live === 0) finish();
      });
      // each front-end keeps its share of the 100 in flight, started once all are connected (below)
      starters.push(() => {
        for (let k = 0; k < PER_FRONTEND; k++) send();
      });
    }
    const t1 = (t0 = performance.now());
    frames = 0;
    for (const start of starters) start();
    await finished;
    const elapsed = performance.now() - t1;
    lat.sort((a, b) => a - b);
    return { perSec: (done / elapsed) * 1000, p50: percentile(lat, 50), p99: percentile(lat, 99), framesPerRoundTrip: frames / Math.max(1, done) };
  } finally {
    for (const ws of sockets) ws.terminate();
  }
}

export async function seedClientRows(quick: boolean): Promise<Row[]> {
  const max = quick ? 20_000 : 60_000;
  const budget = quick ? 4000 : PHASE_BUDGET_MS;
  let hub: BenchProc | undefined;
  let raw: BenchProc | undefined;
  let ours: Load;
  let base: Load;
  try {
    raw = await startProc('rawServer', { mode: 'relay' });
    await run(`ws://127.0.0.1:${raw.port}/`, RAW, 1000, 2000); // warm-up
    base = await run(`ws://127.0.0.1:${raw.port}/`, RAW, budget, max);
    hub = await startProc('hubProc', HUB_OPTS);
    const url = `ws://127.0.0.1:${hub.port}/ws?token=${hub.token}`;
    await run(url, HUB, 1000, 2000); // warm-up
    ours = await run(url, HUB, budget, max);
  } finally {
    await hub?.stop();
    await raw?.stop();
  }
  const ratio = ours.perSec / base.perSec;
  return [
    {
      what: `seed workload, the seed's clients' frames: ${FRONTENDS} front-ends → their agents (TEXT → early-agent REPLY), ${IN_FLIGHT} in flight, memory bus`,
      ours: `${fmt.rate(ours.perSec)} (p50 ${fmt.ms(ours.p50)}, p99 ${fmt.ms(ours.p99)})`,
      baseline: `${fmt.rate(base.perSec)} (p50 ${fmt.ms(base.p50)}) bare ws relay; seed 40–50/s`,
      ratio: fmt.ratio(ratio),
      goal: '≥ 0.5×',
      met: ratio >= 0.5,
    },
    {
      what: `B10: frames each front-end receives per round trip (${FRONTENDS} front-ends, targeted chat)`,
      ours: ours.framesPerRoundTrip.toFixed(2),
      baseline: `${base.framesPerRoundTrip.toFixed(2)} bare ws relay; seed 1; ≈19 while routed chat was copied to every front-end`,
      ratio: fmt.ratio(ours.framesPerRoundTrip / Math.max(0.01, base.framesPerRoundTrip)),
      goal: '1 (no stray copies)',
      met: ours.framesPerRoundTrip < 1.05,
    },
  ];
}
