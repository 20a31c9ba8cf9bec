// Test harness for the hub's integration tests: a hub on a free port with short intervals, and real `ws` clients
// that record every frame and let a test wait for the one it expects (no sleeps).

import WebSocket from 'ws';
import { Hub } from '../../src/hub/hub';
import type { HubOptions } from '../../src/hub/options';
import type { Envelope } from '../../src/protocol/schemas';

export async function startHub(options: Partial<HubOptions> = {}, deps: ConstructorParameters<typeof Hub>[1] = {}): Promise<Hub> {
  const hub = new Hub({ port: 0, pingIntervalMs: 60_000, heartbeatIntervalMs: 60_000, inactivityTimeoutMs: 60_000, ...options }, deps);
  await hub.start();
  return hub;
}

export async function waitUntil(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const started = Date.now();
  while (!cond()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export class TestClient {
  readonly frames: Envelope[] = [];
  closed: { code: number; reason: string } | undefined;
  private waiters: { pred: (m: Envelope) => boolean; resolve: (m: Envelope) => void }[] = [];
  private cursor = 0;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as Envelope;
      this.frames.push(m);
      this.waiters = this.waiters.filter((w) => {
        if (w.pred(m)) {
          w.resolve(m);
          return false;
        }
        return true;
      });
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
    });
    ws.on('error', () => undefined);
  }

  send(m: Record<string, unknown>): void {
    this.ws.send(JSON.stringify(m));
  }

  sendRaw(data: string | Buffer, binary = false): void {
    this.ws.send(data, { binary });
  }

  /** Frames of one type received so far. */
  ofType(type: string): Envelope[] {
    return this.frames.filter((f) => f.message_type === type);
  }

  /** Resolves with the first frame (already received or future) matching pred. */
  waitFor(pred: (m: Envelope) => boolean, timeoutMs = 5000, what = 'a frame'): Promise<Envelope> {
    const found = this.frames.find(pred);
    if (found) return Promise.resolve(found);
    return this.waitNext(pred, timeoutMs, what);
  }

  /** Resolves with the next frame matching pred that arrives after this call. */
  waitNext(pred: (m: Envelope) => boolean, timeoutMs = 5000, what = 'a frame'): Promise<Envelope> {
    return new Promise((resolve, reject) => {
      const w = {
        pred,
        resolve: (m: Envelope) => {
          clearTimeout(timer);
          resolve(m);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got ${this.frames.map((f) => f.message_type).join(',')}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  waitType(type: string, timeoutMs = 5000): Promise<Envelope> {
    return this.waitFor((m) => m.message_type === type, timeoutMs, type);
  }

  /** The next unread frame in arrival order. */
  async next(timeoutMs = 5000): Promise<Envelope> {
    await waitUntil(() => this.frames.length > this.cursor, timeoutMs, 'next frame');
    return this.frames[this.cursor++]!;
  }

  waitClose(timeoutMs = 5000): Promise<{ code: number; reason: string }> {
    return waitUntil(() => this.closed !== undefined, timeoutMs, 'close').then(() => this.closed!);
  }

  close(): Promise<void> {
    if (this.closed || this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.ws.terminate();
        resolve();
      }, 1000);
      this.ws.once('close', () => {
        clearTimeout(t);
        resolve();
      });
      this.ws.close();
    });
  }
}

export function connect(hub: Hub, opts: { token?: string; headers?: Record<string, string>; path?: string } = {}): Promise<TestClient> {
  const token = opts.token ?? hub.token;
  const url = `ws://127.0.0.1:${hub.port}${opts.path ?? '/ws'}${token ? `?token=${encodeURIComponent(token)}` : ''}`;
  const ws = new WebSocket(url, { headers: opts.headers });
  const client = new TestClient(ws);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(client));
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
    ws.once('error', reject);
  });
}

/** Connect and register an agent; resolves with the client and its id. */
export async function agent(hub: Hub, name = 'agent', extra: Record<string, unknown> = {}): Promise<{ c: TestClient; id: string }> {
  const c = await connect(hub);
  c.send({ message_type: 'REGISTER_AGENT', agent_name: name, ...extra });
  const r = await c.next();
  if (r.message_type !== 'REGISTER_AGENT_RESPONSE') throw new Error(`expected REGISTER_AGENT_RESPONSE, got ${JSON.stringify(r)}`);
  return { c, id: r.agent_id as string };
}

export async function frontend(hub: Hub, name = 'ui', extra: Record<string, unknown> = {}): Promise<{ c: TestClient; id: string }> {
  const c = await connect(hub);
  c.send({ message_type: 'REGISTER_FRONTEND', frontend_name: name, ...extra });
  const r = await c.next();
  if (r.message_type !== 'REGISTER_FRONTEND_RESPONSE') throw new Error(`expected REGISTER_FRONTEND_RESPONSE, got ${JSON.stringify(r)}`);
  await c.next(); // the full AGENT_STATUS_UPDATE
  return { c, id: r.frontend_id as string };
}

export async function closeAll(hub: Hub, ...clients: (TestClient | { c: TestClient })[]): Promise<void> {
  await Promise.all(clients.map((x) => ('c' in x ? x.c : x).close()));
  await hub.stop();
  hub.dispose();
}
