// The HISTORY row's querying client, in a process of its own: a heap holding nothing but one connection and the
// since-ids it was given, so its own GC pauses are those of a client reading HISTORY_RESPONSEs — not the bench's main
// process, whose heap carries every earlier row's leftovers and the big topic's ids.
// argv: {url, rawUrl, topic, sinceIds: string[], limit}. IPC: `run {target, from, to}` sends HISTORY since
// sinceIds[from..to), one at a time (the next once the last one's response is parsed), to the hub (`url`) or to the
// raw baseline server (`rawUrl`, bench/procs/rawServer.ts `reply`: the same frame from memory), checks that each
// response holds `limit` messages, and returns per query the time from sending until the whole response is here (ws's
// 'message'), and until it is decoded and parsed, with this process's GC pauses during the run. `sample` returns
// the last response as text (what the raw server is then given to answer with).
import WebSocket from 'ws';
import { PerformanceObserver } from 'node:perf_hooks';
import { serveIpc } from '../lib';

const cfg = JSON.parse(process.argv[2] ?? '{}') as { url: string; rawUrl: string; topic: string; sinceIds: string[]; limit: number };

export interface HistoryRun {
  /** Send → parsed HISTORY_RESPONSE, per query, in ms. */
  total: number[];
  /** Send → the whole response in this process (ws's 'message' event, before it is decoded). */
  arrived: number[];
  /** Its decoding to a string and JSON.parse. */
  parsing: number[];
  /** Characters per response (the last one). */
  size: number;
  /** This process's GC pauses during the run, ms. */
  gc: number[];
}

const gcPauses: number[] = [];
new PerformanceObserver((l) => {
  for (const e of l.getEntries()) gcPauses.push(e.duration);
}).observe({ entryTypes: ['gc'] });

let onFrame: ((s: string, t: number) => void) | undefined;
let last = '';

function connect(): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(cfg.url, { perMessageDeflate: false });
    ws.once('error', reject);
    ws.once('open', () => ws.send(JSON.stringify({ message_type: 'REGISTER_AGENT', agent_name: 'history-reader' })));
    let id = '';
    ws.on('message', (data) => {
      const t = performance.now();
      const s = String(data);
      if (!id) {
        const m = JSON.parse(s) as { message_type: string; agent_id?: string };
        if (m.message_type !== 'REGISTER_AGENT_RESPONSE' || !m.agent_id) return reject(new Error(`registration failed: ${s.slice(0, 200)}`));
        id = m.agent_id;
        return resolve(ws);
      }
      if (s.startsWith('{"message_type":"PING"')) ws.send(JSON.stringify({ message_type: 'PONG', agent_id: id }));
      else onFrame?.(s, t);
    });
  });
}

/** The raw baseline server: no registration, every frame answered with the response it was given. */
function connectRaw(): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(cfg.rawUrl, { perMessageDeflate: false });
    ws.once('error', reject);
    ws.once('open', () => resolve(ws));
    ws.on('message', (data) => {
      const t = performance.now();
      onFrame?.(String(data), t);
    });
  });
}

async function run(sockets: { hub: WebSocket; raw: WebSocket }, arg: unknown): Promise<HistoryRun> {
  const { from, to, target } = arg as { from: number; to: number; target: 'hub' | 'raw' };
  const ws = sockets[target];
  const out: HistoryRun = { total: [], arrived: [], parsing: [], size: 0, gc: [] };
  gcPauses.length = 0;
  for (let i = from; i < to; i++) {
    const since = cfg.sinceIds[i]!;
    const t0 = performance.now();
    const n = await new Promise<number>((resolve, reject) => {
      onFrame = (s, t1) => {
        if (!s.startsWith('{"message_type":"HISTORY_RESPONSE"')) return reject(new Error(`HISTORY since ${since} got ${s.slice(0, 200)}`));
        const messages = (JSON.parse(s) as { messages: unknown[] }).messages;
        const t2 = performance.now();
        out.arrived.push(t1 - t0);
        out.parsing.push(t2 - t1);
        out.total.push(t2 - t0);
        out.size = s.length;
        last = s;
        resolve(messages.length);
      };
      ws.send(JSON.stringify({ message_type: 'HISTORY', topic: cfg.topic, since_id: since, limit: cfg.limit }));
    });
    if (n !== cfg.limit) throw new Error(`HISTORY since ${since} returned ${n} messages, expected ${cfg.limit}`);
  }
  onFrame = undefined;
  out.gc = gcPauses.splice(0);
  return out;
}

async function main(): Promise<void> {
  const sockets = { hub: await connect(), raw: await connectRaw() };
  serveIpc(
    {
      // an error goes back as a value: serveIpc answers whatever the handler resolves with
      run: (arg) => run(sockets, arg).catch((err: Error) => ({ error: err.message })),
      sample: () => last,
    },
    async () => {
      sockets.hub.terminate();
      sockets.raw.terminate();
    },
  );
  process.send?.({ type: 'ready', port: 0, token: '' });
}
void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
