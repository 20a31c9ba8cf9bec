// Baseline servers on bare `ws` (no validation, no log, no registry), in their own process for benchmarks:
//   echo      — every frame back to its sender
//   relay     — a frame {"to": i, …} goes to the connection that said {"hello": i}
//   broadcast — every frame from a sender to every other connection, serialised once (a pre-built buffer)
//   idle      — accepts sockets and keeps them (the scale baseline)
//   heartbeat — idle, plus the ws FAQ heartbeat: a ping to every client each 10 s, the silent ones terminated
//   reply     — every frame answered with one frame given over IPC (`setReply`), sent from memory as it is (the HISTORY
//               row's baseline: a server that has the response ready)
import { WebSocketServer, WebSocket } from 'ws';
import { serveIpc } from '../lib';

const { mode } = JSON.parse(process.argv[2] ?? '{}') as { mode: 'echo' | 'relay' | 'broadcast' | 'idle' | 'heartbeat' | 'reply' };
let reply: Buffer = Buffer.from('{}');
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, maxPayload: 1024 * 1024 });
const byName = new Map<string, WebSocket>();
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => {
    if (mode === 'echo') ws.send(data, { binary: isBinary });
    else if (mode === 'reply') ws.send(reply, { binary: false });
    else if (mode === 'relay') {
      const s = String(data);
      if (s.startsWith('{"hello"')) byName.set((JSON.parse(s) as { hello: string }).hello, ws);
      else {
        const to = s.slice(7, s.indexOf('"', 7));
        byName.get(to)?.send(s);
      }
    } else if (mode === 'broadcast') {
      const buf = Buffer.from(data as Buffer);
      for (const c of wss.clients) if (c !== ws && c.readyState === WebSocket.OPEN) c.send(buf);
    }
  });
});
const alive = new WeakSet<WebSocket>();
if (mode === 'heartbeat') {
  wss.on('connection', (ws) => {
    alive.add(ws);
    ws.on('pong', () => alive.add(ws));
  });
  const timer = setInterval(() => {
    for (const ws of wss.clients) {
      if (!alive.has(ws)) {
        ws.terminate();
        continue;
      }
      alive.delete(ws);
      ws.ping();
    }
  }, 10_000);
  wss.on('close', () => clearInterval(timer));
}
wss.on('listening', () => {
  const addr = wss.address() as { port: number };
  serveIpc({ setReply: (text) => void (reply = Buffer.from(String(text))) }, () => new Promise<void>((r) => wss.close(() => r())));
  process.send?.({ type: 'ready', port: addr.port, token: '' });
});
