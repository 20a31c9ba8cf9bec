// N idle agents in their own process (so neither side runs out of file descriptors at 10,000): connect, register
// (or just connect, for the bare-ws baseline), answer PING. Reports when all are up.
import WebSocket from 'ws';
import { serveIpc } from '../lib';

const cfg = JSON.parse(process.argv[2] ?? '{}') as { url: string; count: number; register: boolean; concurrency?: number };
const sockets: WebSocket[] = [];
let registered = 0;

function one(i: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(cfg.url, { perMessageDeflate: false });
    sockets.push(ws);
    ws.once('error', reject);
    ws.once('open', () => {
      if (!cfg.register) return resolve();
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

async function main(): Promise<void> {
  const conc = cfg.concurrency ?? 200;
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(conc, cfg.count) }, async () => {
      while (next < cfg.count) await one(next++);
    }),
  );
  const elapsedMs = performance.now() - t0;
  serveIpc({ info: () => ({ elapsedMs, registered, open: sockets.filter((s) => s.readyState === WebSocket.OPEN).length }) }, async () => {
    for (const s of sockets) s.terminate();
  });
  process.send?.({ type: 'ready', port: 0, token: '' });
}
void main();
