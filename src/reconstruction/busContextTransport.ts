// Seed 002 over the hub's Bus: requests are published on the context request channel, answers arrive on the
// requester's own response channel, and every peer serves requests in a group of its own (`<prefix>-<peer id>`) so
// each one sees every request. Which broker carries the channels (and under which topic/exchange/queue names) is the
// bus's business; this file never opens a broker connection of its own.

import { parseContextChannel, type Bus, type Unsubscribe } from '../bus/bus';
import { contextRequestChannel, contextResponseChannel } from '../bus/contextChannels';
import type { Envelope } from '../protocol/schemas';
import type { RequestContextMsg } from '../protocol/contextSchemas';
import { validateMessage } from '../protocol/codec';
import { MessageType } from '../protocol/messageTypes';
import { newClientId } from '../protocol/ids';
import type { Logger } from '../protocol/logger';
import { silentLogger } from '../protocol/logger';
import { SwitchboardError, errorMessage } from '../protocol/errors';
import { resolveContextSettings } from './contextConfig';
import type { AnswerSink, ContextPeerTransport, ContextTransport, PeerRequestHandler } from './contextTransport';

/** The two seed 002 channels on a bus. */
export interface ContextChannels {
  /** Where every REQUEST_CONTEXT goes (all peers listen). */
  readonly request: string;
  /** Where the answers for one requester go. */
  response(requesterId: string): string;
}

export interface BusContextOptions {
  bus: Bus;
  /** Our requester id; a fresh `reconstructor-<8 hex>` by default (its response channel is released on close). */
  requesterId?: string;
  /** The channel names; the bus's seed 002 channels by default. */
  channels?: ContextChannels;
  /** A peer serves in the group `<groupPrefix>-<peer id>`. Default KAFKA_CONSUMER_GROUP_PREFIX, else `paas-agent`. */
  groupPrefix?: string;
  /** A peer skips requests sent longer ago than this (a group that resumes after a pause replays what it missed). */
  peerStaleMs?: number;
  /** Release our response channel (its topic or queue) on close. Default: only when the requester id was generated. */
  releaseOnClose?: boolean;
  logger?: Logger;
}

/** What was refused on the way in, for tests and the log: a bus is shared, anybody may publish on it. */
export interface BusContextStats {
  /** Messages on the request channel that were not a valid REQUEST_CONTEXT. */
  rejected_requests: number;
  /** Valid requests skipped because they were older than peerStaleMs. */
  stale_requests: number;
}

const DEFAULT_PEER_STALE_MS = 30_000;

/** The bus's seed 002 channels (the names a seed agent uses on the broker, from the seed's environment variables). */
export function defaultContextChannels(): ContextChannels {
  return { request: contextRequestChannel(), response: (requesterId) => contextResponseChannel(requesterId) };
}

function sentAtMs(m: Envelope): number | undefined {
  const t = m.send_timestamp ?? m.timestamp;
  const ms = typeof t === 'number' ? t : typeof t === 'string' ? Date.parse(t) : NaN;
  return Number.isFinite(ms) ? ms : undefined;
}

export class BusContextTransport implements ContextTransport, ContextPeerTransport {
  readonly requesterId: string;
  private readonly bus: Bus;
  private readonly channels: ContextChannels;
  private readonly groupPrefix: string;
  private readonly logger: Logger;
  private readonly release: boolean;
  private opening: Promise<void> | undefined;
  private inbox: Unsubscribe | undefined;
  private readonly serving = new Set<Unsubscribe>();
  private readonly counters: BusContextStats = { rejected_requests: 0, stale_requests: 0 };
  private closed = false;

  constructor(private readonly opts: BusContextOptions) {
    this.bus = opts.bus;
    this.requesterId = opts.requesterId ?? newClientId('reconstructor-');
    this.channels = opts.channels ?? defaultContextChannels();
    this.groupPrefix = opts.groupPrefix ?? resolveContextSettings().peerGroupPrefix;
    this.release = opts.releaseOnClose ?? opts.requesterId === undefined;
    this.logger = (opts.logger ?? silentLogger).child('bus-context');
  }

  /** The bus that carries us names the carrier in a reconstruction's `transport` (for people reading it). */
  get kind(): Bus['kind'] {
    return this.bus.kind;
  }

  get responseChannel(): string {
    return this.channels.response(this.requesterId);
  }

  stats(): BusContextStats {
    return { ...this.counters };
  }

  open(sink: AnswerSink): Promise<void> {
    this.opening ??= (async () => {
      this.assertOpen();
      // no group: this subscription alone reads our response channel; the collector validates what arrives, and what
      // the bus could not even decode is reported to it as a rejection from an unknown sender
      this.inbox = await this.bus.subscribe(this.responseChannel, (m) => sink.answer(m, Buffer.byteLength(JSON.stringify(m))), {
        onUndecodable: (info) => sink.rejected(null, `an answer of ${info.bytes} bytes is not a JSON object with a message_type`),
      });
    })().catch((err: unknown) => {
      this.opening = undefined;
      throw this.wrap(err, 'opening the answer channel');
    });
    return this.opening;
  }

  async send(request: RequestContextMsg): Promise<null> {
    this.assertOpen();
    // reply_to: the broker name of our response channel (a RabbitMQ peer answers to the queue it names)
    const channel = this.responseChannel;
    const body: RequestContextMsg = { ...request, requester_id: this.requesterId, reply_to: parseContextChannel(channel)?.name ?? channel };
    await this.bus.publish(this.channels.request, body).catch((err: unknown) => {
      throw this.wrap(err, 'publishing the request');
    });
    return null;
  }

  /** Publish an answer (or anything, for tests) on a requester's response channel. */
  async reply(requesterId: string, body: Envelope): Promise<void> {
    this.assertOpen();
    await this.bus.publish(this.channels.response(requesterId), body);
  }

  async serve(peerId: string, handler: PeerRequestHandler): Promise<() => Promise<void>> {
    this.assertOpen();
    const startedAt = Date.now();
    const staleMs = this.opts.peerStaleMs ?? DEFAULT_PEER_STALE_MS;
    const onRequest = (m: Envelope): void => {
      const v = validateMessage(m);
      if (!v.ok || v.message.message_type !== MessageType.REQUEST_CONTEXT) {
        this.counters.rejected_requests++;
        this.logger.info(`peer ${peerId}: refused a message on the request channel: ${v.ok ? `type ${v.message.message_type}` : v.error.message}`);
        return;
      }
      const req = v.message as RequestContextMsg;
      const sent = sentAtMs(req);
      if (sent !== undefined && sent < startedAt - staleMs) {
        this.counters.stale_requests++;
        return;
      }
      // answered on the requester's own response channel, never on a channel the request names (reply_to): a forged
      // request must not make every peer publish into a queue of the sender's choosing
      Promise.resolve()
        .then(() => handler(req, (answer) => this.reply(req.requester_id, answer as Envelope)))
        .catch((err: unknown) => this.logger.warn(`peer ${peerId}: answering ${req.request_id ?? '?'} failed: ${errorMessage(err)}`));
    };
    let unsubscribe: Unsubscribe;
    try {
      unsubscribe = await this.bus.subscribe(this.channels.request, onRequest, {
        group: `${this.groupPrefix}-${peerId}`,
        // a hub's peer id is new on every start: its group would otherwise stay on the broker for good
        transientGroup: this.release,
        onUndecodable: (info) => {
          this.counters.rejected_requests++;
          this.logger.info(`peer ${peerId}: refused ${info.bytes} bytes on the request channel that are not a JSON message`);
        },
      });
    } catch (err) {
      throw this.wrap(err, `serving requests as ${peerId}`);
    }
    this.serving.add(unsubscribe);
    return async () => {
      if (this.serving.delete(unsubscribe)) await unsubscribe().catch(() => undefined);
    };
  }

  /** Ends our subscriptions; the bus itself belongs to whoever made it and stays open. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const subs = [...this.serving];
    this.serving.clear();
    await this.opening?.catch(() => undefined);
    const inbox = this.inbox;
    this.inbox = undefined;
    await Promise.allSettled([...subs, ...(inbox ? [inbox] : [])].map((u) => u()));
    // nobody will answer to this requester id again: its topic or queue would only linger on the broker
    if (inbox && this.release) {
      await this.bus.releaseChannel?.(this.responseChannel).catch((err: unknown) => this.logger.debug(`releasing ${this.responseChannel}: ${errorMessage(err)}`));
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new SwitchboardError('shutdown', 'This context transport is closed.');
  }

  private wrap(err: unknown, what: string): SwitchboardError {
    if (err instanceof SwitchboardError) return err;
    return new SwitchboardError('bus_down', `Context reconstruction over the ${this.bus.kind} bus: ${what} failed: ${errorMessage(err)}`, {
      retriable: true,
      cause: err,
    });
  }
}
