// One client's WebSocket as the hub sees it: role and id, counters, a bounded send side (bytes waiting in ws and the
// socket; a client that stops reading is cut off, nobody else waits for it) and a token-bucket rate limit.

import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { Envelope } from '../protocol/schemas';
import type { ClientRole } from '../protocol/messageTypes';

export interface ConnectionLimits {
  /** Bytes waiting to be written to this client before it counts as a slow consumer. */
  maxBufferedBytes: number;
  /** Frames per second this client may send; burst = 2×. 0 disables the limit. */
  rateLimitPerSecond: number;
}

export interface ConnectionHooks {
  /** The client stopped reading: called once, before the connection is closed. */
  onSlowConsumer(conn: Connection, bufferedBytes: number): void;
}

/** WebSocket close codes the hub uses. */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  tooBig: 1009,
  policy: 1008,
  serverError: 1011,
  tryAgainLater: 1013,
} as const;

/**
 * A client may sit above maxBufferedBytes this long (a burst it is still reading through) before it counts as not
 * reading; above HARD_BUFFER_FACTOR × maxBufferedBytes it is cut at once, so memory per client stays bounded.
 */
export const SLOW_CONSUMER_GRACE_MS = 2000;
export const HARD_BUFFER_FACTOR = 4;
/** How long a closing client gets to finish the close handshake before the socket is destroyed. */
const CLOSE_GRACE_MS = 1000;
/** Consecutive seconds with dropped frames after which a flooding client is disconnected. */
const ABUSE_STRIKES = 10;

export type RateVerdict = 'ok' | 'limited' | 'abuse';

/** A Buffer of UTF-8 JSON goes out as a text frame. */
const AS_TEXT = { binary: false } as const;

let serialCounter = 0;

/** Presence's own marks on a connection (presence.ts reads and writes them). */
export interface PresenceMarks {
  /** When the hub last sent this agent a PING (0: never). */
  pingedAt: number;
  /** framesOut when the sweep last looked: a different count means something was sent since. */
  outMark: number;
  /** Since when (at the latest) nothing has been sent to this client. */
  quietOutSince: number;
}

/**
 * Write batching: the first frame sent to a connection in an event-loop turn corks its socket, and one setImmediate
 * uncorks every corked socket after the poll phase. The frames sent meanwhile (replies to a burst of inbound frames,
 * a monitor batch, a fan-out) leave in one writev per socket instead of one syscall per frame. ws corks and uncorks
 * around each frame itself; cork() nests, so its uncork only drops back to our level.
 */
const corked: Connection[] = [];
let uncorkScheduled = false;
function uncorkAll(): void {
  uncorkScheduled = false;
  // Frames sent while uncorking (none expected) cork again and schedule another round.
  const list = corked.splice(0);
  for (const c of list) c.uncork();
}

export class Connection {
  readonly serial = ++serialCounter;
  /** Synthetic id used until the client registers (log entries, replies to unregistered senders). */
  readonly connId = `conn_${this.serial}`;
  id: string = this.connId;
  role: ClientRole | undefined;
  name = '';
  namespace = 'default';
  readonly connectedAt = Date.now();
  lastSeen = Date.now();
  /** Presence's marks: when this agent was last PINGed, and since when nothing has been sent to it (presence.ts). */
  readonly presence: PresenceMarks = { pingedAt: 0, outMark: 0, quietOutSince: this.connectedAt };
  /**
   * The socket's other registration: a seed client may register a front-end and then an agent on one socket. The
   * second role gets a Connection of its own (its id, role, records) writing to the same socket; frames from the
   * socket are attributed to the face their sender_id/agent_id names (Inbound).
   */
  peer: Connection | undefined;
  /**
   * Seed compatibility: the seed's early web UI (REGISTER_FRONTEND with no name) shows every frame that is not an
   * AGENT_STATUS_UPDATE as a chat bubble, so it is sent neither the registration response nor SERVER_HEARTBEATs.
   */
  earlySeedUi = false;
  /** A front-end that registered with watch_all: true gets a copy of chat addressed to others. */
  watchAll = false;
  /** sender_ids this connection used without registering them (early UI `user_…` ids). */
  readonly aliases = new Set<string>();
  framesIn = 0;
  framesOut = 0;
  bytesIn = 0;
  bytesOut = 0;
  /** Frames dropped by the rate limit. */
  rateDropped = 0;
  /** Frames not sent because the connection was closing or slow. */
  sendDropped = 0;
  closing = false;
  closed = false;
  closeInfo: { code: number; reason: string } | undefined;

  private tokens: number;
  private lastRefill = Date.now();
  private droppedThisWindow = 0;
  private windowStart = Date.now();
  private strikes = 0;
  private lastRateErrorAt = 0;
  private graceTimer: NodeJS.Timeout | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private lastPongAt = 0;
  /** Since when the send buffer has been above maxBufferedBytes (undefined: it is not). */
  private congestedSince: number | undefined;
  /** The socket is corked by this connection until the next uncorkAll(). */
  private corkedSocket: Socket | undefined;

  constructor(
    readonly ws: WebSocket,
    readonly remoteAddress: string,
    private readonly limits: ConnectionLimits,
    private readonly hooks: ConnectionHooks,
    /**
     * The TCP socket under ws (the upgrade request's `req.socket`, which ws writes to): corked for write batching.
     * Without it (unit tests) frames are written one by one.
     */
    private readonly socket?: Socket,
  ) {
    this.tokens = limits.rateLimitPerSecond * 2;
  }

  /** A second face on this socket, for a registration of another role (see `peer`). Not linked until kept. */
  newPeer(): Connection {
    const p = new Connection(this.ws, this.remoteAddress, this.limits, this.hooks, this.socket);
    p.namespace = this.namespace;
    return p;
  }

  get registered(): boolean {
    return this.role !== undefined;
  }

  /** Bytes accepted by send() but not yet written to the network. */
  get bufferedBytes(): number {
    return this.ws.bufferedAmount;
  }

  get isOpen(): boolean {
    return !this.closing && !this.closed && this.ws.readyState === this.ws.OPEN;
  }

  /** Serialise and send; false when not sent (closing, or this frame tipped a slow consumer over its bound). */
  send(message: Envelope): boolean {
    return this.sendRaw(JSON.stringify(message));
  }

  /**
   * Send an already-serialised frame (fan-outs serialise once). A Buffer holds UTF-8 JSON and goes out as a text
   * frame: one Buffer sent to many clients is encoded once. `onWritten`, if given, is called once the bytes have gone to
   * the socket (or the socket failed), so that a Buffer may be reused — never for a client that cannot tell (a gRPC
   * session), nor when false is returned.
   */
  sendRaw(data: string | Buffer, onWritten?: () => void): boolean {
    if (!this.isOpen) {
      this.sendDropped++;
      return false;
    }
    const buffered = this.ws.bufferedAmount;
    const soft = this.limits.maxBufferedBytes;
    const len = data.length;
    if (buffered + len > soft) {
      const now = Date.now();
      this.congestedSince ??= now;
      if (buffered + len > soft * HARD_BUFFER_FACTOR || now - this.congestedSince > SLOW_CONSUMER_GRACE_MS) {
        this.sendDropped++;
        this.hooks.onSlowConsumer(this, buffered);
        this.close(CloseCode.policy, 'Slow consumer: this client stopped reading and too many bytes queued for it');
        return false;
      }
    } else {
      this.congestedSince = undefined;
    }
    if (this.corkedSocket === undefined) this.cork();
    if (typeof data === 'string') this.ws.send(data);
    else if (onWritten && this.socket) this.ws.send(data, AS_TEXT, () => onWritten());
    else this.ws.send(data, AS_TEXT);
    this.framesOut++;
    this.bytesOut += len;
    return true;
  }

  private cork(): void {
    const socket = this.socket;
    if (!socket || socket.destroyed) return;
    socket.cork();
    this.corkedSocket = socket;
    corked.push(this);
    if (!uncorkScheduled) {
      uncorkScheduled = true;
      setImmediate(uncorkAll);
    }
  }

  /** Writes what was sent since the socket was corked (called once per event-loop turn by uncorkAll). */
  uncork(): void {
    const socket = this.corkedSocket;
    this.corkedSocket = undefined;
    if (socket && !socket.destroyed) socket.uncork();
  }

  /** Token bucket (burst 2× the rate). Persistent flooding (ABUSE_STRIKES seconds in a row) is reported as abuse. */
  checkRate(now: number = Date.now()): RateVerdict {
    const rate = this.limits.rateLimitPerSecond;
    if (rate <= 0) return 'ok';
    if (now - this.windowStart >= 1000) {
      this.strikes = this.droppedThisWindow > 0 ? this.strikes + 1 : 0;
      this.droppedThisWindow = 0;
      this.windowStart = now;
    }
    const elapsed = now - this.lastRefill;
    if (elapsed > 0) {
      this.tokens = Math.min(rate * 2, this.tokens + (elapsed * rate) / 1000);
      this.lastRefill = now;
    }
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 'ok';
    }
    this.rateDropped++;
    this.droppedThisWindow++;
    return this.strikes >= ABUSE_STRIKES ? 'abuse' : 'limited';
  }

  /** Rate-limit ERRORs are themselves rate limited: at most one a second per client. */
  shouldReportRateLimit(now: number = Date.now()): boolean {
    if (now - this.lastRateErrorAt < 1000) return false;
    this.lastRateErrorAt = now;
    return true;
  }

  /** Close with a code and reason; the socket is destroyed if the client does not complete the handshake in time. */
  close(code: number, reason: string): void {
    if (this.closing || this.closed) return;
    this.closing = true;
    this.closeInfo = { code, reason };
    try {
      this.ws.close(code, reason.slice(0, 120));
    } catch {
      this.ws.terminate();
      return;
    }
    this.graceTimer = setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS);
  }

  terminate(): void {
    this.closing = true;
    this.ws.terminate();
  }

  /** Called by the hub once the socket is closed: releases the grace timer. */
  markClosed(): void {
    this.closed = true;
    if (this.graceTimer) clearTimeout(this.graceTimer);
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.graceTimer = this.probeTimer = undefined;
  }

  /** A WebSocket-level pong arrived (every ws and Python websockets client answers pings on its own). */
  notePong(): void {
    this.lastPongAt = Date.now();
  }

  /**
   * Is this connection still there? Sends a WebSocket ping; `onDead` runs if no pong arrives within timeoutMs.
   * Used when someone else asks for this connection's id: a peer that vanished without a FIN is found in seconds
   * instead of after the inactivity timeout. One probe at a time.
   */
  probe(timeoutMs: number, onDead: () => void): void {
    if (this.probeTimer || !this.isOpen) return;
    const sentAt = Date.now();
    try {
      this.ws.ping();
    } catch {
      return;
    }
    this.probeTimer = setTimeout(() => {
      // Judge after this loop iteration's I/O: a pong that arrived while the hub was busy is read first.
      setImmediate(() => {
        this.probeTimer = undefined;
        if (this.lastPongAt < sentAt && !this.closed) onDead();
      });
    }, timeoutMs);
  }
}
