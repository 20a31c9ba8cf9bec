// A socket that is not a WebSocket: hub frames in and out as JSON, accepted by the hub exactly like a WebSocket client
// (registration, codec, rate limit, presence, control, monitor, event log). A gRPC agent or broker is one of these:
// its RPCs become the frames a WebSocket client would send, and the frames the hub sends it become gRPC answers,
// commands on its stream, or messages on its RabbitMQ queue.

import { EventEmitter } from 'node:events';
import type { Envelope } from '../../protocol/schemas';
import type { VirtualSocket } from '../port';

const OPEN = 1;
const CLOSED = 3;

export interface FrameSocketHandlers {
  /** A frame the hub wrote to this client, parsed. */
  onFrame(frame: Envelope): void;
  /** A WebSocket-level ping (a holder probe): answer with a pong when the client is there. */
  answersPing(): boolean;
  /** The hub closed this socket (inactivity, deregistration, shutdown) or the session closed it. */
  onClosed(code: number, reason: string): void;
}

export class FrameSocket extends EventEmitter implements VirtualSocket {
  readonly OPEN = OPEN;
  readyState = OPEN;
  readonly bufferedAmount = 0;

  constructor(private readonly handlers: FrameSocketHandlers) {
    super();
  }

  get isOpen(): boolean {
    return this.readyState === OPEN;
  }

  /** A frame from the client, as if it arrived on a WebSocket (validated by the hub's codec). */
  deliver(frame: Envelope): void {
    if (this.readyState !== OPEN) return;
    this.emit('message', Buffer.from(JSON.stringify(frame)), false);
  }

  send(data: string | Buffer): void {
    if (this.readyState !== OPEN) return;
    let frame: unknown;
    try {
      frame = JSON.parse(typeof data === 'string' ? data : data.toString('utf8'));
    } catch {
      return; // the hub writes JSON only
    }
    if (frame && typeof frame === 'object' && typeof (frame as Envelope).message_type === 'string') this.handlers.onFrame(frame as Envelope);
  }

  ping(): void {
    if (this.handlers.answersPing()) setImmediate(() => this.emit('pong'));
  }

  close(code = 1000, reason = ''): void {
    if (this.readyState === CLOSED) return;
    this.readyState = CLOSED;
    this.handlers.onClosed(code, reason);
    // after the caller's turn, as a real socket's close event comes
    setImmediate(() => this.emit('close', code, Buffer.from(reason)));
  }

  terminate(): void {
    this.close(1006, 'terminated');
  }
}
