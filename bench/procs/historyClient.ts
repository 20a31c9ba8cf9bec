// The HISTORY row's querying client, in a process of its own: a heap holding nothing but one connection and the
// since-ids it was given, so its own GC pauses are those of a client reading HISTORY_RESPONSEs — not the bench's main
// process, whose heap carries every earlier row's leftovers and the big topic's ids.
// argv: {url, topic, sinceIds: string[], limit}. IPC: `run {from, to}` sends HISTORY since sinceIds[from..to), one at a
// time (the next once the last one's response is parsed), checks that each response holds `limit` messages, and
// returns per query the time from sending to the parsed response, split into until the frame is in here as a string
// and its JSON.parse, with this process's GC pauses during the run.
import WebSocket from 'ws';
import { PerformanceObserver } from 'node:perf_hooks';
import { serveIpc } from '../lib';

const cfg = JSON.parse(process.argv[2] ?? '{}') as { url: string; topic: string; sinceIds: string[]; limit: number };

export interface HistoryRun {
  /** Send → parsed HISTORY_RESPONSE, per query, in ms. */
  total: number[];
  /** Send → the frame in this process as a string. */
  arrived: number[];
  /** The JSON.parse of it. */
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

function connect(): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(cfg.url, { perMessageDeflate: false });
    ws.once('error', reject);
    ws.once('open', () => ws.send(JSON.stringify({ message_type: 'REGISTER_AGENT', agent_name: 'history-reader' })));
    let id = '';
    ws.on('message', (data) => {
      const s = String(data);
      const t = performance.now();
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

async function run(ws: WebSocket, arg: unknown): Promise<HistoryRun> {
  const { from, to } = arg as { from: number; to: number };
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
  const ws = await connect();
  serveIpc(
    {
      // an error goes back as a value: serveIpc answers whatever the handler resolves with
      run: (arg) => run(ws, arg).catch((err: Error) => ({ error: err.message })),
    },
    async () => void ws.terminate(),
  );
  process.send?.({ type: 'ready', port: 0, token: '' });
}
void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
