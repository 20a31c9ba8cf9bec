// The WebSocket plumbing every SDK client shares: open the hub's token URL, register and take the first frame as the
// answer (as seed clients do), validate frames both ways with the protocol codec, keep a bounded outbox while
// disconnected, and reconnect with capped exponential backoff + jitter.

import { WebSocket } from 'ws';
import { decodeFrame, encodeFrame, validateMessage } from '../protocol/codec';
import { SwitchboardError, errorMessage } from '../protocol/errors';
import { silentLogger, type Logger } from '../protocol/logger';
import type { Envelope } from '../protocol/schemas';
import { backoffDelay, type BackoffOptions } from '../protocol/backoff';
import { redactUrl } from './hubUrl';

/** SDK clients' reconnect delays: 0.5 s doubling to 10 s, in the upper half of each step (equal jitter). */
export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = Object.freeze({ initialMs: 500, maxMs: 10_000 });

export type ClientState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed';

export interface ClientSocketOptions {
  url: string;
  logger?: Logger;
  /** Backoff for reconnecting after a drop; `false` never reconnects (the CLI's one-shot commands). */
  reconnect?: false | Partial<BackoffOptions>;
  WebSocketImpl?: typeof WebSocket;
  /** How long opening the socket plus the registration answer may take. Default 10 s. */
  connectTimeoutMs?: number;
  /** Frames kept while disconnected; when full the oldest is dropped (and its promise rejected). Default 1000. */
  maxOutbox?: number;
}

interface Outgoing {
  text: string;
  done?: (err?: Error) => void;
}

/** Retries after `id_in_use` right after a reconnect: the hub may not have reaped our previous socket yet. */
const ID_IN_USE_RETRIES = 20;
const ID_IN_USE_DELAY_MS = 250;
const CLOSE_WAIT_MS = 2000;

export abstract class ClientSocket {
  protected readonly logger: Logger;
  protected readonly url: string;
  private readonly WS: typeof WebSocket;
  private readonly backoff: BackoffOptions | undefined;
  private readonly connectTimeoutMs: number;
  private readonly maxOutbox: number;
  /** The registered socket, if any. */
  private ws: WebSocket | undefined;
  /** A socket being opened or registered. */
  private pending: WebSocket | undefined;
  private clientState: ClientState = 'idle';
  private attempt = 0;
  private idInUseStreak = 0;
  private lastFailure: string | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private readonly outbox: Outgoing[] = [];
  private droppedFrames = 0;
  /** No reconnect attempt before this time (epoch ms): a simulated crash or hang keeps the client away. */
  protected holdUntil = 0;
  private readonly stateListeners = new Set<(state: ClientState, detail: string) => void>();

  protected constructor(opts: ClientSocketOptions, component: string) {
    this.url = opts.url;
    this.logger = (opts.logger ?? silentLogger).child(component);
    this.WS = opts.WebSocketImpl ?? WebSocket;
    this.backoff = opts.reconnect === false ? undefined : { ...DEFAULT_BACKOFF, ...(opts.reconnect ?? {}) };
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
    this.maxOutbox = opts.maxOutbox ?? 1000;
  }

  /** The registration frame for this role (REGISTER_AGENT, REGISTER_FRONTEND, REGISTER_MONITOR…). */
  protected abstract registrationFrame(): Envelope;
  /** Read the hub's first frame; return normally on success, throw a SwitchboardError on refusal. */
  protected abstract acceptRegistration(first: Envelope): void;
  /** Every later valid frame. */
  protected abstract handleFrame(message: Envelope): void;
  /** The registered socket went away (before any reconnect is scheduled). */
  protected handleDisconnect(_code: number, _reason: string): void {}

  get state(): ClientState {
    return this.clientState;
  }

  /** A method, not a narrowed field read: the state changes across awaits. */
  protected isClosed(): boolean {
    return this.clientState === 'closed';
  }

  get connected(): boolean {
    return this.clientState === 'connected';
  }

  /** Frames dropped from a full outbox since the client was created. */
  get dropped(): number {
    return this.droppedFrames;
  }

  /** Listen to state changes ('reconnecting', 'connected', …); returns a function that removes the listener. */
  onState(listener: (state: ClientState, detail: string) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** First connection. Rejects (and leaves the client idle, so it may be retried) when the hub cannot be reached or refuses. */
  protected async open(): Promise<void> {
    if (this.clientState === 'closed') throw new SwitchboardError('shutdown', 'This client was closed; create a new one.');
    if (this.clientState !== 'idle') throw new SwitchboardError('already_registered', 'connect() was already called on this client.');
    this.setState('connecting', redactUrl(this.url));
    try {
      await this.attemptOnce();
    } catch (err) {
      if (!this.isClosed()) this.setState('idle', errorMessage(err));
      throw err;
    }
  }

  /**
   * First connection that, like a reconnect, keeps trying with backoff until it registers or the client is closed
   * (a routing broker started before its hub). Needs reconnecting on; state listeners hear the outcome.
   */
  protected openRetrying(): void {
    if (this.clientState === 'closed') throw new SwitchboardError('shutdown', 'This client was closed; create a new one.');
    if (this.clientState !== 'idle') throw new SwitchboardError('already_registered', 'connect() was already called on this client.');
    if (!this.backoff) throw new SwitchboardError('invalid_message', 'openRetrying() needs reconnecting on (reconnect is false).');
    void this.reconnectNow();
  }

  /** Close for good: pending sends are rejected, the socket closes with 1000, no reconnect. */
  async close(reason = 'client closing'): Promise<void> {
    if (this.clientState === 'closed') return;
    this.setState('closed', reason);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.failOutbox(new SwitchboardError('shutdown', 'The client was closed before this frame could be sent.'));
    this.pending?.terminate();
    this.pending = undefined;
    const ws = this.ws;
    this.ws = undefined;
    if (ws) await closeSocket(ws, reason);
  }

  /** Validate and send; resolves once the frame is written, queues it (bounded) while reconnecting. */
  protected sendFrame(frame: Envelope): Promise<void> {
    const text = this.encodeChecked(frame);
    return new Promise((resolve, reject) => this.enqueue({ text, done: (err) => (err ? reject(err) : resolve()) }, true));
  }

  /**
   * Validate and send without waiting. `queue: false` drops the frame when not connected (a PONG is worthless
   * later); otherwise it waits in the outbox. Throws synchronously on a frame the protocol would refuse.
   */
  protected sendFrameNoWait(frame: Envelope, queue = true): void {
    this.enqueue({ text: this.encodeChecked(frame) }, queue);
  }

  /** Drop the socket abruptly, as a crashed process would (no close frame), and stay away for downMs. */
  protected dropAbruptly(downMs: number): void {
    this.holdUntil = Math.max(this.holdUntil, Date.now() + downMs);
    this.ws?.terminate();
  }

  private encodeChecked(frame: Envelope): string {
    const check = validateMessage(frame);
    if (!check.ok) {
      throw new SwitchboardError('invalid_message', `Refusing to send an invalid ${frame.message_type}: ${check.error.message}`);
    }
    try {
      return encodeFrame(frame);
    } catch (err) {
      throw new SwitchboardError('invalid_message', `Cannot send ${frame.message_type}: it is not JSON-serialisable (${errorMessage(err)}).`, { cause: err });
    }
  }

  private enqueue(item: Outgoing, queue: boolean): void {
    if (this.clientState === 'closed') {
      item.done?.(new SwitchboardError('shutdown', 'The client is closed; create a new one to send.'));
      return;
    }
    const ws = this.ws;
    if (ws && ws.readyState === ws.OPEN) {
      ws.send(item.text, (err) => item.done?.(err ? new SwitchboardError('not_connected', `Send failed: ${err.message}`, { cause: err, retriable: true }) : undefined));
      return;
    }
    if (!queue || !this.backoff) {
      item.done?.(new SwitchboardError('not_connected', 'Not connected to the hub; the frame was not sent.', { retriable: true }));
      return;
    }
    if (this.outbox.length >= this.maxOutbox) {
      this.droppedFrames++;
      this.outbox.shift()?.done?.(new SwitchboardError('not_connected', `Dropped: more than ${this.maxOutbox} frames waited for the hub to come back.`, { retriable: true }));
    }
    this.outbox.push(item);
  }

  private flushOutbox(): void {
    const items = this.outbox.splice(0);
    for (const item of items) this.enqueue(item, true);
  }

  private failOutbox(err: Error): void {
    for (const item of this.outbox.splice(0)) item.done?.(err);
  }

  private setState(state: ClientState, detail: string): void {
    this.clientState = state;
    for (const l of this.stateListeners) {
      try {
        l(state, detail);
      } catch (err) {
        this.logger.warn(`state listener threw: ${errorMessage(err)}`);
      }
    }
  }

  /** One socket: open, register, and on success become the live socket. */
  private attemptOnce(): Promise<void> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const ws = new this.WS(this.url, { perMessageDeflate: false, handshakeTimeout: this.connectTimeoutMs });
      this.pending = ws;
      const timer = setTimeout(
        () => fail(new SwitchboardError('timeout', `No registration answer from the hub at ${redactUrl(this.url)} within ${this.connectTimeoutMs} ms.`, { retriable: true })),
        this.connectTimeoutMs,
      );
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (this.pending === ws) this.pending = undefined;
        if (ws.readyState !== ws.CLOSED) ws.terminate();
        reject(err);
      };
      ws.on('error', (err) => {
        if (!settled) fail(connectError(err, this.url));
        else this.logger.debug(`socket error: ${err.message}`);
      });
      ws.on('open', () => ws.send(encodeFrame(this.registrationFrame())));
      ws.on('message', (data, isBinary) => {
        const decoded = decodeFrame(data as Buffer | Buffer[] | ArrayBuffer, isBinary);
        if (!settled) {
          if (!decoded.ok) {
            fail(new SwitchboardError('invalid_message', `The hub answered registration with an unreadable frame: ${decoded.error.message}`));
            return;
          }
          try {
            this.acceptRegistration(decoded.message);
          } catch (err) {
            fail(err instanceof Error ? err : new Error(String(err)));
            return;
          }
          if (this.clientState === 'closed') {
            fail(new SwitchboardError('shutdown', 'The client was closed while registering.'));
            return;
          }
          settled = true;
          clearTimeout(timer);
          this.pending = undefined;
          this.ws = ws;
          this.attempt = 0;
          this.setState('connected', redactUrl(this.url));
          this.flushOutbox();
          resolve();
          return;
        }
        if (ws !== this.ws) return;
        if (!decoded.ok) {
          this.logger.warn(`ignored a frame from the hub: ${decoded.error.message}`);
          return;
        }
        try {
          this.handleFrame(decoded.message);
        } catch (err) {
          this.logger.error(`handler for ${decoded.message.message_type} threw: ${errorMessage(err)}`);
        }
      });
      ws.on('close', (code, reasonBuf) => {
        const reason = reasonBuf.toString();
        if (!settled) {
          fail(
            new SwitchboardError('not_connected', `The hub closed the connection before registering it (code ${code}${reason ? `: ${reason}` : ''}).`, {
              retriable: true,
            }),
          );
          return;
        }
        if (ws !== this.ws) return;
        this.ws = undefined;
        this.onDrop(code, reason);
      });
    });
  }

  private onDrop(code: number, reason: string): void {
    try {
      this.handleDisconnect(code, reason);
    } catch (err) {
      this.logger.warn(`disconnect handler threw: ${errorMessage(err)}`);
    }
    if (this.clientState === 'closed') return;
    const why = `connection closed (code ${code}${reason ? `: ${reason}` : ''})`;
    if (!this.backoff) {
      this.failOutbox(new SwitchboardError('not_connected', `The hub ${why}.`));
      this.setState('closed', why);
      return;
    }
    this.logger.info(`${why}; reconnecting`);
    this.scheduleReconnect();
  }

  private scheduleReconnect(delayMs?: number): void {
    if (this.clientState === 'closed' || !this.backoff) return;
    const delay = Math.max(delayMs ?? backoffDelay(this.attempt++, this.backoff), this.holdUntil - Date.now());
    this.setState('reconnecting', `next attempt in ${delay} ms`);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.reconnectNow();
    }, delay);
  }

  private async reconnectNow(): Promise<void> {
    if (this.clientState === 'closed') return;
    if (this.holdUntil > Date.now()) {
      this.scheduleReconnect(0);
      return;
    }
    this.setState('connecting', redactUrl(this.url));
    try {
      await this.attemptOnce();
      this.idInUseStreak = 0;
      this.lastFailure = undefined;
      this.logger.info('reconnected');
    } catch (err) {
      if (this.isClosed()) return;
      if (err instanceof SwitchboardError && err.code === 'id_in_use' && this.idInUseStreak < ID_IN_USE_RETRIES) {
        // Our previous socket may still be registered on the hub (it reaps a dead one on close or inactivity).
        this.idInUseStreak++;
        this.scheduleReconnect(ID_IN_USE_DELAY_MS + Math.round(Math.random() * ID_IN_USE_DELAY_MS));
        return;
      }
      // Once per distinct reason: a hub that stays away must not fill the log with one line per retry.
      const why = errorMessage(err);
      if (why !== this.lastFailure) this.logger.warn(`reconnect failed: ${why} (retrying)`);
      else this.logger.debug(`reconnect failed again: ${why}`);
      this.lastFailure = why;
      this.scheduleReconnect();
    }
  }
}

/** Map a socket error from opening the connection onto a SwitchboardError that says what to do. */
export function connectError(err: Error, url: string): SwitchboardError {
  const where = redactUrl(url);
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') {
    return new SwitchboardError('not_connected', `No hub is listening at ${where}. Start one with \`switchboard hub\` or check SWITCHBOARD_URL / --url.`, {
      cause: err,
      retriable: true,
    });
  }
  const status = /Unexpected server response: (\d+)/.exec(err.message)?.[1];
  if (status === '401') {
    return new SwitchboardError('unauthorized', `The hub at ${where} refused the token (HTTP 401). Use the exact URL the hub printed, token included.`, { cause: err });
  }
  if (status === '403') {
    return new SwitchboardError('origin_refused', `The hub at ${where} refused this client (HTTP 403): its Origin is not allowed.`, { cause: err });
  }
  if (status === '404') {
    return new SwitchboardError('not_connected', `Nothing answers at ${where} (HTTP 404): the hub's WebSocket path is /ws.`, { cause: err });
  }
  return new SwitchboardError('not_connected', `Could not connect to the hub at ${where}: ${err.message}`, { cause: err, retriable: true });
}

/** Turn a registration refusal (an ERROR, or a *_RESPONSE with status "error") into a SwitchboardError. */
export function registrationRefused(first: Envelope, role: string): SwitchboardError {
  const text = typeof first.text_payload === 'string' ? first.text_payload : typeof first.message === 'string' ? first.message : '';
  const code = typeof first.code === 'string' ? first.code : '';
  if (code === 'id_in_use' || /in use|already (registered|connected)/i.test(text)) {
    return new SwitchboardError('id_in_use', `The hub refused the ${role} registration: ${text || 'id in use'}`, { retriable: true });
  }
  if (first.message_type === 'ERROR' || first.status === 'error') {
    return new SwitchboardError('forbidden', `The hub refused the ${role} registration: ${text || JSON.stringify(first).slice(0, 200)}`);
  }
  return new SwitchboardError('invalid_message', `Expected a registration answer from the hub, got ${first.message_type}.`);
}

/** Close politely and wait for the close handshake; terminate if the peer does not answer in time. */
function closeSocket(ws: WebSocket, reason: string): Promise<void> {
  if (ws.readyState === ws.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => ws.terminate(), CLOSE_WAIT_MS);
    ws.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    if (ws.readyState === ws.OPEN) ws.close(1000, reason.slice(0, 120));
    else ws.terminate();
  });
}
