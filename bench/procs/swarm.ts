// N clients in their own process (so neither side runs out of file descriptors at 10,000), `concurrency` connecting
// at a time. Agents (register: true) and bare connections (register: false, the bare-ws baseline) use the lean
// client of lightWs.ts: connect, register, answer PING. Monitors (monitor: true) use `ws` and take whatever the hub
// streams to them (bytes counted), so a benchmark's monitor load is on the hub without its reading landing in the
// measuring process.
import WebSocket from 'ws';
import { serveIpc } from '../lib';
import { lightWs } from './lightWs';

const cfg = JSON.parse(process.argv[2] ?? '{}') as {
  url: string;
  count: number;
  register: boolean;
  concurrency?: number;
  monitor?: boolean;
  onCommand?: boolean;
  /** Connections (registered like the real ones, then closed) made on `warm`, before the timed `go`. */
  warmup?: number;
};
let bytesIn = 0;
/** Each open client's way to close it. */
const closers: Array<() => void> = [];
let registered = 0;

/** An idle agent (or, unregistered, a bare connection). */
function agent(i: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let id = '';
    lightWs(cfg.url, {
      onError: reject,
      onOpen: (ws) => {
        closers.push(ws.close);
        if (!cfg.register) return resolve();
        ws.send(JSON.stringify({ message_type: 'REGISTER_AGENT', agent_name: `idle-${i}` }));
      },
      onText: (ws, s) => {
        if (!id) {
          id = (JSON.parse(s) as { agent_id: string }).agent_id;
          registered++;
          resolve();
        } else if (s.includes('"PING"')) ws.send(`{"message_type":"PONG","agent_id":"${id}"}`);
      },
    });
  });
}

function monitor(i: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(cfg.url, { perMessageDeflate: false });
    closers.push(() => ws.terminate());
    ws.once('error', reject);
    ws.once('open', () => {
      ws.on('message', (d: Buffer) => {
        bytesIn += d.length;
        if (d.includes('"REGISTER_MONITOR_RESPONSE"')) {
          registered++;
          resolve();
        }
      });
      ws.send(JSON.stringify({ message_type: 'REGISTER_MONITOR', monitor_name: `monitor-${i}`, backlog: 0 }));
    });
  });
}

/** Connects (and registers) `count` of them from index `from`, `concurrency` at a time; resolves with the time it took. */
async function connectAll(count = cfg.count, from = 0): Promise<number> {
  const conc = cfg.concurrency ?? 200;
  const one = cfg.monitor ? monitor : agent;
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(conc, count) }, async () => {
      while (next < count) await one(from + next++);
    }),
  );
  return performance.now() - t0;
}

/**
 * The same work as the timed run, thrown away: the server (and this process) have compiled the connect and
 * registration paths before the clock starts, so a rate measures them rather than V8 warming up.
 */
async function warm(): Promise<{ warmed: number }> {
  const n = cfg.warmup ?? 0;
  await connectAll(n, 1_000_000);
  for (const close of closers.splice(0)) close();
  registered = 0;
  await new Promise((r) => setTimeout(r, 300)); // the server handles the closes before the timed run
  return { warmed: n };
}

async function main(): Promise<void> {
  const info = (elapsedMs: number) => ({ elapsedMs, registered, bytesIn, open: closers.length });
  const stop = async (): Promise<void> => {
    for (const close of closers) close();
  };
  if (cfg.onCommand) {
    // Several swarms connect at once: each waits, ready, for `go` (so a rate counts only the time they all ran).
    serveIpc({ warm, go: async () => info(await connectAll()) }, stop);
    process.send?.({ type: 'ready', port: 0, token: '' });
    return;
  }
  const elapsedMs = await connectAll();
  serveIpc({ info: () => info(elapsedMs) }, stop);
  process.send?.({ type: 'ready', port: 0, token: '' });
}
void main();
