// Seed 003 agent streams: (1) 100 subscribers watch an agent whose context changes 100 times a second — bytes the
// subscribers receive and the hub's CPU, against a raw ws server that sends every subscriber the full context on every
// change (what a stream without diffs costs); (2) a tool approval's round trip (agent → hub → a front-end that decides
// → agent) against a chat round trip over the same two hops on the same hub.
import type WebSocket from 'ws';
import { fmt, openWs, percentile, rawAgent, sleep, startProc, waitFor, type BenchProc, type Row } from '../lib';

const SUBSCRIBERS = 100;
const CHANGES_PER_SEC = 100;

/** A context the way an LLM agent's grows: model, tools, MCP servers, the last 20 messages (one more each turn). */
function contextAt(turn: number): Record<string, unknown> {
  const messages = [];
  for (let i = Math.max(0, turn - 20); i < turn; i++) messages.push({ role: i % 2 ? 'assistant' : 'user', text: `message ${i}: ${'lorem ipsum dolor sit amet '.repeat(4)}` });
  return {
    model: 'bench-model-1',
    tools: ['read_file', 'write_file', 'run_tests', 'search', 'grep', 'shell'],
    mcp_servers: [{ name: 'filesystem', status: 'connected' }, { name: 'git', status: 'connected' }],
    turn,
    tokens_used: turn * 137,
    recent_messages: messages,
  };
}

interface StreamRun {
  bytes: number;
  frames: number;
  cpu: number;
  seconds: number;
  avgContextBytes: number;
}

async function cpuOf(proc: BenchProc, run: () => Promise<void>): Promise<{ cpu: number; seconds: number }> {
  const a = await proc.stats();
  const t0 = process.hrtime.bigint();
  await run();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const b = await proc.stats();
  return { cpu: (b.cpuUserUs + b.cpuSystemUs - a.cpuUserUs - a.cpuSystemUs) / 1e6 / seconds, seconds };
}

/** Sends CHANGES_PER_SEC context reports a second for `ms`, paced in 10 ms ticks. */
async function drive(send: (turn: number) => number, ms: number): Promise<number> {
  let turn = 0;
  let bytes = 0;
  const start = Date.now();
  while (Date.now() - start < ms) {
    const due = Math.floor(((Date.now() - start) / 1000) * CHANGES_PER_SEC);
    while (turn < due) bytes += send(++turn);
    await sleep(10);
  }
  return turn ? bytes / turn : 0;
}

async function ours(ms: number): Promise<StreamRun> {
  const hub = await startProc('hubProc', { streamDiffIntervalMs: 250, maxBufferedBytes: 64 * 1024 * 1024 });
  const url = `ws://127.0.0.1:${hub.port}/ws?token=${hub.token}`;
  const subs: WebSocket[] = [];
  try {
    const agent = await rawAgent(url, 'bench-streamer');
    let bytes = 0;
    let frames = 0;
    let counting = false;
    let snapshots = 0;
    for (let i = 0; i < SUBSCRIBERS; i++) {
      const ws = await openWs(url);
      ws.on('message', (d: Buffer) => {
        const s = String(d);
        if (s.includes('"SNAPSHOT"')) snapshots++;
        if (!counting) return;
        bytes += d.length;
        frames++;
      });
      ws.send(JSON.stringify({ message_type: 'REGISTER_FRONTEND', frontend_name: `sub${i}` }));
      ws.send(JSON.stringify({ message_type: 'MONITOR_SUBSCRIBE', agent_id: agent.id }));
      subs.push(ws);
    }
    await waitFor(() => snapshots >= SUBSCRIBERS, 20_000, 'every subscriber has its snapshot');
    counting = true;
    let avg = 0;
    const { cpu, seconds } = await cpuOf(hub, async () => {
      avg = await drive((turn) => {
        const frame = JSON.stringify({ message_type: 'AGENT_CONTEXT', context: contextAt(turn) });
        agent.ws.send(frame);
        return frame.length;
      }, ms);
      await sleep(400); // the last diff interval
    });
    counting = false;
    agent.ws.close();
    return { bytes, frames, cpu, seconds, avgContextBytes: avg };
  } finally {
    for (const s of subs) s.close();
    await hub.stop();
  }
}

async function fullSnapshots(ms: number): Promise<StreamRun> {
  const raw = await startProc('rawServer', { mode: 'broadcast' });
  const url = `ws://127.0.0.1:${raw.port}/`;
  const subs: WebSocket[] = [];
  try {
    let bytes = 0;
    let frames = 0;
    for (let i = 0; i < SUBSCRIBERS; i++) {
      const ws = await openWs(url);
      ws.on('message', (d: Buffer) => {
        bytes += d.length;
        frames++;
      });
      subs.push(ws);
    }
    const agent = await openWs(url);
    let avg = 0;
    const { cpu, seconds } = await cpuOf(raw, async () => {
      avg = await drive((turn) => {
        const frame = JSON.stringify({ message_type: 'SNAPSHOT', agent_id: 'agent_bench', agent: null, context: contextAt(turn), pending_approvals: [] });
        agent.send(frame);
        return frame.length;
      }, ms);
      await sleep(400);
    });
    agent.close();
    return { bytes, frames, cpu, seconds, avgContextBytes: avg };
  } finally {
    for (const s of subs) s.close();
    await raw.stop();
  }
}

/** Sequential round trips: an approval decided by a subscribed front-end, and a TEXT answered by the same front-end. */
async function roundTrips(n: number): Promise<{ approval: number[]; chat: number[] }> {
  const hub = await startProc('hubProc', {});
  const url = `ws://127.0.0.1:${hub.port}/ws?token=${hub.token}`;
  try {
    let resolveNext: (() => void) | undefined;
    const agent = await rawAgent(url, 'bench-asker', (s) => {
      if (s.includes('"TOOL_APPROVAL_DECISION"') || s.includes('"REPLY"')) resolveNext?.();
    });
    const fe = await openWs(url);
    let feId = '';
    fe.on('message', (d: Buffer) => {
      const s = String(d);
      if (s.includes('"REGISTER_FRONTEND_RESPONSE"')) feId = (JSON.parse(s) as { frontend_id: string }).frontend_id;
      else if (s.includes('"approval_requested"')) {
        const m = JSON.parse(s) as { event: { data: { approval_id: string } } };
        fe.send(JSON.stringify({ message_type: 'TOOL_APPROVAL_DECISION', approval_id: m.event.data.approval_id, approved: true }));
      } else if (s.includes('"message_type":"TEXT"')) {
        const m = JSON.parse(s) as { message_id: string; sender_id: string };
        fe.send(JSON.stringify({ message_type: 'REPLY', receiver_id: m.sender_id, text_payload: 'ok', in_reply_to_message_id: m.message_id }));
      }
    });
    fe.send(JSON.stringify({ message_type: 'REGISTER_FRONTEND', frontend_name: 'decider' }));
    await waitFor(() => feId !== '', 5000, 'front-end registered');
    fe.send(JSON.stringify({ message_type: 'MONITOR_SUBSCRIBE', agent_id: agent.id }));
    await sleep(100);
    const once = async (send: () => void): Promise<number> => {
      const done = new Promise<void>((r) => (resolveNext = r));
      const t0 = process.hrtime.bigint();
      send();
      await done;
      return Number(process.hrtime.bigint() - t0) / 1e6;
    };
    const approval: number[] = [];
    const chat: number[] = [];
    for (let i = 0; i < n + 50; i++) {
      // interleaved, so both see the same machine; the first 50 of each warm up
      const a = await once(() => agent.ws.send(JSON.stringify({ message_type: 'TOOL_APPROVAL_REQUEST', approval_id: `b${i}`, tool: 'write_file', arguments: { path: `f${i}` } })));
      const c = await once(() => agent.ws.send(JSON.stringify({ message_type: 'TEXT', receiver_id: feId, text_payload: `q${i}` })));
      if (i >= 50) {
        approval.push(a);
        chat.push(c);
      }
    }
    agent.ws.close();
    fe.close();
    return { approval: approval.sort((x, y) => x - y), chat: chat.sort((x, y) => x - y) };
  } finally {
    await hub.stop();
  }
}

export async function agentStreamRows(quick: boolean): Promise<Row[]> {
  const ms = quick ? 4000 : 10_000;
  const o = await ours(ms);
  const b = await fullSnapshots(ms);
  const byteRatio = o.bytes / o.seconds / (b.bytes / b.seconds);
  const rt = await roundTrips(quick ? 200 : 1000);
  const p = (xs: number[], q: number): number => percentile(xs, q);
  return [
    {
      what: `agent stream: ${SUBSCRIBERS} subscribers, context (~${fmt.kb(o.avgContextBytes)}) changing ${CHANGES_PER_SEC}×/s — bytes sent`,
      ours: `${fmt.kb(o.bytes / o.seconds)}/s (${fmt.rate(o.frames / o.seconds)} frames)`,
      baseline: `${fmt.kb(b.bytes / b.seconds)}/s (full snapshot each change, raw ws broadcast)`,
      ratio: fmt.ratio(byteRatio),
      goal: '≤ 0.1× bytes',
      met: byteRatio <= 0.1,
      notes: `hub CPU (of one core) ${fmt.pct(o.cpu)} vs raw broadcast ${fmt.pct(b.cpu)}; DIFFs every 250 ms (streamDiffIntervalMs)`,
    },
    {
      what: 'tool approval round trip (agent → hub → front-end decides → agent), p50 / p99',
      ours: `${fmt.ms(p(rt.approval, 50))} / ${fmt.ms(p(rt.approval, 99))}`,
      baseline: `${fmt.ms(p(rt.chat, 50))} / ${fmt.ms(p(rt.chat, 99))} (TEXT → REPLY over the same hops)`,
      ratio: fmt.ratio(p(rt.approval, 50) / p(rt.chat, 50)),
      goal: 'p50 ≤ 2× chat',
      met: p(rt.approval, 50) <= 2 * p(rt.chat, 50),
      notes: `${rt.approval.length} sequential samples each, interleaved`,
    },
  ];
}
