// A seed-001-style agent written against the raw `ws` socket (no SDK), so the extension-host suite proves the hub
// the extension started speaks the wire protocol any third-party agent speaks. Answers PING, records every frame.

import WebSocket from 'ws';

export interface Frame {
  message_type: string;
  [key: string]: unknown;
}

/** Polls `probe` until it returns something truthy; fails naming `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export class RawAgent {
  /** Frames received, oldest first; bounded so a chatty hub cannot grow it without limit. */
  readonly frames: Frame[] = [];
  private static readonly MAX_FRAMES = 1000;
  private socket: WebSocket | undefined;
  agentId = '';
  closed = false;

  constructor(readonly name: string) {}

  /** Opens the socket, sends REGISTER_AGENT {agent_name} and resolves with the id from REGISTER_AGENT_RESPONSE. */
  async register(url: string): Promise<string> {
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.on('message', (data) => {
      let frame: Frame;
      try {
        frame = JSON.parse(String(data)) as Frame;
      } catch {
        return;
      }
      if (this.frames.length >= RawAgent.MAX_FRAMES) this.frames.shift();
      this.frames.push(frame);
      if (frame.message_type === 'PING' && this.agentId) {
        socket.send(JSON.stringify({ message_type: 'PONG', agent_id: this.agentId, agent_name: this.name }));
      }
    });
    socket.on('close', () => {
      this.closed = true;
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    socket.send(JSON.stringify({ message_type: 'REGISTER_AGENT', agent_name: this.name }));
    const response = await waitFor('REGISTER_AGENT_RESPONSE', () =>
      this.frames.find((f) => f.message_type === 'REGISTER_AGENT_RESPONSE'),
    );
    if (response.status !== 'success' || typeof response.agent_id !== 'string') {
      throw new Error(`registration refused: ${JSON.stringify(response)}`);
    }
    this.agentId = response.agent_id;
    return this.agentId;
  }

  /** The first chat frame (TEXT/SYSTEM) whose payload equals `text`. */
  received(text: string): Frame | undefined {
    return this.frames.find((f) => (f.message_type === 'TEXT' || f.message_type === 'SYSTEM') && f.text_payload === text);
  }

  /** Replies the way seed 001 agents do, with in_reply_to_message_id so the monitor can thread it. */
  reply(to: Frame, text: string): void {
    this.socket?.send(
      JSON.stringify({
        message_type: 'REPLY',
        sender_id: this.agentId,
        receiver_id: to.sender_id,
        text_payload: text,
        in_reply_to_message_id: to.message_id,
        send_timestamp: new Date().toISOString(),
      }),
    );
  }

  /** A status line, as an agent sends while it works on a message (session_id: whose front-end it is for). */
  status(text: string, session_id: string | null = null): void {
    this.socket?.send(JSON.stringify({ message_type: 'STATUS', sender_id: this.agentId, session_id, text_payload: text }));
  }

  async close(): Promise<void> {
    const socket = this.socket;
    if (!socket || socket.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.close(1000, 'test done');
      setTimeout(() => {
        socket.terminate();
        resolve();
      }, 2000).unref();
    });
  }
}
