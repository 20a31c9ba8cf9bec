// The RabbitMQ bus's connection: one long-lived amqplib connection with a confirm channel for publishes and a consume
// channel (prefetch, manual acks), set up with deadlines, and reconnected with the shared backoff when it is lost.
// A `generation` counts connections, so that late callbacks of an old one are told apart. What runs on the channels
// (topology, consumers, the publish pipeline) is the other parts', through the hooks.

import { connect, type Channel, type ChannelModel, type ConfirmChannel } from 'amqplib';
import { SwitchboardError, errorMessage } from '../../protocol/errors';
import { withTimeout } from '../busSupport';
import type { BrokerLink } from '../brokerBusBase';
import { AckBatcher } from './ackBatcher';
import { coalesceWrites, destroyConnection } from './amqplibPrivate';

/** Deadline of a single broker round trip that has none of its own (cancel, connection close). */
export const RPC_TIMEOUT_MS = 5_000;

export interface RabbitConnectionOptions {
  /** With the heartbeat parameter already in it. */
  url: string;
  displayUrl: string;
  connectionName: string;
  prefetch: number;
  /** Deadline of a request on a live connection; the whole setup after a connect gets this + 5 s. */
  requestTimeoutMs: number;
}

export interface RabbitConnectionHooks {
  /** On a new connection, before consuming: declare the topology (the publish channel is not live yet). */
  declare(pub: ConfirmChannel): Promise<void>;
  /** The channels are live: start every subscription's consumer. */
  startConsumers(sub: Channel, gen: number): Promise<void>;
  /** The connection is up (again). */
  up(): void;
  /** The connection was lost (not closed by us): what was in flight goes back in line, consumers are gone. */
  lost(): void;
  /** The broker blocked (true) or unblocked (false) publishing. */
  blocked(on: boolean): void;
}

export class RabbitConnection {
  generation = 0;
  conn: ChannelModel | undefined;
  pub: ConfirmChannel | undefined;
  sub: Channel | undefined;
  /** Acks of the current consume channel. */
  subAcks: AckBatcher | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private connecting: Promise<void> | undefined;

  constructor(
    private readonly link: BrokerLink,
    private readonly opts: RabbitConnectionOptions,
    private readonly hooks: RabbitConnectionHooks,
  ) {}

  start(): void {
    this.connecting = this.connectOnce();
  }

  private async connectOnce(): Promise<void> {
    if (this.link.closed) return;
    this.link.setState('connecting', true);
    let conn: ChannelModel | undefined;
    let setupTimer: NodeJS.Timeout | undefined;
    try {
      // noDelay (TCP_NODELAY): without it Nagle holds a small publish back until the previous segment is ACKed, and
      // the peer's delayed ACK makes that ~40 ms per request/confirm round trip on an otherwise idle connection.
      // amqplib's `timeout` is the socket's idle time during the handshake; the wall deadline bounds the whole of it.
      const opening = connect(this.opts.url, { clientProperties: { connection_name: this.opts.connectionName }, timeout: 5_000, noDelay: true });
      conn = await withTimeout(opening, this.opts.requestTimeoutMs, 'RabbitMQ (connection handshake)').catch((err: unknown) => {
        opening.then((late) => closeConnection(late), () => undefined); // one that opens after all is closed again
        throw err;
      });
      if (this.link.closed) {
        await closeConnection(conn);
        return;
      }
      coalesceWrites(conn);
      const gen = ++this.generation;
      const c = conn;
      this.conn = c; // so that close() can end a setup in progress
      c.on('error', (err: Error) => this.link.noteError(err));
      c.on('close', (err?: Error) => this.onConnectionLost(c, gen, err));
      c.on('blocked', (reason: string) => {
        this.link.log.warn(`broker blocked publishing: ${reason}`);
        this.hooks.blocked(true);
      });
      c.on('unblocked', () => this.hooks.blocked(false));
      // A broker that took the socket but stalls (booting, recovering its queues) must not hold the setup for ever:
      // past the deadline the socket goes, every RPC below fails and the usual reconnect follows.
      const setupMs = this.opts.requestTimeoutMs + 5_000;
      setupTimer = setTimeout(() => {
        const why = `RabbitMQ did not finish the channel setup within ${setupMs} ms`;
        this.link.log.warn(`${why}; reconnecting`);
        destroyConnection(c, new SwitchboardError('timeout', why));
      }, setupMs);
      const pub = await c.createConfirmChannel();
      const sub = await c.createChannel();
      for (const ch of [pub, sub]) {
        ch.on('error', (err: Error) => this.link.noteError(err));
        // A channel closed by the broker (e.g. a refused declaration) leaves the connection half-working: start over.
        ch.on('close', () => {
          if (gen === this.generation && !this.link.closed) c.close().catch(() => undefined);
        });
      }
      await sub.prefetch(this.opts.prefetch);
      await this.hooks.declare(pub);
      if (this.link.closed || gen !== this.generation) return;
      this.pub = pub;
      this.sub = sub;
      this.subAcks?.close();
      this.subAcks = new AckBatcher(sub);
      await this.hooks.startConsumers(sub, gen);
      clearTimeout(setupTimer);
      if (gen !== this.generation) return;
      const wasAttempt = this.link.attempt;
      this.link.attempt = 0;
      this.link.setState('up');
      if (wasAttempt > 0) this.link.log.info(`reconnected to ${this.opts.displayUrl} after ${wasAttempt} attempt(s)`);
      this.hooks.up();
    } catch (err) {
      clearTimeout(setupTimer);
      this.link.noteError(err);
      this.link.log.debug(`connect failed: ${errorMessage(err)}`);
      if (conn) await closeConnection(conn);
      if (this.conn === conn) this.forget();
      if (!this.link.closed) {
        this.link.setState('down');
        this.scheduleReconnect();
      }
    }
  }

  private forget(): void {
    this.conn = undefined;
    this.pub = undefined;
    this.sub = undefined;
    this.subAcks?.close();
    this.subAcks = undefined;
  }

  private onConnectionLost(conn: ChannelModel, gen: number, err?: Error): void {
    if (gen !== this.generation || this.link.closed) return;
    if (err) this.link.noteError(err);
    this.generation++;
    if (this.conn === conn) this.forget();
    this.hooks.lost();
    this.link.setState('down');
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.link.closed || this.reconnectTimer) return;
    this.link.attempt++;
    const delay = this.link.backoff(this.link.attempt);
    this.link.setState('down');
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connecting = this.connectOnce();
    }, delay);
  }

  /** Stops publishing on this connection at once and closes it; the 'close' handler requeues and reconnects. */
  restart(gen: number, err: unknown): void {
    if (gen !== this.generation || this.link.closed || !this.pub) return;
    this.link.noteError(err);
    this.link.log.warn(`publishing failed (${errorMessage(err)}); reconnecting to republish in order`);
    this.pub = undefined;
    const conn = this.conn;
    if (conn) void closeConnection(conn);
  }

  /**
   * A round trip on the live connection, with a deadline: a broker that stops answering has its socket destroyed (so
   * the bus reconnects, and the traffic channels with it) and the caller gets the error.
   */
  async bounded(fn: () => Promise<void>, what: string): Promise<void> {
    const conn = this.conn;
    try {
      await withTimeout(fn(), this.opts.requestTimeoutMs, `RabbitMQ (${what})`);
    } catch (err) {
      if (err instanceof SwitchboardError && err.code === 'timeout' && conn && this.conn === conn) {
        this.link.log.warn(`${errorMessage(err)}; reconnecting`);
        destroyConnection(conn, new SwitchboardError('timeout', errorMessage(err)));
      }
      throw err;
    }
  }

  /** A short-lived channel, so that an error (404, 406) never closes the channels traffic flows on. */
  async withChannel(fn: (ch: Channel) => Promise<void>): Promise<void> {
    const conn = this.conn;
    if (!conn) throw new SwitchboardError('bus_down', 'RabbitMQ is not connected.', { retriable: true });
    const ch = await conn.createChannel();
    ch.on('error', () => undefined);
    try {
      await fn(ch);
    } finally {
      await closeChannel(ch);
    }
  }

  /** Ends the connection for good (the link is closed already): no reconnect; a setup in flight is waited for, bounded. */
  async close(): Promise<void> {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.generation++;
    const conn = this.conn;
    this.forget();
    if (conn) await closeConnection(conn);
    // A setup that was in flight sees `closed` (or its failed RPCs, the socket being gone) and ends without reconnecting.
    // Every step of it has a deadline; this one only makes sure that close() itself cannot outlive them.
    await withTimeout(this.connecting ?? Promise.resolve(), this.opts.requestTimeoutMs + 10_000, 'RabbitMQ (connection setup)').catch((err: unknown) =>
      this.link.log.warn(`close: ${errorMessage(err)}; closed anyway`),
    );
  }
}

/**
 * connection.close, or the socket destroyed when the broker does not answer close-ok in time. Also for callers
 * outside the bus (the context transport): amqplib never settles close() when the socket goes before close-ok.
 */
export async function closeConnection(model: ChannelModel): Promise<void> {
  try {
    await withTimeout(model.close(), RPC_TIMEOUT_MS, 'RabbitMQ (connection.close)');
  } catch (err) {
    destroyConnection(model, new SwitchboardError('timeout', errorMessage(err)));
  }
}

/**
 * channel.close that settles when the connection ends. amqplib (2.3) resolves it only on the broker's close-ok: when
 * the connection ends first (a broker restart, our own close() during a setup) the promise is left pending for ever —
 * and a connection setup awaiting it hung, and with it close() and every stop that waits for close() (a routing
 * broker stopped while its bus was still setting up did not return in CI). The channel's 'close' event comes either
 * way. A broker that never answers is not this function's business: the caller's deadline ends the connection (no
 * timer here: resolving on one would let a setup go on over a connection that no longer answers).
 */
export function closeChannel(ch: Channel): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      ch.removeListener('close', done);
      resolve();
    };
    ch.once('close', done);
    try {
      ch.close().then(done, done);
    } catch {
      done(); // already closed: amqplib throws from a closed channel's send
    }
  });
}
