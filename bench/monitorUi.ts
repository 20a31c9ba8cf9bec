// How smooth the Monitor stays under load, in Debian's Chromium: a stand-in hub (the real page and bundle over HTTP,
// a WebSocket speaking the monitor protocol) streams synthetic log entries at RATE per second in 50 ms batches, and
// the page measures its own frame intervals and long tasks. UI only: the hub's own cost is in bench/run.ts.
// Usage: npm run build && npx tsx bench/monitorUi.ts [rate=5000] [seconds=10] [filterText] (AGENTS=n, default 20)

import { createServer } from 'node:http';
import { readFileSync, rmSync } from 'node:fs';
import { join, extname } from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { renderMonitorPage } from '../src/hub/monitorPage';
import { launchChromium, makeRunDir, repoRoot } from '../tools/vscode/codeServer.mjs';

const RATE = Number(process.argv[2] ?? 5000);
const SECONDS = Number(process.argv[3] ?? 10);
const FILTER = process.argv[4] ?? '';
const AGENTS = Number(process.env.AGENTS ?? 20);
const WEBVIEW = join(repoRoot, 'dist', 'webview');
const TYPES: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.ttf': 'font/ttf' };

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/monitor') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(renderMonitorPage({ token: 'bench', hubId: 'hub_bench', assetBase: '/monitor/assets', nonce: 'bench' }));
    return;
  }
  const file = url.pathname.replace('/monitor/assets/', '');
  try {
    const body = readFileSync(join(WEBVIEW, file.replace(/\.\./g, '')));
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(body);
  } catch {
    res.writeHead(404);
    res.end();
  }
});
const wss = new WebSocketServer({ server, path: '/ws' });
const agents = Array.from({ length: AGENTS }, (_, i) => ({
  agent_id: `agent_${i.toString(16).padStart(8, '0')}`,
  agent_name: `worker-${i}`,
  is_online: true,
  last_seen: new Date().toISOString(),
  status: 'online',
}));
let seq = 0;
let streaming = false;

function batch(n: number): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const a = agents[seq % AGENTS]!;
    const b = agents[(seq + 7) % AGENTS]!;
    seq++;
    const type = seq % 5 === 0 ? 'STATUS' : seq % 2 ? 'TEXT' : 'REPLY';
    const text = `message ${seq}: the quick brown fox ${seq % 97 === 0 ? 'needle ' : ''}jumps over the lazy dog`;
    out.push({
      seq,
      time: Date.now(),
      direction: seq % 3 ? 'in' : 'out',
      message_type: type,
      client_id: a.agent_id,
      role: 'agent',
      message_id: `msg_${seq}`,
      sender_id: a.agent_id,
      receiver_id: b.agent_id,
      size: 200,
      body: { message_type: type, message_id: `msg_${seq}`, sender_id: a.agent_id, receiver_id: b.agent_id, text_payload: text },
    });
  }
  return out;
}

wss.on('connection', (ws) => {
  let timer: ReturnType<typeof setInterval> | undefined;
  ws.once('message', () => {
    ws.send(JSON.stringify({ message_type: 'REGISTER_MONITOR_RESPONSE', status: 'success', monitor_id: 'mon_bench', hub_id: 'hub_bench' }));
    ws.send(JSON.stringify({ message_type: 'AGENT_STATUS_UPDATE', agents, is_full_update: true }));
    timer = setInterval(() => {
      if (streaming) ws.send(JSON.stringify({ message_type: 'MONITOR_EVENTS', entries: batch(Math.round(RATE / 20)) }));
    }, 50);
  });
  ws.on('close', () => clearInterval(timer));
});

async function main(): Promise<void> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const runDir = makeRunDir('monitor-ui-bench');
  const context = await launchChromium(join(runDir, 'chromium'), { viewport: { width: 1400, height: 820 } });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`http://127.0.0.1:${port}/monitor?token=bench`);
    await page.locator('.agent').first().waitFor({ timeout: 20_000 });
    if (FILTER) {
      await page.keyboard.press('/');
      await page.keyboard.type(FILTER);
      await page.keyboard.press('Escape');
    }
    // page code as strings: this file is type-checked without the DOM library
    await page.evaluate(`(() => {
      const g = globalThis; g.__frames = []; g.__long = []; let last = performance.now();
      const loop = (t) => { g.__frames.push(t - last); last = t; requestAnimationFrame(loop); };
      requestAnimationFrame(loop);
      new PerformanceObserver((l) => { for (const e of l.getEntries()) g.__long.push(e.duration); }).observe({ entryTypes: ['longtask'] });
    })()`);
    const t0 = Date.now();
    const s0 = seq;
    streaming = true;
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    streaming = false;
    const rate = Math.round((seq - s0) / ((Date.now() - t0) / 1000));
    const res = await page.evaluate(`(() => {
      const g = globalThis; const f = g.__frames.slice(5).sort((a, b) => a - b);
      const pct = (p) => Number(f[Math.min(f.length - 1, Math.floor(f.length * p))].toFixed(1));
      const total = f.reduce((a, b) => a + b, 0) / 1000;
      return { fps: Number((f.length / total).toFixed(1)), p50_ms: pct(0.5), p95_ms: pct(0.95), p99_ms: pct(0.99),
        max_ms: Number(f[f.length - 1].toFixed(1)), long_tasks: g.__long.length, stats: g.switchboardMonitor.stats() };
    })()`);
    console.log(JSON.stringify({ entries_per_s: rate, agents: AGENTS, filter: FILTER, ...(res as object) }));
  } finally {
    await context.close();
    rmSync(runDir, { recursive: true, force: true });
    wss.close();
    server.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
