// N idle agents in their own process (so neither side runs out of file descriptors at 10,000): connect, register
// (or just connect, for the bare-ws baseline), answer PING. Reports when all are up.
// With monitor: true they register as monitors instead and take whatever the hub streams to them (bytes counted),
// so a benchmark's monitor load is on the hub without its reading landing in the measuring process.
import WebSocket from 'ws';
import { serveIpc } from '../lib';

const cfg = JSON.parse(process.argv[2] ?? '{}') as { url: string; count: number; register: boolean; concurrency?: number; monitor?: boolean; onCommand?: boolean };
let bytesIn = 0;
const sockets: WebSocket[] = [];
let registered = 0;

function one(i: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(cfg.url, { perMessageDeflate: false });
    sockets.push(ws);
    ws.once('error', reject);
    ws.once('open', () => {
      if (!cfg.register) return resolve();
      if (cfg.monitor) {
        ws.on('message', (d: Buffer) => {
          bytesIn += d.length;
          if (d.includes('"REGISTER_MONITOR_RESPONSE"')) {
            registered++;
            resolve();
          }
        });
        ws.send(JSON.stringify({ message_type: 'REGISTER_MONITOR', monitor_name: `monitor-${i}`, backlog: 0 }));
        return;
      }
      ws.send(JSON.stringify({ message_type: 'REGISTER_AGENT', agent_name: `idle-${i}` }));
      let id = '';
      ws.on('message', (d) => {
        const s = String(d);
        if (!id) {
          id = (JSON.parse(s) as { agent_id: string }).agent_id;
          registered++;
          resolve();
        } else if (s.includes('"PING"')) ws.send(`{"message_type":"PONG","agent_id":"${id}"}`);
      });
    });
  });
}

/** Connects (and registers) all of them, `concurrency` at a time; resolves with the time it took. */
async function connectAll(): Promise<number> {
  const conc = cfg.concurrency ?? 200;
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(conc, cfg.count) }, async () => {
      while (next < cfg.count) await one(next++);
    }),
  );
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const info = (elapsedMs: number) => ({ elapsedMs, registered, bytesIn, open: sockets.filter((s) => s.readyState === WebSocket.OPEN).length });
  const stop = async (): Promise<void> => {
    for (const s of sockets) s.terminate();
  };
  if (cfg.onCommand) {
    // Several swarms connect at once: each waits, ready, for `go` (so a rate counts only the time they all ran).
    serveIpc({ go: async () => info(await connectAll()) }, stop);
    process.send?.({ type: 'ready', port: 0, token: '' });
    return;
  }
  const elapsedMs = await connectAll();
  serveIpc({ info: () => info(elapsedMs) }, stop);
  process.send?.({ type: 'ready', port: 0, token: '' });
}
void main();
