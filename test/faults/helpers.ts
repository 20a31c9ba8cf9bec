// Shared helpers for the fault, fuzz and soak suite: open raw sockets against a hub and wait for conditions.

import WebSocket from 'ws';

export function open(url: string, opts: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, ...opts });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

export interface Frame {
  message_type: string;
  [k: string]: unknown;
}

/** A socket that records every frame it receives. */
export async function recorder(url: string): Promise<{ ws: WebSocket; frames: Frame[] }> {
  const ws = await open(url);
  const frames: Frame[] = [];
  ws.on('message', (d) => frames.push(JSON.parse(String(d)) as Frame));
  return { ws, frames };
}

export async function register(
  url: string,
  kind: 'agent' | 'frontend',
  name: string,
  extra: Record<string, unknown> = {},
): Promise<{ ws: WebSocket; id: string; frames: Frame[] }> {
  const r = await recorder(url);
  r.ws.send(JSON.stringify(kind === 'agent' ? { message_type: 'REGISTER_AGENT', agent_name: name, ...extra } : { message_type: 'REGISTER_FRONTEND', frontend_name: name, ...extra }));
  await waitFor(() => r.frames.length > 0, 5000, `${name} to register`);
  const first = r.frames[0]!;
  const id = String(first.agent_id ?? first.frontend_id ?? '');
  if (!id) throw new Error(`registration failed: ${JSON.stringify(first)}`);
  // answer PINGs so presence keeps the agent online
  r.ws.on('message', (d) => {
    if (String(d).includes('"message_type":"PING"')) r.ws.send(JSON.stringify({ message_type: 'PONG', agent_id: id }));
  });
  return { ...r, id };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

export function closeAll(...sockets: WebSocket[]): void {
  for (const s of sockets) s.terminate();
}
